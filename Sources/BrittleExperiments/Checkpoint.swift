// Model checkpoints: the weights and batch-norm buffers in one safetensors file (loadable by
// Python's `safetensors` / PyTorch), with the architecture id, its configuration, the input
// shape and the class count in the file's metadata so the model can be rebuilt from it alone.
// Not the mid-training checkpoint with optimiser state (TrainingCheckpoint, Training.swift).
import BrittleArchive
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// Saving and loading Classifier checkpoints.
public enum Checkpoint {
    /// File name of the weights inside a model directory.
    public static let fileName = "model.safetensors"

    /// Largest image extent (channels, height or width) a checkpoint may declare.
    public static let maxInputExtent = 4096
    /// Largest number of values per input image a checkpoint may declare (a 3 x 2048 x 2048 image).
    public static let maxInputElements = 3 * 2048 * 2048
    /// Largest class count a checkpoint may declare.
    public static let maxClasses = 100_000

    /// Writes `model` to `path` (a .safetensors file), atomically, with the version of its
    /// architecture plugin in `registry`.
    public static func save(_ model: Classifier, to path: String, extra: [String: String] = [:], registry: Registry = .shared) throws {
        let tensors = (model.namedParameters + model.namedBuffers).map { (name: $0.0, tensor: $0.1.value) }
        var meta = extra
        meta["brittle.architecture"] = model.architecture
        meta["brittle.configuration"] = jsonString(model.configuration)
        meta["brittle.input_shape"] = model.inputShape.map(String.init).joined(separator: ",")
        meta["brittle.classes"] = String(model.classCount)
        meta["brittle.input_transforms"] = jsonString(model.inputTransforms)
        if let p = registry.entry(model.architecture) { meta["brittle.architecture_version"] = p.plugin.version }
        meta["format"] = "pt"
        try Safetensors.write(tensors, metadata: meta, to: path)
    }

    /// Rebuilds the model a checkpoint describes (through the architecture plugin it names, in
    /// `registry`) and loads its tensors. `path` is the .safetensors file, a run directory
    /// holding `model.safetensors`, or a bundle (.tar.zst) holding one: the bundle is verified
    /// against its manifest as it streams, and the weights are read straight from the stream
    /// into memory (nothing is unpacked to disk). `options` caps the bundle's unpacked size.
    public static func load(_ path: String, registry: Registry = .shared, options: BundleReadOptions = .init()) throws
        -> Classifier
    {
        if path.hasSuffix(".tar.zst") {
            var chosen: String?
            let lock = NSLock()
            let (_, entries) = try BundleReader.readEntries(path, options: options) { entry in
                guard (entry.path as NSString).lastPathComponent == fileName else { return false }
                return lock.withLock {
                    if chosen != nil { return false }
                    chosen = entry.path
                    return true
                }
            }
            guard let name = chosen, let bytes = entries[name] else {
                throw DataError("bundle \(path) holds no \(fileName): pack a run directory written by `brittle train`")
            }
            return try load(safetensors: bytes, name: path + ":" + name, registry: registry)
        }
        var isDir: ObjCBool = false
        var file = path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            file = (path as NSString).appendingPathComponent(fileName)
        }
        guard FileManager.default.fileExists(atPath: file) else {
            throw DataError("no model at \(file): pass a run directory written by `brittle train` or a .safetensors file")
        }
        let (tensors, _, meta) = try Safetensors.read(path: file)
        return try build(tensors, meta, file: file, registry: registry)
    }

    /// Rebuilds a model from the bytes of a checkpoint (`name` identifies them in errors).
    public static func load(safetensors bytes: [UInt8], name: String, registry: Registry = .shared) throws -> Classifier {
        let (tensors, _, meta) = try Safetensors.decode(bytes, path: name)
        return try build(tensors, meta, file: name, registry: registry)
    }

    private static func build(_ tensors: [String: Tensor], _ meta: [String: String], file: String, registry: Registry)
        throws -> Classifier
    {
        guard let arch = meta["brittle.architecture"], let shapeText = meta["brittle.input_shape"],
              let classes = meta["brittle.classes"].flatMap(Int.init)
        else {
            throw DataError("\(file) has no Brittle metadata (architecture, input shape, classes): it was not written by `brittle train`")
        }
        let config = (meta["brittle.configuration"].flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }) ?? [:]
        let inputShape = shapeText.split(separator: ",", omittingEmptySubsequences: false).compactMap { Int($0) }
        // The metadata is as untrusted as the rest of the file: bound it before it sizes a model.
        guard inputShape.count == 3, inputShape.allSatisfy({ (1...maxInputExtent).contains($0) }),
              inputShape.reduce(1, *) <= maxInputElements
        else {
            throw DataError(
                .malformed, path: file,
                problem: "brittle.input_shape '\(shapeText.escapingControlCharacters)' is not C,H,W with extents in "
                    + "1...\(maxInputExtent) and at most \(maxInputElements) values",
                fix: "The checkpoint was not written by `brittle train`, or was modified")
        }
        guard (1...maxClasses).contains(classes) else {
            throw DataError(
                .malformed, path: file, problem: "brittle.classes is \(classes), outside 1...\(maxClasses)",
                fix: "The checkpoint was not written by `brittle train`, or was modified")
        }
        let plugin = try registry.architecture(arch)
        var model = try plugin.build(try plugin.configuration(config), inputShape: inputShape, classCount: classes, seed: 0)
        let transforms = (meta["brittle.input_transforms"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }) ?? []
        for spec in transforms.reversed() {
            let (id, text) = try parsePluginSpec(spec)
            let t = try registry.inputLayer(id)
            model = model.prepending(try t.makeLayer(try t.configuration(text), channels: inputShape[0]), recordedAs: spec)
        }
        for (name, p) in model.namedParameters + model.namedBuffers {
            guard let t = tensors[name] else { throw DataError("\(file): tensor '\(name)' missing for architecture \(arch)") }
            guard t.shape == p.value.shape else {
                throw DataError("\(file): tensor '\(name)' has shape \(t.shape), \(arch) expects \(p.value.shape)")
            }
            if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
                throw DataError(
                    .malformed, path: file,
                    problem: "tensor '\(name)' holds a non-finite value (\(t.scalars[bad]) at element \(bad))",
                    fix: "The checkpoint is damaged, or its training diverged: retrain (e.g. with a lower --lr)")
            }
            p.value = t
        }
        return model
    }
}

/// Compact JSON with sorted keys (deterministic).
public func jsonString<T: Encodable>(_ value: T) -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return String(decoding: (try? e.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
}

/// Pretty JSON with sorted keys, for files people read.
public func prettyJSON<T: Encodable>(_ value: T) throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .prettyPrinted]
    return try e.encode(value)
}

/// Parses "id" or "id:key=value,key=value" (the CLI's --transform syntax, and the architectures of
/// `transfer_architectures`); `kind` names the spec in errors.
public func parsePluginSpec(_ spec: String, kind: String = "transform") throws -> (id: String, parameters: [String: String]) {
    let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
    guard let id = parts.first, !id.isEmpty else { throw PluginError("empty \(kind) spec '\(spec)': expected ID or ID:key=value,...") }
    var params: [String: String] = [:]
    if parts.count == 2 {
        for item in parts[1].split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else {
                throw PluginError("\(kind) spec '\(spec)': '\(item)' is not key=value (expected ID:key=value,key=value)")
            }
            params[kv[0]] = kv[1]
        }
    }
    return (id, params)
}

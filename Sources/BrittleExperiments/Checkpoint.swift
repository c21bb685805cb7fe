// Model checkpoints: the weights and batch-norm buffers in one safetensors file (loadable by
// Python's `safetensors` / PyTorch), with the architecture id, its configuration, the input
// shape and the class count in the file's metadata so the model can be rebuilt from it alone.
import BrittleArchive
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// Saving and loading Classifier checkpoints.
public enum Checkpoint {
    /// File name of the weights inside a model directory.
    public static let fileName = "model.safetensors"

    /// Writes `model` to `path` (a .safetensors file), atomically.
    public static func save(_ model: Classifier, to path: String, extra: [String: String] = [:]) throws {
        let tensors = (model.namedParameters + model.namedBuffers).map { (name: $0.0, tensor: $0.1.value) }
        var meta = extra
        meta["brittle.architecture"] = model.architecture
        meta["brittle.configuration"] = jsonString(model.configuration)
        meta["brittle.input_shape"] = model.inputShape.map(String.init).joined(separator: ",")
        meta["brittle.classes"] = String(model.classCount)
        meta["brittle.input_transforms"] = jsonString(model.inputTransforms)
        if let p = Registry.shared.entry(model.architecture) { meta["brittle.architecture_version"] = p.plugin.version }
        meta["format"] = "pt"
        try Safetensors.write(tensors, metadata: meta, to: path)
    }

    /// Rebuilds the model a checkpoint describes (through the architecture plugin it names, in
    /// `registry`) and loads its tensors. `path` is the .safetensors file, a run directory
    /// holding `model.safetensors`, or a bundle (.tar.zst) holding one: the bundle is verified
    /// against its manifest while it is unpacked into a temporary directory.
    public static func load(_ path: String, registry: Registry = .shared) throws -> Classifier {
        if path.hasSuffix(".tar.zst") {
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-model-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
            defer { try? FileManager.default.removeItem(atPath: tmp) }
            let manifest = try BundleReader.unpack(path, to: tmp)
            guard let entry = manifest.entries.first(where: { ($0.path as NSString).lastPathComponent == fileName }) else {
                throw DataError("bundle \(path) holds no \(fileName): pack a run directory written by `brittle train`")
            }
            return try load((tmp as NSString).appendingPathComponent(entry.path), registry: registry)
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
        guard let arch = meta["brittle.architecture"], let shapeText = meta["brittle.input_shape"],
              let classes = meta["brittle.classes"].flatMap(Int.init)
        else {
            throw DataError("\(file) has no Brittle metadata (architecture, input shape, classes): it was not written by `brittle train`")
        }
        let config = (meta["brittle.configuration"].flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }) ?? [:]
        let inputShape = shapeText.split(separator: ",").compactMap { Int($0) }
        let plugin = try registry.architecture(arch)
        var model = try plugin.build(try plugin.configuration(config), inputShape: inputShape, classCount: classes, seed: 0)
        let transforms = (meta["brittle.input_transforms"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }) ?? []
        for spec in transforms.reversed() {
            let (id, text) = try parseTransformSpec(spec)
            let t = try registry.transform(id)
            if let layer = try t.modelInputLayer(try t.configuration(text), channels: inputShape[0]) {
                model = model.prepending(layer, recordedAs: spec)
            }
        }
        for (name, p) in model.namedParameters + model.namedBuffers {
            guard let t = tensors[name] else { throw DataError("\(file): tensor '\(name)' missing for architecture \(arch)") }
            guard t.shape == p.value.shape else {
                throw DataError("\(file): tensor '\(name)' has shape \(t.shape), \(arch) expects \(p.value.shape)")
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

/// Parses "id" or "id:key=value,key=value" (the CLI's --transform syntax).
public func parseTransformSpec(_ spec: String) throws -> (id: String, parameters: [String: String]) {
    let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
    guard let id = parts.first, !id.isEmpty else { throw PluginError("empty transform spec '\(spec)': expected ID or ID:key=value,...") }
    var params: [String: String] = [:]
    if parts.count == 2 {
        for item in parts[1].split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else {
                throw PluginError("transform spec '\(spec)': '\(item)' is not key=value (expected ID:key=value,key=value)")
            }
            params[kv[0]] = kv[1]
        }
    }
    return (id, params)
}

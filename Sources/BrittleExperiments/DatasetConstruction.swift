// Building a dataset with a construction plugin (the paper's constructions: invert-representation,
// adversarial-relabel) and writing it as a dataset bundle whose manifest records the whole
// construction: transform and parameters, source, model (with its SHA-256), seed, and every
// figure the transform reported. Shared by `brittle datasets build` and `brittle reproduce`.
// Not the constructions themselves (plugins) nor the bundle format (BrittleDatasets).
import BrittleArchive
import BrittleDatasets
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// Version of Brittle recorded in bundles and results.
public let brittleVersion = "0.1.0"

/// A construction plugin with its validated configuration, as the user wrote it (`spec`).
public struct ConstructionSpec {
    public let spec: String
    public let plugin: any ConstructionPlugin
    public let configuration: Configuration
    /// The configured construction (plugins it names already looked up).
    public let construction: any DatasetConstruction

    /// Parses and validates "ID" or "ID:key=value,...".
    public init(_ spec: String, registry: Registry) throws {
        let (id, text) = try parsePluginSpec(spec)
        self.spec = spec
        plugin = try registry.construction(id)
        configuration = try plugin.configuration(text)
        construction = try plugin.makeConstruction(configuration, registry: registry)
    }

    /// The recipe's plugin configured with its parameters (`spec` is the recipe's display form).
    public init(_ recipe: ConstructionRecipe, registry: Registry) throws {
        spec = recipe.display
        plugin = try registry.construction(recipe.plugin)
        configuration = try plugin.configuration(recipe.parameters)
        construction = try plugin.makeConstruction(configuration, registry: registry)
    }
}

/// What a construction produced.
public struct ConstructionOutput {
    public var dataset: LabeledDataset
    /// Figures the transform reported (e.g. targeted-success, relative-distance).
    public var reported: [String: Double]
    public var seconds: Double
}

/// Where the source data of a construction came from (recorded in the manifest).
public struct ConstructionSource {
    /// Dataset name or bundle path, as given.
    public var dataset: String
    public var limit: Int?
    public var dataDir: String?
    /// Training-set indices of the source images, when a subset was drawn (nil: the first `count`).
    public var indices: [Int]?
    public init(dataset: String, limit: Int? = nil, dataDir: String? = nil, indices: [Int]? = nil) {
        self.dataset = dataset
        self.limit = limit
        self.dataDir = dataDir
        self.indices = indices
    }
}

/// Runs `construction` over `source` with `model`, with a progress bar, and checks the result:
/// the source's image shape and classes, labels in range, finite pixels in [0, 1] (a
/// PluginError otherwise). A model of another input shape or class count is a ModelMismatchError.
/// Every construction works with a model: without one this throws, naming the fix.
public func runConstruction(_ construction: ConstructionSpec, source: LabeledDataset, model: Classifier?, seed: UInt64,
                            title: String? = nil) throws -> ConstructionOutput {
    let id = construction.plugin.id
    guard let model else {
        throw ConfigurationError(plugin: id, parameter: nil, message: "\(id) needs a model: pass --model")
    }
    try ModelMismatchError.checkInputs(of: model, fit: source, role: "source set")
    guard model.classCount == source.numClasses else {
        throw ModelMismatchError(problem: "the model has \(model.classCount) classes, \(source.name) has \(source.numClasses)",
                                 fix: "Use a model trained on this dataset (--model), or the dataset it was trained on (--dataset)")
    }
    var reported: [String: Double] = [:]
    let bar = ProgressBar(title ?? construction.plugin.id, total: source.count)
    var lastStatus = ""
    // The bar draws its final line once, after the transform returns.
    let context = ConstructionContext(
        seed: seed,
        progress: { done, _, status in
            lastStatus = status
            if done < source.count { bar.update(done, status) }
        },
        report: { key, value in reported[key] = value })
    let start = Date()
    let built = try construction.construction.construct(from: source, using: ConstructionModel(model), context: context)
    bar.update(source.count, lastStatus)
    let spec = construction.spec
    guard built.imageShape == source.imageShape, built.numClasses == source.numClasses else {
        throw PluginError("\(spec) returned images \(built.imageShape) with \(built.numClasses) classes; "
                          + "expected \(source.imageShape) with \(source.numClasses) (fix the plugin)")
    }
    if let bad = built.labels.first(where: { $0 < 0 || $0 >= built.numClasses }) {
        throw PluginError("\(spec) returned label \(bad), outside 0..<\(built.numClasses) (fix the plugin)")
    }
    guard built.images.scalars.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
        throw PluginError("\(spec) returned pixel values that are not finite numbers in [0, 1] (fix the plugin)")
    }
    return ConstructionOutput(dataset: built, reported: reported, seconds: Date().timeIntervalSince(start))
}

/// Writes a constructed dataset (train split only) to `path` with the full construction in its
/// manifest. `model` is the model used and the path it was loaded from.
@discardableResult
public func writeConstructedDataset(
    _ output: ConstructionOutput, construction: ConstructionSpec, source: LabeledDataset, sourceInfo: ConstructionSource,
    model: (classifier: Classifier, path: String)?, seed: UInt64, name: String?, command: String,
    to path: String, compression: CompressionOptions = .init(), registry: Registry
) throws -> BundleManifest {
    let plugin = construction.plugin
    var constructionRecord: [String: JSONValue] = [
        "transform": .object([
            "id": .string(plugin.id), "version": .string(plugin.version), "spec": .string(construction.spec),
            "parameters": .object(construction.configuration.values.mapValues(jsonValue)),
        ]),
        "source": .object([
            "dataset": .string(sourceInfo.dataset), "name": .string(source.name), "split": .string("train"),
            "count": .number(Double(source.count)), "limit": sourceInfo.limit.map { .number(Double($0)) } ?? .null,
            "data_dir": sourceInfo.dataDir.map(JSONValue.string) ?? .null,
            "indices": sourceInfo.indices.map { .array($0.map { .number(Double($0)) }) } ?? .null,
        ]),
        "seed": .number(Double(seed)),
        "reported": .object(output.reported.mapValues { $0.isFinite ? .number($0) : .null }),
        "model": .null,
    ]
    var pluginRecords = [PluginRecord(id: plugin.id, version: plugin.version)]
    if let model {
        constructionRecord["model"] = try modelRecord(model.classifier, path: model.path, registry: registry)
        if let arch = registry.entry(model.classifier.architecture) {
            pluginRecords.append(PluginRecord(id: arch.plugin.id, version: arch.plugin.version))
        }
    }
    // Plugins named by the transform's parameters (e.g. adversarial-relabel's attack).
    for case .string(let value) in construction.configuration.values.values {
        if let p = registry.entry(value), !pluginRecords.contains(where: { $0.id == value }) {
            pluginRecords.append(PluginRecord(id: p.plugin.id, version: p.plugin.version))
        }
    }
    let recipe = try derivedRecipe(source: source, sourceInfo: sourceInfo, built: output.dataset, transformID: plugin.id,
                                   name: name, modelPath: model?.path, command: command)
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
    return try DatasetBundle.write(
        recipe: recipe, splits: [.train: SplitArrays(output.dataset)], configuration: ["construction": .object(constructionRecord)],
        seeds: ["transform": seed], plugins: pluginRecords,
        created: CreationInfo(tool: "brittle \(brittleVersion)", command: command),
        brittleVersion: brittleVersion, to: path, compression: compression)
}

/// Path, SHA-256 of the weights file, architecture (its version from `registry`) and
/// configuration of a model.
public func modelRecord(_ m: Classifier, path: String, registry: Registry) throws -> JSONValue {
    var isDirectory: ObjCBool = false
    var file = path
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        file = (path as NSString).appendingPathComponent(Checkpoint.fileName)
    }
    let (digest, bytes) = try SHA256.hash(file: file)
    return .object([
        "path": .string(path), "file": .string(file), "sha256": .string(digest), "size": .number(Double(bytes)),
        "architecture": .string(m.architecture),
        "architecture_version": registry.entry(m.architecture).map { .string($0.plugin.version) } ?? .null,
        "configuration": .object(m.configuration.mapValues(JSONValue.string)),
        "input_transforms": .array(m.inputTransforms.map(JSONValue.string)),
        "input_shape": .array(m.inputShape.map { .number(Double($0)) }),
        "classes": .number(Double(m.classCount)),
    ])
}

/// The recipe recorded in a constructed bundle: the source's classes and shapes, a train split
/// only, and the source recipe's license and citation (the data is derived from it).
private func derivedRecipe(source: LabeledDataset, sourceInfo: ConstructionSource, built: LabeledDataset, transformID: String,
                           name: String?, modelPath: String?, command: String) throws -> DatasetRecipe {
    var base: DatasetRecipe?
    if DatasetLoader.isBundlePath(sourceInfo.dataset) {
        base = try? BundleReader.manifest(of: sourceInfo.dataset).configuration["recipe"]?.decode(DatasetRecipe.self)
    } else {
        base = try? DatasetCatalog.recipe(named: sourceInfo.dataset)
    }
    let sourceName = base?.name ?? String(source.name.split(separator: ":").first ?? "dataset")
    let datasetName = name ?? "\(sourceName)-\(transformID)"
    let which = sourceInfo.indices == nil ? "the first \(source.count)" : "\(source.count) randomly drawn"
    let recipe: JSONValue = .object([
        "name": .string(datasetName),
        "title": .string("\(base?.title ?? sourceName), \(transformID)"),
        "description": .string("\(transformID) applied to \(which) training images of \(sourceName)"
                               + (modelPath.map { " with the model \($0)" } ?? "")),
        "classes": .number(Double(built.numClasses)),
        "class_names": .array(built.classNames.map(JSONValue.string)),
        "image_shape": .array(built.imageShape.map { .number(Double($0)) }),
        "splits": .object(["train": .number(Double(built.count))]),
        "source": .object([
            "kind": .string("generated"), "format": .string("transform"), "files": .array([]),
            "note": .string("brittle " + command),
        ]),
        "license": .string(base.map { "derived from \($0.name): \($0.license)" } ?? "derived data"),
        "citation": .string(base?.citation ?? ""),
    ])
    return try recipe.decode(DatasetRecipe.self)
}

/// A parameter value as JSON: numbers, booleans, strings, arrays of numbers.
public func jsonValue(_ v: ParameterValue) -> JSONValue {
    switch v {
    case .int(let i): return .number(Double(i))
    case .float(let f): return .number(f)
    case .bool(let b): return .bool(b)
    case .string(let s): return .string(s)
    case .intList(let l): return .array(l.map { .number(Double($0)) })
    case .floatList(let l): return .array(l.map { .number($0) })
    }
}

/// One split of a dataset given as a recipe name or a bundle path (raw files from `dataDir`, or
/// the imported bundle). Without the Datasets/ recipes (a binary run outside its checkout), the
/// built-in IDX loader reads fashion-mnist or mnist.
public func loadDatasetSplit(_ dataset: String, split: DataSplit, dataDir: String?) throws -> LabeledDataset {
    if DatasetLoader.isBundlePath(dataset) || (try? DatasetCatalog.recipesDirectory()) != nil {
        return try DatasetLoader.load(dataset, split: split, sourceDirectory: dataDir)
    }
    var d = try FashionMNIST.load(directory: dataDir ?? FashionMNIST.defaultDirectory, split: split)
    if dataset == "mnist" {
        d.classNames = (0..<10).map(String.init)
        d.name = "mnist"
    }
    return d
}

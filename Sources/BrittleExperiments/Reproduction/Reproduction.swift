// The pipeline of `brittle reproduce` (Ilyas et al. 2019): source models, constructed datasets,
// models trained on them, evaluations and transfer, each a cached stage (StageCache) keyed by
// its configuration and its upstream stages. A rerun skips finished stages; a killed run resumes
// (training stages also resume mid-way, from per-epoch checkpoints); a changed parameter reruns
// only what depends on it. The training stages are in Reproduction+Training.swift, evaluation
// and transfer in Reproduction+Evaluation.swift; what to report is ReproductionResults, how is
// ReproductionReport.
import BrittleArchive
import BrittleDatasets
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// The paper's experiments.
public enum ReproductionExperiment: String, CaseIterable, Codable, Sendable {
    /// Figure 2: standard and adversarial training on D, standard training on D_R and D_NR (and D_sub).
    case robustFeatures = "robust-features"
    /// Table 1: standard training on D_rand and D_det (and D_sub and the controls).
    case nonRobustFeatures = "non-robust-features"
    /// Figure 3: architectures trained on the relabelled set against transfer success.
    case transfer
}

/// A finished stage.
struct StageRef {
    let name: String
    let key: String
    let directory: String
    var modelFile: String { (directory as NSString).appendingPathComponent(Checkpoint.fileName) }
    var datasetFile: String { (directory as NSString).appendingPathComponent("dataset.tar.zst") }
}

/// Runs the experiments of one configuration into an output directory.
public final class Reproduction {
    public let config: ReproductionConfig
    public let outputDirectory: String
    let cache: StageCache
    /// Where the architectures, attacks and transforms of the run are looked up.
    public let registry: Registry
    /// The dataset of the configuration: its training split, and its test split cut to test_limit.
    let data: DataSource
    /// Wall-clock time of every stage of this run (cached ones show the time they took then).
    public private(set) var timings: [StageTiming] = []
    let log: (String) -> Void

    private var trainSet: LabeledDataset?
    private var testSet: LabeledDataset?
    var stages: [String: StageRef] = [:]
    /// Directories this run created (OUT and its missing parents, OUT/stages), deepest first: a
    /// failed run removes those it left empty, so a typo leaves nothing behind.
    private let createdDirectories: [String]

    /// A run of `config` into `outputDirectory`, with the plugins of `registry`.
    public init(config: ReproductionConfig, outputDirectory: String, registry: Registry,
                log: @escaping (String) -> Void = note) throws {
        try config.validate()
        self.config = config
        self.outputDirectory = outputDirectory
        self.registry = registry
        data = DataSource(dataset: config.dataset, dataDirectory: config.dataDir, testLimit: config.testLimit)
        self.log = log
        let root = (outputDirectory as NSString).appendingPathComponent("stages")
        var missing: [String] = []
        var dir = root
        while !dir.isEmpty, dir != "/", dir != ".", !FileManager.default.fileExists(atPath: dir) {
            missing.append(dir)
            dir = (dir as NSString).deletingLastPathComponent
        }
        createdDirectories = missing
        cache = try StageCache(root: root)
    }

    /// Removes the directories this run created that are still empty (rmdir: never a file).
    public func removeEmptyCreatedDirectories() {
        for dir in createdDirectories { _ = rmdir(dir) }
    }

    // MARK: Data

    func train() throws -> LabeledDataset {
        if let trainSet { return trainSet }
        let d = try data.train()
        trainSet = d
        return d
    }

    /// The original test set (cut to test_limit).
    func test() throws -> LabeledDataset {
        if let testSet { return testSet }
        let d = try data.test()
        testSet = d
        return d
    }

    /// The first robust_test_limit test images: robust accuracy and transfer are measured on them.
    func robustTest() throws -> LabeledDataset {
        try Reproduction.robustTest(of: test(), config: config)
    }

    /// The first robust_test_limit images of `test` (always a copy, as the figures were measured on).
    static func robustTest(of test: LabeledDataset, config: ReproductionConfig) -> LabeledDataset {
        test.subset(Array(0..<min(test.count, config.robustTestLimit)))
    }

    /// The N training images every constructed set of `seed` starts from (D_sub is them).
    public func subsetIndices(seed: UInt64) throws -> [Int] {
        let n = try train().count
        guard config.setSize < n else { return Array(0..<n) }
        var rng = SeededGenerator.stream(seed: seed ^ 0x5E7_5E7, index: 0)
        var all = Array(0..<n)
        all.shuffle(using: &rng)
        return Array(all.prefix(config.setSize)).sorted()
    }

    // MARK: Stages

    /// Runs (or finds) stage `name`.
    func stage<C: Encodable>(_ name: String, configuration: C, upstream: [StageRef] = [],
                             _ body: (String, String) throws -> Void) throws -> StageRef {
        if let done = stages[name] { return done }
        let key = try StageCache.key(stage: name, configuration: configuration, upstream: upstream.map(\.key))
        let directory = cache.directory(stage: name, key: key)
        if cache.isFinished(stage: name, key: key) {
            let seconds = StageTiming.recordedSeconds(in: directory)
            timings.append(StageTiming(stage: name, key: String(key.prefix(16)), seconds: seconds, cached: true))
            log("[cached] \(name) (took \(formatDuration(seconds)))")
        } else {
            log("[stage] \(name)")
            let start = Date()
            try cache.run(name, key: key) { try body($0, key) }
            let seconds = Date().timeIntervalSince(start)
            timings.append(StageTiming(stage: name, key: String(key.prefix(16)), seconds: seconds, cached: false))
            log("[done] \(name) in \(formatDuration(seconds))")
        }
        let ref = StageRef(name: name, key: key, directory: directory)
        stages[name] = ref
        return ref
    }

    func datasetKey(limit: Int?) -> [String: String] {
        ["dataset": config.dataset, "data_dir": config.dataDir ?? "", "limit": limit.map(String.init) ?? "all"]
    }

    /// What a construction stage's key holds.
    struct SetKey: Encodable {
        var spec: String
        var data: [String: String]
        var setSize: Int
        var seed: UInt64
    }

    /// Builds constructed set `set` (e.g. d_r) of `seed` with `spec` and the model of `source`.
    func constructedSet(_ set: ConstructedSet, seed: UInt64) throws -> StageRef {
        let source = try set.usesRobustModel ? robustModel(seed: seed) : standardModel(seed: seed)
        let spec = set.spec(config)
        let key = SetKey(spec: spec, data: datasetKey(limit: nil), setSize: config.setSize, seed: seed)
        return try stage("\(set.name)-s\(seed)", configuration: key, upstream: [source]) { dir, _ in
            let construction = try ConstructionSpec(spec, registry: self.registry)
            let indices = try self.subsetIndices(seed: seed)
            let sourceData = try self.train().subset(indices)
            let model = try Checkpoint.load(source.modelFile, registry: self.registry)
            self.log("  \(set.label): \(spec) on \(sourceData.count) images with \(source.name)")
            let output = try runConstruction(construction, source: sourceData, model: model, seed: seed, title: set.name)
            try writeConstructedDataset(
                output, construction: construction, source: sourceData,
                sourceInfo: ConstructionSource(dataset: self.config.dataset, dataDir: self.config.dataDir,
                                               indices: indices.count == sourceData.count && indices != Array(0..<indices.count) ? indices : nil),
                model: (model, source.modelFile), seed: seed, name: "\(self.config.dataset)-\(set.name)",
                command: "reproduce (\(set.name), seed \(seed))", to: (dir as NSString).appendingPathComponent("dataset.tar.zst"), registry: self.registry)
            let record = ConstructionRecord(spec: spec, sourceModel: source.name, images: output.dataset.count,
                                            reported: output.reported.filter { !$0.key.hasPrefix("batch-") }, seconds: output.seconds)
            try prettyJSON(record).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("construction.json")))
        }
    }

}

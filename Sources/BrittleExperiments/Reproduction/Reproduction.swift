// The pipeline of `brittle reproduce` (Ilyas et al. 2019): source models, constructed datasets,
// models trained on them, evaluations and transfer, each a cached stage (StageCache) keyed by
// its configuration and its upstream stages. A rerun skips finished stages; a killed run resumes
// (training stages also resume mid-way, from per-epoch checkpoints); a changed parameter reruns
// only what depends on it. What to report is ReproductionResults; how is ReproductionReport.
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
    /// Wall-clock time of every stage of this run (cached ones show the time they took then).
    public private(set) var timings: [StageTiming] = []
    let log: (String) -> Void

    private var trainSet: LabeledDataset?
    private var testSet: LabeledDataset?
    var stages: [String: StageRef] = [:]
    /// Directories this run created (OUT and its missing parents, OUT/stages), deepest first: a
    /// failed run removes those it left empty, so a typo leaves nothing behind.
    private let createdDirectories: [String]

    public init(config: ReproductionConfig, outputDirectory: String, log: @escaping (String) -> Void = note) throws {
        try config.validate()
        self.config = config
        self.outputDirectory = outputDirectory
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
        let d = try loadDatasetSplit(config.dataset, split: .train, dataDir: config.dataDir)
        trainSet = d
        return d
    }

    /// The original test set (cut to test_limit).
    func test() throws -> LabeledDataset {
        if let testSet { return testSet }
        var d = try loadDatasetSplit(config.dataset, split: .test, dataDir: config.dataDir)
        if let cap = config.testLimit, cap < d.count { d = d.subset(Array(0..<cap)) }
        testSet = d
        return d
    }

    /// The first robust_test_limit test images: robust accuracy and transfer are measured on them.
    func robustTest() throws -> LabeledDataset {
        let t = try test()
        return t.subset(Array(0..<min(t.count, config.robustTestLimit)))
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

    /// What a training stage's key holds.
    struct TrainKey: Encodable {
        var architecture: String
        var training: TrainingConfiguration
        var data: [String: String]
        var adversarial: [String: String]?
        var testLimit: Int?
    }

    /// Trains `architecture` on `data()` (loaded only when the stage runs) and records its clean
    /// accuracy on the original test set. Resumes from its per-epoch checkpoint if killed.
    func trainStage(_ name: String, architecture: String, dataKey: [String: String], upstream: [StageRef] = [],
                    epochs: Int, seed: UInt64, adversarial: [String: String]? = nil,
                    data: () throws -> LabeledDataset) throws -> StageRef {
        var training = TrainingConfiguration()
        training.epochs = epochs
        training.batchSize = config.batchSize
        training.learningRate = config.learningRate
        training.momentum = config.momentum
        training.weightDecay = config.weightDecay
        training.seed = seed
        let key = TrainKey(architecture: architecture, training: training, data: dataKey, adversarial: adversarial, testLimit: config.testLimit)
        let ref = try stage(name, configuration: key, upstream: upstream) { dir, stageKey in
            let set = try data()
            let test = try self.test()
            let plugin = try Registry.shared.architecture(architecture)
            let configuration = try plugin.configuration([:])
            try MemoryBudget.current.check(plugin, configuration: configuration, inputShape: set.imageShape,
                                           classCount: set.numClasses, use: .training(batchSize: training.batchSize))
            let model = try plugin.build(configuration, inputShape: set.imageShape, classCount: set.numClasses, seed: seed)
            var augment: ((LabeledDataset, UInt64) throws -> LabeledDataset)?
            if let adversarial {
                var params = adversarial
                let id = params.removeValue(forKey: "attack") ?? "pgd-l2"
                let attackPlugin = try Registry.shared.attack(id)
                augment = adversarialBatches(model: model, attack: try attackPlugin.makeAttack(try attackPlugin.configuration(params)))
            }
            self.log("  \(architecture) on \(set.count) images, \(epochs) epochs, seed \(seed)" + (adversarial.map { ", adversarial \($0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))" } ?? ""))
            let resume = self.resumeFile(name, stageKey)
            let start = Date()
            let history = try BrittleExperiments.train(model, on: set, configuration: training, augment: augment, resumeFile: resume)
            try Checkpoint.save(model, to: (dir as NSString).appendingPathComponent(Checkpoint.fileName))
            let record = TrainingRecord(architecture: architecture, trainImages: set.count, epochs: history,
                                        testAccuracy: accuracy(model, on: test), testImages: test.count,
                                        seconds: Date().timeIntervalSince(start))
            try prettyJSON(record).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("training.json")))
        }
        try? FileManager.default.removeItem(atPath: resumeFile(name, ref.key))
        return ref
    }

    /// Per-epoch training checkpoint of a stage, beside the cache's stage directories (a killed
    /// stage's partial directory is discarded; this file is not).
    func resumeFile(_ name: String, _ key: String) -> String {
        (cache.root as NSString).appendingPathComponent("\(name)-\(key.prefix(16)).resume.safetensors")
    }

    /// The standard model on D.
    func standardModel(seed: UInt64) throws -> StageRef {
        try trainStage("standard-\(config.architecture)-s\(seed)", architecture: config.architecture,
                       dataKey: datasetKey(limit: config.standardTrainLimit), epochs: config.standardEpochs, seed: seed) {
            try limited(self.train(), config.standardTrainLimit)
        }
    }

    /// The robust model on D: Madry L2 adversarial training.
    func robustModel(seed: UInt64) throws -> StageRef {
        let attack = ["attack": "pgd-l2", "epsilon": "\(config.robustEpsilon)", "steps": "\(config.robustSteps)",
                      "step-size": "\(config.robustStepSize)"]
        return try trainStage("robust-\(config.architecture)-s\(seed)", architecture: config.architecture,
                              dataKey: datasetKey(limit: config.robustTrainLimit), epochs: config.robustEpochs, seed: seed,
                              adversarial: attack) {
            try limited(self.train(), config.robustTrainLimit)
        }
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
            let construction = try ConstructionSpec(spec)
            let indices = try self.subsetIndices(seed: seed)
            let sourceData = try self.train().subset(indices)
            let model = try Checkpoint.load(source.modelFile)
            self.log("  \(set.label): \(spec) on \(sourceData.count) images with \(source.name)")
            let output = try runConstruction(construction, source: sourceData, model: model, seed: seed, title: set.name)
            try writeConstructedDataset(
                output, construction: construction, source: sourceData,
                sourceInfo: ConstructionSource(dataset: self.config.dataset, dataDir: self.config.dataDir,
                                               indices: indices.count == sourceData.count && indices != Array(0..<indices.count) ? indices : nil),
                model: (model, source.modelFile), seed: seed, name: "\(self.config.dataset)-\(set.name)",
                command: "reproduce (\(set.name), seed \(seed))", to: (dir as NSString).appendingPathComponent("dataset.tar.zst"))
            let record = ConstructionRecord(spec: spec, sourceModel: source.name, images: output.dataset.count,
                                            reported: output.reported.filter { !$0.key.hasPrefix("batch-") }, seconds: output.seconds)
            try prettyJSON(record).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("construction.json")))
        }
    }

    /// A model of `config.architecture` (or `architecture`) trained on training set `set`.
    func setModel(_ set: TrainingSet, seed: UInt64, architecture: String? = nil) throws -> StageRef {
        let arch = architecture ?? config.architecture
        switch set {
        case .constructed(let c):
            let data = try constructedSet(c, seed: seed)
            return try trainStage("train-\(c.name)-\(arch)-s\(seed)", architecture: arch, dataKey: ["set": c.name], upstream: [data],
                                  epochs: config.setEpochs, seed: seed) {
                try DatasetBundle.load(data.datasetFile, split: .train)
            }
        case .subset:
            var key = datasetKey(limit: nil)
            key["subset"] = "\(config.setSize) drawn with seed \(seed)"
            return try trainStage("train-d_sub-\(arch)-s\(seed)", architecture: arch, dataKey: key, epochs: config.setEpochs, seed: seed) {
                try self.train().subset(self.subsetIndices(seed: seed))
            }
        }
    }

    /// What an evaluation stage's key holds.
    struct EvalKey: Encodable {
        var attack = "pgd-l2"
        var epsilons: [Double]
        var steps: Int
        var data: [String: String]
        var testLimit: Int?
        var robustTestLimit: Int
    }

    /// Clean and robust accuracy of the model of `model` on the original test set.
    func evaluation(of model: StageRef) throws -> ModelEvaluation {
        let key = EvalKey(epsilons: config.evalEpsilons, steps: config.evalSteps, data: datasetKey(limit: nil),
                          testLimit: config.testLimit, robustTestLimit: config.robustTestLimit)
        let ref = try stage("eval-\(model.name)", configuration: key, upstream: [model]) { dir, _ in
            let m = try Checkpoint.load(model.modelFile)
            let e = try evaluateModel(m, test: self.test(), robustTest: self.robustTest(), epsilons: self.config.evalEpsilons,
                                      steps: self.config.evalSteps, label: model.name)
            try prettyJSON(e).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("evaluation.json")))
        }
        return try JSONDecoder().decode(ModelEvaluation.self, from: Data(contentsOf: URL(fileURLWithPath: (ref.directory as NSString).appendingPathComponent("evaluation.json"))))
    }

    /// Untargeted L2 PGD examples crafted on the standard model, on the robust-test images.
    func transferExamples(seed: UInt64) throws -> (examples: Tensor, sourceAccuracy: Float) {
        let source = try standardModel(seed: seed)
        struct Key: Encodable { var epsilon: Double; var steps: Int; var data: [String: String]; var robustTestLimit: Int; var testLimit: Int? }
        let key = Key(epsilon: config.transferEpsilon, steps: config.transferSteps, data: datasetKey(limit: nil),
                      robustTestLimit: config.robustTestLimit, testLimit: config.testLimit)
        let ref = try stage("transfer-examples-s\(seed)", configuration: key, upstream: [source]) { dir, _ in
            let model = try Checkpoint.load(source.modelFile)
            let data = try self.robustTest()
            // The whole robust-test set is attacked as one batch.
            try MemoryBudget.current.check(model, use: .inference(batchSize: data.count))
            let adv = try craftTransferExamples(on: model, data, epsilon: self.config.transferEpsilon, steps: self.config.transferSteps)
            let acc = Agreement.accuracy(adv.predictions, data.labels)
            try Safetensors.write([(name: "adversarial", tensor: adv.inputs)], metadata: ["source_accuracy": "\(acc)"],
                                  to: (dir as NSString).appendingPathComponent("examples.safetensors"))
        }
        let (tensors, _, meta) = try Safetensors.read(path: (ref.directory as NSString).appendingPathComponent("examples.safetensors"))
        guard let x = tensors["adversarial"], let acc = meta["source_accuracy"].flatMap(Float.init) else {
            throw ReproductionError("\(ref.directory)/examples.safetensors is damaged: delete that directory and rerun")
        }
        return (x, acc)
    }
}

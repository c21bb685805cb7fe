// Runs one planned stage into the stage cache: trains a model, builds a constructed set,
// evaluates a model, crafts transferred examples or measures transfer, from its typed work, its
// data and its upstream stages' directories. The one place a stage's computation lives, whichever
// executor runs it (this process, a child process, a Slurm job). Finished stages are skipped;
// output appears only when complete (StageCache); a killed training resumes from its last epoch.
import BrittleDatasets
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// Runs stages of a plan, in this process.
public final class StageRunner {
    public let cache: StageCache
    public let registry: Registry
    let log: (String) -> Void
    private var trainSets: [String: LabeledDataset] = [:]
    private var testSets: [String: LabeledDataset] = [:]

    /// A runner writing into `cache`, with the plugins of `registry`.
    public init(cache: StageCache, registry: Registry, log: @escaping (String) -> Void = note) {
        self.cache = cache
        self.registry = registry
        self.log = log
    }

    /// Whether `stage` has finished.
    public func isFinished(_ stage: PlannedStage) -> Bool { cache.isFinished(stage) }

    /// Runs `stage` (its upstream stages must be finished) unless it has finished; returns
    /// whether it ran.
    @discardableResult
    public func run(_ stage: PlannedStage, in plan: ReproductionPlan) throws -> Bool {
        if cache.isFinished(stage) { return false }
        let upstream = try stage.upstream.map { key -> String in
            guard let s = plan.stage(key), cache.isFinished(s) else {
                throw ReproductionError("stage \(stage.name) needs \(plan.stage(key)?.name ?? key), which has not finished: run its upstream stages first")
            }
            return cache.directory(of: s)
        }
        try cache.run(stage) { dir in
            try self.compute(stage, upstream: upstream, into: dir, names: stage.upstream.map { plan.stage($0)?.name ?? $0 })
        }
        return true
    }

    // MARK: Data

    func train(_ d: DataRef) throws -> LabeledDataset {
        let id = d.dataset + "\u{0}" + (d.dataDir ?? "")
        if let t = trainSets[id] { return t }
        let t = try DataSource(dataset: d.dataset, dataDirectory: d.dataDir, testLimit: d.testLimit).train()
        trainSets[id] = t
        return t
    }

    func test(_ d: DataRef) throws -> LabeledDataset {
        let id = d.dataset + "\u{0}" + (d.dataDir ?? "") + "\u{0}" + "\(d.testLimit ?? -1)"
        if let t = testSets[id] { return t }
        let t = try DataSource(dataset: d.dataset, dataDirectory: d.dataDir, testLimit: d.testLimit).test()
        testSets[id] = t
        return t
    }

    /// The first robust_test_limit test images: robust accuracy and transfer are measured on them.
    func robustTest(_ d: DataRef) throws -> LabeledDataset {
        let t = try test(d)
        return t.subset(Array(0..<min(t.count, d.robustTestLimit)))
    }

    /// The N training images a seed's constructed sets start from.
    func subset(_ d: DataRef, size: Int, seed: UInt64) throws -> (LabeledDataset, [Int]) {
        let all = try train(d)
        let indices = SubsetDraw.indices(count: all.count, size: size, seed: seed)
        return (all.subset(indices), indices)
    }

    // MARK: Work

    private func compute(_ stage: PlannedStage, upstream: [String], into dir: String, names: [String]) throws {
        func file(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
        switch stage.work {
        case .train(let w):
            try trainModel(w, stage: stage, upstream: upstream, into: dir)
        case .construct(let w):
            let modelFile = (upstream[0] as NSString).appendingPathComponent(Checkpoint.fileName)
            let construction = try ConstructionSpec(w.recipe, registry: registry)
            let (source, indices) = try subset(stage.data, size: w.setSize, seed: w.seed)
            let model = try Checkpoint.load(modelFile, registry: registry)
            log("  \(w.set.label): \(w.recipe.display) on \(source.count) images with \(names[0])")
            let output = try runConstruction(construction, source: source, model: model, seed: w.seed, title: w.set.name)
            let identity = indices == Array(0..<indices.count)
            try writeConstructedDataset(
                output, construction: construction, source: source,
                sourceInfo: ConstructionSource(dataset: stage.data.dataset, dataDir: stage.data.dataDir, indices: identity ? nil : indices),
                model: (model, modelFile), seed: w.seed, name: "\(stage.data.dataset)-\(w.set.name)",
                command: "reproduce (\(w.set.name), seed \(w.seed))", to: file("dataset.tar.zst"), registry: registry)
            let record = ConstructionRecord(spec: w.recipe.display, sourceModel: names[0], images: output.dataset.count,
                                            reported: output.reported.filter { !$0.key.hasPrefix("batch-") }, seconds: output.seconds)
            try AtomicFile.write(file("construction.json"), data: prettyJSON(record))
        case .evaluate(let w):
            let m = try Checkpoint.load((upstream[0] as NSString).appendingPathComponent(Checkpoint.fileName), registry: registry)
            let e = try evaluateModel(m, test: test(stage.data), robustTest: robustTest(stage.data), epsilons: w.epsilons,
                                      steps: w.steps, label: names[0], registry: registry)
            try AtomicFile.write(file("evaluation.json"), data: prettyJSON(e))
        case .ensemble(let w):
            let m = try Checkpoint.load((upstream[0] as NSString).appendingPathComponent(Checkpoint.fileName), registry: registry)
            let e = try EnsembleMeasurement.measure(w, model: m, data: robustTest(stage.data), registry: registry, label: names[0])
            try AtomicFile.write(file(EnsembleMeasurement.file), data: prettyJSON(e))
        case .transferExamples(let w):
            let model = try Checkpoint.load((upstream[0] as NSString).appendingPathComponent(Checkpoint.fileName), registry: registry)
            let data = try robustTest(stage.data)
            // The whole robust-test set is attacked as one batch.
            try MemoryBudget.current.check(model, use: .inference(batchSize: data.count))
            let adv = try craftTransferExamples(on: model, data, epsilon: w.epsilon, steps: w.steps, registry: registry)
            let acc = Agreement.accuracy(adv.predictions, data.labels)
            try Safetensors.write([(name: "adversarial", tensor: adv.inputs)], metadata: ["source_accuracy": "\(acc)"],
                                  to: file(TransferMeasurement.examplesFile))
        case .transfer(let w):
            let m = try TransferMeasurement.measure(w, data: robustTest(stage.data), upstream: upstream, names: names, registry: registry)
            try AtomicFile.write(file(TransferMeasurement.file), data: prettyJSON(m))
        }
    }

    private func trainModel(_ w: TrainWork, stage: PlannedStage, upstream: [String], into dir: String) throws {
        let set: LabeledDataset
        switch w.data {
        case .original(let limit): set = DataSource.first(limit, of: try train(stage.data))
        case .subset(let size, let seed): set = try subset(stage.data, size: size, seed: seed).0
        case .constructed: set = try DatasetBundle.load((upstream[0] as NSString).appendingPathComponent("dataset.tar.zst"), split: .train)
        }
        let test = try self.test(stage.data)
        let spec = try parsePluginSpec(w.architecture, kind: "architecture")
        let plugin = try registry.architecture(spec.id)
        let model = try TrainingRun.model(plugin, configuration: try plugin.configuration(spec.parameters), inputShape: set.imageShape,
                                          classCount: set.numClasses, seed: w.training.seed, batchSize: w.training.batchSize)
        var run = TrainingRun(configuration: w.training, registry: registry)
        run.monitor = 0
        if let a = w.adversary {
            let attack = try registry.attack(a.attack)
            run.adversary = try TrainingRun.Adversary(plugin: attack, configuration: try attack.configuration(a.parameters))
        }
        log("  \(w.architecture) on \(set.count) images, \(w.training.epochs) epochs, seed \(w.training.seed)"
            + (w.adversary.map { ", adversarial \($0.attack) " + $0.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") } ?? ""))
        // The test set is measured once, after the last epoch.
        let resume = cache.resumeFile(stage)
        let outcome = try run.run(model, on: set, test: test, testEachEpoch: false, resumeFile: resume, log: log)
        try Checkpoint.save(model, to: (dir as NSString).appendingPathComponent(Checkpoint.fileName), registry: registry)
        let record = TrainingRecord(architecture: w.architecture, trainImages: set.count, epochs: outcome.epochs,
                                    testAccuracy: outcome.testAccuracy, testImages: test.count, seconds: outcome.seconds)
        try AtomicFile.write((dir as NSString).appendingPathComponent("training.json"), data: prettyJSON(record))
    }
}

/// The source images of the constructed sets: N training images drawn with the run's seed.
enum SubsetDraw {
    static func indices(count n: Int, size: Int, seed: UInt64) -> [Int] {
        guard size < n else { return Array(0..<n) }
        var rng = SeededGenerator.stream(seed: seed ^ 0x5E7_5E7, index: 0)
        var all = Array(0..<n)
        all.shuffle(using: &rng)
        return Array(all.prefix(size)).sorted()
    }
}

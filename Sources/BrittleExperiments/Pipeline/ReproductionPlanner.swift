// Turns a configuration and its experiments into stages of the graph (StagePlan.swift): the
// standard and robust models on D, the constructed sets and the models trained on them (one per
// set seed), D_sub,
// the evaluations, and Figure 3's transfer, in the order the experiments read them. Stages with
// the same key are one node, so a sweep's grid points share what they have in common. Plans
// only; nothing is loaded or run.
import BrittleNN
import BrittlePlugins
import Foundation

/// Builds a plan (one or more runs over one graph).
public struct ReproductionPlanner {
    public private(set) var stages: [PlannedStage] = []
    public private(set) var runs: [PlannedRun] = []
    private var keys = Set<String>()
    let registry: Registry
    /// Training-set size of each dataset, for D_sub's indices (read once, from the data).
    let trainCount: (DataRef) throws -> Int

    /// The code a stage using these plugins runs (Brittle's own and each plugin's identity).
    let code: ([String]) throws -> StageCode

    /// A planner looking plugins up in `registry`; `trainCount` gives the training-set size of a
    /// dataset (D_sub's indices are drawn from it); `code` the identity of the code a stage
    /// using some plugins runs (default: this build's, `CodeIdentity`).
    public init(registry: Registry, trainCount: @escaping (DataRef) throws -> Int,
                code: (([String]) throws -> StageCode)? = nil) {
        self.registry = registry
        self.trainCount = trainCount
        self.code = code ?? { ids in StageCode(brittle: CodeIdentity.brittle, plugins: try CodeIdentity.plugins(ids, registry: registry)) }
    }

    /// The plan so far.
    public func plan(threads: Int) -> ReproductionPlan {
        let libraries = Set(registry.all.map(\.file)).filter { $0 != "<built in>" }.sorted()
        return ReproductionPlan(stages: stages, runs: runs, pluginLibraries: libraries, threads: threads)
    }

    /// Adds a run of `experiments` with `config` (validated), named `id`.
    public mutating func add(_ config: ReproductionConfig, experiments: [ReproductionExperiment], id: String = "") throws {
        try config.validate()
        var run = RunPlanner(planner: self, config: config)
        var seeds: [PlannedSeed] = []
        var indices: [[Int]] = []
        for seed in config.seeds {
            seeds.append(try run.seed(seed, experiments: Set(experiments)))
            indices.append(try run.subsetIndices(seed: seed))
        }
        self = run.planner
        runs.append(PlannedRun(id: id, config: config, experiments: experiments, seeds: seeds, subsetIndices: indices))
    }

    /// Adds a stage (once per key) and returns its key.
    mutating func stage(_ name: String, _ work: StageWork, data: DataRef, upstream: [String], plugins: [String],
                        passes: Double) throws -> String {
        let code = try self.code(plugins)
        let key = try PlannedStage.key(work: work, data: data, upstream: upstream, code: code)
        if keys.insert(key).inserted {
            stages.append(PlannedStage(key: key, name: name, work: work, data: data, upstream: upstream, code: code,
                                       estimatedPasses: passes))
        }
        return key
    }
}

/// The stages of one configuration.
struct RunPlanner {
    var planner: ReproductionPlanner
    let config: ReproductionConfig
    let data: DataRef
    /// Architecture of each model stage (by key): evaluating it runs that plugin's code.
    var architectures: [String: String] = [:]

    init(planner: ReproductionPlanner, config: ReproductionConfig) {
        self.planner = planner
        self.config = config
        data = DataRef(dataset: config.dataset, dataDir: config.dataDir, testLimit: config.testLimit,
                       robustTestLimit: config.robustTestLimit)
    }

    /// The N training images the constructed sets of `seed` start from (D_sub is them).
    func subsetIndices(seed: UInt64) throws -> [Int] {
        SubsetDraw.indices(count: try planner.trainCount(data), size: config.setSize, seed: seed)
    }

    func training(epochs: Int, seed: UInt64) -> TrainingConfiguration {
        var t = TrainingConfiguration()
        t.epochs = epochs
        t.batchSize = config.batchSize
        t.learningRate = config.learningRate
        t.momentum = config.momentum
        t.weightDecay = config.weightDecay
        t.seed = seed
        return t
    }

    /// Images a training stage sees, for its cost estimate.
    func images(_ d: TrainingData, limit: Int) -> Double {
        switch d {
        case .original(let l): return Double(min(l ?? limit, limit))
        case .subset(let n, _): return Double(min(n, limit))
        case .constructed: return Double(min(config.setSize, limit))
        }
    }

    /// A training stage; `architecture` is a plugin id or a spec with parameters
    /// ("cnn-small:channels1=64,channels2=128"), checked against the plugin's schema here.
    mutating func train(_ name: String, architecture: String, data d: TrainingData, epochs: Int, seed: UInt64,
                        adversary: AttackSettings? = nil, upstream: [String] = []) throws -> String {
        let spec = try parsePluginSpec(architecture, kind: "architecture")
        do {
            _ = try planner.registry.architecture(spec.id).configuration(spec.parameters)
        } catch {
            throw ReproductionError("architecture '\(architecture)': \(error)")
        }
        let work = TrainWork(architecture: architecture, training: training(epochs: epochs, seed: seed), data: d, adversary: adversary)
        let steps = Double(adversary.flatMap { Int($0.parameters["steps"] ?? "") } ?? 0)
        let passes = Double(epochs) * images(d, limit: 60000) * 3 * (1 + steps)
        let key = try planner.stage(name, .train(work), data: data, upstream: upstream,
                                    plugins: [spec.id] + (adversary.map { [$0.attack] } ?? []), passes: passes)
        architectures[key] = spec.id
        return key
    }

    /// An architecture spec as it appears in stage names: "mlp:hidden=64-64" -> "mlp-hidden64-64".
    static func slug(_ architecture: String) -> String {
        architecture.replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: ",", with: "-")
            .replacingOccurrences(of: "=", with: "")
    }

    mutating func standard(_ seed: UInt64) throws -> String {
        try train("standard-\(RunPlanner.slug(config.architecture))-s\(seed)", architecture: config.architecture,
                  data: .original(limit: config.standardTrainLimit), epochs: config.standardEpochs, seed: seed)
    }

    mutating func robust(_ seed: UInt64) throws -> String {
        let attack = AttackSettings(attack: "pgd-l2", parameters: [
            "epsilon": "\(config.robustEpsilon)", "steps": "\(config.robustSteps)", "step-size": "\(config.robustStepSize)",
        ])
        return try train("robust-\(RunPlanner.slug(config.architecture))-s\(seed)", architecture: config.architecture,
                         data: .original(limit: config.robustTrainLimit), epochs: config.robustEpochs, seed: seed, adversary: attack)
    }

    mutating func construct(_ set: ConstructedSet, seed: UInt64) throws -> String {
        let source = try set.usesRobustModel ? robust(seed) : standard(seed)
        let recipe = set.recipe(config)
        let steps = Double(recipe.parameters["iterations"].flatMap(Int.init) ?? recipe.parameters["steps"].flatMap(Int.init) ?? 1)
        return try planner.stage("\(set.name)-s\(seed)", .construct(ConstructWork(set: set, recipe: recipe, setSize: config.setSize, seed: seed)),
                                 data: data, upstream: [source],
                                 plugins: [recipe.plugin, architectures[source]!] + (recipe.parameters["attack"].map { [$0] } ?? []),
                                 passes: Double(config.setSize) * steps * 3)
    }

    /// The training seed of a model trained on a set of pipeline seed `seed` with set seed
    /// `setSeed`: the pipeline seed itself for set seed 0 (so a run with set_seeds = [0] trains
    /// exactly what it did before set seeds existed), a mix of both otherwise.
    static func trainingSeed(pipeline seed: UInt64, set setSeed: UInt64) -> UInt64 {
        guard setSeed != 0 else { return seed }
        var g = SeededGenerator(seed: seed ^ (setSeed &* 0x9E37_79B9_7F4A_7C15))
        return g.next()
    }

    /// A model trained on `set` (built with pipeline seed `seed`) with set seed `setSeed`.
    mutating func model(on set: TrainingSet, seed: UInt64, setSeed: UInt64, architecture: String? = nil) throws -> String {
        let arch = architecture ?? config.architecture
        let trainingSeed = RunPlanner.trainingSeed(pipeline: seed, set: setSeed)
        let suffix = "s\(seed)" + (setSeed == 0 ? "" : "-t\(setSeed)")
        switch set {
        case .constructed(let c):
            let built = try construct(c, seed: seed)
            return try train("train-\(c.name)-\(RunPlanner.slug(arch))-\(suffix)", architecture: arch, data: .constructed(c),
                             epochs: config.setEpochs, seed: trainingSeed, upstream: [built])
        case .subset:
            return try train("train-d_sub-\(RunPlanner.slug(arch))-\(suffix)", architecture: arch, data: .subset(size: config.setSize, seed: seed),
                             epochs: config.setEpochs, seed: trainingSeed)
        }
    }

    mutating func evaluation(of model: String, name: String) throws -> String {
        let work = EvaluateWork(epsilons: config.evalEpsilons, steps: config.evalSteps)
        let robust = Double(min(config.robustTestLimit, config.testLimit ?? config.robustTestLimit))
        return try planner.stage("eval-\(name)", .evaluate(work), data: data, upstream: [model],
                                 plugins: [work.attack, architectures[model]!],
                                 passes: Double(config.testLimit ?? 10000) + robust * Double(config.evalEpsilons.count * config.evalSteps) * 3)
    }
}

extension RunPlanner {
    /// The ensemble stage of `model` (nil with robust_evaluation = pgd): every member at L2
    /// headline_epsilon with the ensemble settings its plugin takes.
    mutating func ensemble(of model: String, name: String) throws -> String? {
        guard config.robustEvaluation == "ensemble" else { return nil }
        var members: [AttackSettings] = []
        var passes = 0.0
        for id in config.ensembleAttacks {
            let plugin = try planner.registry.attack(id)
            let accepted = Set(plugin.parameters.map(\.name))
            var parameters = ["norm": "l2", "epsilon": "\(config.headlineEpsilon)"]
            for (key, value) in [("steps", config.ensembleSteps), ("target-classes", config.ensembleTargetClasses),
                                 ("queries", config.ensembleQueries)] where accepted.contains(key) {
                parameters[key] = "\(value)"
            }
            parameters = parameters.filter { accepted.contains($0.key) }
            // Refused here, at planning, not in a stage job an hour later.
            _ = try plugin.makeAttack(try plugin.configuration(parameters))
            members.append(AttackSettings(attack: id, parameters: parameters))
            // A gradient step is about three forward passes; a query is one.
            let steps = Double(parameters["steps"].flatMap(Int.init) ?? 0) * Double(parameters["target-classes"].flatMap(Int.init) ?? 1)
            passes += 3 * steps + Double(parameters["queries"].flatMap(Int.init) ?? 0)
        }
        let images = min(config.ensembleTestLimit ?? config.robustTestLimit, config.robustTestLimit, config.testLimit ?? config.robustTestLimit)
        let work = EnsembleWork(members: members, epsilon: config.headlineEpsilon, examples: images, sanitySample: min(images, 100))
        // Upper bound: every member on every image (members stop on broken examples).
        return try planner.stage("ensemble-\(name)", .ensemble(work), data: data, upstream: [model],
                                 plugins: config.ensembleAttacks + [architectures[model]!], passes: Double(images) * passes)
    }

    func name(_ key: String) -> String { planner.stages.first { $0.key == key }?.name ?? key }

    /// The stages of one seed: Figure 2's models and sets, Table 1's, Figure 3's transfer.
    mutating func seed(_ seed: UInt64, experiments wanted: Set<ReproductionExperiment>) throws -> PlannedSeed {
        var out = PlannedSeed(seed: seed)
        // Models on D have no set seed; every set's model is trained once per set seed.
        var models: [(name: String, label: String, key: String, setSeed: UInt64?)] =
            [("standard", ModelResult.label("standard"), try standard(seed), nil)]
        var sets: [TrainingSet] = []
        if wanted.contains(.robustFeatures) {
            models.append(("robust", ModelResult.label("robust"), try robust(seed), nil))
            sets += [.constructed(.dR), .constructed(.dNR), .subset]
        }
        if wanted.contains(.nonRobustFeatures) {
            sets += [.subset, .constructed(.dRand)]
            if config.randAnyControl { sets.append(.constructed(.dRandAny)) }
            if config.robustSourceControl { sets.append(.constructed(.dRandRobust)) }
            sets += config.detEpsilons.map { .constructed(.dDet($0)) }
        }
        let relabelled: ConstructedSet = config.transferSet == "det" ? .dDet(config.detEpsilons[0]) : .dRand
        if wanted.contains(.transfer) { sets.append(.constructed(relabelled)) }
        var seen = Set<String>()
        sets = sets.filter { seen.insert($0.name).inserted }
        for set in sets {
            for t in config.setSeeds { models.append((set.name, set.label, try model(on: set, seed: seed, setSeed: t), t)) }
        }
        for case .constructed(let c) in sets {
            out.sets.append(PlannedSet(name: c.name, label: c.label, construction: try construct(c, seed: seed)))
        }
        for m in models {
            out.models.append(PlannedModel(name: m.name, label: m.label, train: m.key,
                                           evaluation: try evaluation(of: m.key, name: name(m.key)),
                                           ensemble: try ensemble(of: m.key, name: name(m.key)), setSeed: m.setSeed))
        }
        if wanted.contains(.transfer) {
            // Figure 3 uses the first set seed's models.
            let first = models.filter { $0.setSeed == nil || $0.setSeed == config.setSeeds[0] }
            out.transfer = try transfer(seed: seed, relabelled: relabelled, models: first.map { ($0.name, $0.key) })
        }
        return out
    }

    /// Figure 3: examples crafted on the standard model, the architectures trained on the
    /// relabelled set and on D, and the stage that measures them all.
    mutating func transfer(seed: UInt64, relabelled: ConstructedSet, models: [(name: String, key: String)]) throws -> String {
        let source = try standard(seed)
        let examplesWork = TransferExamplesWork(epsilon: config.transferEpsilon, steps: config.transferSteps)
        let robustImages = Double(min(config.robustTestLimit, config.testLimit ?? config.robustTestLimit))
        let examples = try planner.stage("transfer-examples-s\(seed)", .transferExamples(examplesWork), data: data, upstream: [source],
                                         plugins: ["pgd-l2", architectures[source]!], passes: robustImages * Double(config.transferSteps) * 3)
        var upstream = [examples] + models.map(\.key)
        for arch in config.transferArchitectures {
            upstream.append(try model(on: .constructed(relabelled), seed: seed, setSeed: config.setSeeds[0], architecture: arch))
            upstream.append(try train("target-\(RunPlanner.slug(arch))-s\(seed)", architecture: arch, data: .original(limit: config.transferTrainLimit),
                                      epochs: config.transferEpochs, seed: seed &+ 1000))
        }
        let work = TransferWork(seed: seed, relabelledSet: relabelled, epsilon: config.transferEpsilon, steps: config.transferSteps,
                                models: models.map(\.name), architectures: config.transferArchitectures)
        let archs = Set(upstream.dropFirst().compactMap { architectures[$0] }).sorted()
        return try planner.stage("transfer-s\(seed)", .transfer(work), data: data, upstream: upstream, plugins: archs,
                                 passes: robustImages * Double(upstream.count))
    }
}

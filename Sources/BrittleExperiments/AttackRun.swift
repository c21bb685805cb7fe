// One attack run over a labelled set, the single code path of `brittle attack`, `brittle
// evaluate`, the robust monitor of adversarial training and the reproduction's transfer
// examples: the targets (next or seeded random), batches through the host's runner with
// per-example seeds (run seed + dataset index), and the score. Not the attack itself (a plugin),
// nor where results are written (the CLI, the reproduction).
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// An attack, how it picks targets, its seed and its batch size, run over a labelled set.
public struct AttackRun {
    /// Which class a targeted attack aims at for an example of class y out of C.
    public enum Targeting: String, CaseIterable, Sendable {
        /// (y + 1) mod C.
        case next
        /// Uniform over the classes other than y, drawn from the run seed.
        case random
    }

    /// Batch size of `brittle attack` and `brittle evaluate`.
    public static let defaultBatchSize = 250

    /// The configured attack.
    public var attack: any Attack
    /// The target rule; nil for an untargeted attack.
    public var targeting: Targeting?
    /// Seed of random starts and random targets; example i is seeded `seed &+ i`.
    public var seed: UInt64
    /// Examples per call of the attack runner.
    public var batchSize: Int

    /// A run of `attack` with `targeting` (nil: untargeted), `seed` and `batchSize`.
    public init(attack: any Attack, targeting: Targeting? = nil, seed: UInt64 = 0, batchSize: Int = AttackRun.defaultBatchSize) {
        precondition(batchSize > 0, "batch size must be positive")
        self.attack = attack
        self.targeting = targeting
        self.seed = seed
        self.batchSize = batchSize
    }

    /// The target of each example of class `labels[i]` among `classCount` classes under `rule`
    /// (random targets come from one generator seeded with `seed ^ 0x7A46`, in example order).
    public static func targets(for labels: [Int], classCount: Int, rule: Targeting, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed ^ 0x7A46)
        return labels.map { y in
            switch rule {
            case .next:
                return (y + 1) % classCount
            case .random:
                let r = rng.nextInt(below: classCount - 1)
                return r >= y ? r + 1 : r
            }
        }
    }

    /// Adversarial versions of `images` toward `goal`, in batches of `batchSize`; example i is
    /// seeded `seed &+ i`. `progress` sees the examples done after each batch.
    public func craft(on model: Classifier, images: Tensor, goal: AttackGoal,
                      progress: ((Int) -> Void)? = nil) -> (inputs: Tensor, predictions: [Int]) {
        let n = images.batchSize
        var inputs: [Tensor] = []
        var predictions: [Int] = []
        var i = 0
        while i < n {
            let j = min(n, i + batchSize)
            let batch = i == 0 && j == n ? images : images.slice(i..<j)
            let r = runAttack(attack, on: model, inputs: batch, goal: i == 0 && j == n ? goal : goal.subset(Array(i..<j)),
                              exampleSeeds: (i..<j).map { seed &+ UInt64($0) })
            inputs.append(r.inputs)
            predictions += r.predictions
            i = j
            progress?(i)
        }
        return (inputs.count == 1 ? inputs[0] : Tensor.concatenate(inputs), predictions)
    }

    /// Attacks `data` (refused when `model` does not take its images): clean predictions, the
    /// targets, the adversarial examples and their predictions, and the score.
    public func run(on model: Classifier, _ data: LabeledDataset, progress: ((Int) -> Void)? = nil) throws -> AttackOutcome {
        try ModelMismatchError.checkInputs(of: model, fit: data, role: "test set")
        let clean = model.predict(data.images)
        let targets = targeting.map { AttackRun.targets(for: data.labels, classCount: model.classCount, rule: $0, seed: seed) }
        let goal: AttackGoal = targets.map { .targeted(TargetLabels($0)) } ?? .untargeted(TrueLabels(data.labels))
        let start = Date()
        let adversarial = craft(on: model, images: data.images, goal: goal, progress: progress)
        return AttackOutcome(
            adversarial: adversarial.inputs, cleanPredictions: clean, adversarialPredictions: adversarial.predictions,
            targets: targets, score: AttackScore(labels: data.labels, clean: clean, adversarial: adversarial.predictions, targets: targets),
            seconds: Date().timeIntervalSince(start))
    }
}

/// What an attack run produced.
public struct AttackOutcome {
    /// The adversarial examples (float32, never rounded to 8 bits).
    public var adversarial: Tensor
    /// The model's predictions on the clean examples.
    public var cleanPredictions: [Int]
    /// The model's predictions on the adversarial examples.
    public var adversarialPredictions: [Int]
    /// The targets of a targeted run.
    public var targets: [Int]?
    /// Clean and robust accuracy, success.
    public var score: AttackScore
    /// Seconds spent attacking (the clean predictions excluded).
    public var seconds: Double
}

/// attack.json: the configuration and figures of one attack run.
public struct AttackRecord: Codable, Sendable {
    public var model: String
    public var architecture: String
    public var attack: String
    public var attackVersion: String
    public var configuration: [String: String]
    public var threatModel: ThreatModel
    /// The target rule ("next", "random"), nil when untargeted.
    public var targeted: String?
    public var examples: Int
    public var cleanAccuracy: Double
    public var robustAccuracy: Double
    public var successRate: Double
    public var successDefinition: String
    public var seconds: Double
    public var seed: UInt64

    /// The record of `outcome`: `run` of `plugin` with `configuration` on the model at `model`.
    public init(model: String, architecture: String, plugin: any AttackPlugin, configuration: Configuration,
                run: AttackRun, outcome: AttackOutcome) {
        self.model = model
        self.architecture = architecture
        attack = plugin.id
        attackVersion = plugin.version
        self.configuration = configuration.text
        threatModel = run.attack.threatModel
        targeted = run.targeting?.rawValue
        examples = outcome.score.examples
        cleanAccuracy = outcome.score.cleanAccuracy
        robustAccuracy = outcome.score.robustAccuracy
        successRate = outcome.score.successRate
        successDefinition = outcome.score.successDefinition
        seconds = outcome.seconds
        seed = run.seed
    }
}

// Robust evaluation: clean and robust accuracy of a model under one attack configuration, the
// figures `brittle evaluate` and the robust monitor record (robustness.json's rows). Runs through
// AttackRun and scores with AttackScore; not an attack, nor the epsilon sweep (the CLI's).
import BrittleNN
import BrittlePlugins
import Foundation

/// Robust-evaluation figures of one attack configuration on a labelled set.
public struct RobustEvaluation: Codable, Sendable {
    /// Accuracy on clean inputs.
    public var cleanAccuracy: Float
    /// Accuracy on adversarial inputs, against the TRUE labels, over all examples.
    public var robustAccuracy: Float
    /// Fraction of the correctly classified clean examples that the attack made wrong.
    public var successOnCorrect: Float
    public var examples: Int
    public var seconds: Double
    /// How the figures are defined, stored with them (Documentation/attack-properties.md #8).
    public var definitions = "robustAccuracy = mean(pred(x_adv) == y) over all examples; successOnCorrect = fraction of examples with pred(x) == y whose pred(x_adv) != y"
}

/// Clean and robust accuracy of `model` under `attack` on `images` (untargeted): an AttackRun
/// with `seed` and `batchSize`, scored by AttackScore.
public func evaluateRobustness(_ model: Classifier, attack: any Attack, images: Tensor, labels: [Int],
                               batchSize: Int = AttackRun.defaultBatchSize, seed: UInt64 = 0,
                               progress: ((Int) -> Void)? = nil) -> RobustEvaluation {
    let start = Date.now
    let clean = model.predict(images)
    let run = AttackRun(attack: attack, seed: seed, batchSize: batchSize)
    let adversarial = run.craft(on: model, images: images, goal: .untargeted(TrueLabels(labels)), progress: progress)
    let score = AttackScore(labels: labels, clean: clean, adversarial: adversarial.predictions)
    // Float quotients of the counts: a Double quotient rounded to Float is the same number
    // (double rounding is harmless for division at these precisions).
    return RobustEvaluation(cleanAccuracy: Float(score.cleanAccuracy), robustAccuracy: Float(score.robustAccuracy),
                            successOnCorrect: Float(score.successOnCorrect),
                            examples: score.examples, seconds: Date.now.timeIntervalSince(start))
}

/// One attack configuration's row of robustness.json.
public struct EvaluationRow: Codable, Sendable {
    public var attack: String
    public var attackVersion: String
    public var configuration: [String: String]
    public var result: RobustEvaluation

    public init(attack: String, attackVersion: String, configuration: [String: String], result: RobustEvaluation) {
        self.attack = attack
        self.attackVersion = attackVersion
        self.configuration = configuration
        self.result = result
    }
}

/// robustness.json: a model's clean accuracy and its rows, one per attack configuration.
public struct EvaluationRecord: Codable, Sendable {
    public var model: String
    public var architecture: String
    public var dataset: String
    public var examples: Int
    public var cleanAccuracy: Float
    public var rows: [EvaluationRow]

    public init(model: String, architecture: String, dataset: String, examples: Int, cleanAccuracy: Float, rows: [EvaluationRow]) {
        self.model = model
        self.architecture = architecture
        self.dataset = dataset
        self.examples = examples
        self.cleanAccuracy = cleanAccuracy
        self.rows = rows
    }
}

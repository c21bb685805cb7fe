// An AutoAttack-style ensemble (Croce & Hein, ICML 2020): attacks run in sequence, each only on
// the examples still classified correctly (clean-misclassified examples are never attacked), and
// an example counts as robust only if it survives all of them. Per-example seeds as AttackRun's
// (run seed + dataset index), so an example's result does not depend on which others are still
// alive. Not the sanity flags (SanityChecks.swift), not the record written to disk
// (EnsembleRecord.swift), not the CLI (`brittle evaluate --ensemble`).
import BrittleNN
import BrittlePlugins
import Foundation

/// One attack of an ensemble: its plugin, its configuration and the attack made from them.
public struct EnsembleMember {
    /// The plugin the attack came from (kept so a check can re-configure it).
    public let plugin: any AttackPlugin
    /// The validated configuration.
    public let configuration: Configuration
    /// The configured attack.
    public let attack: any Attack

    /// The member `plugin` makes from `configuration` (throws the plugin's configuration errors).
    public init(plugin: any AttackPlugin, configuration: Configuration) throws {
        self.plugin = plugin
        self.configuration = configuration
        attack = try plugin.makeAttack(configuration)
    }

    /// The plugin's id ("apgd-ce").
    public var id: String { plugin.id }
    /// The plugin's version.
    public var version: String { plugin.version }
    /// Whether the attack uses input gradients or scores only.
    public var access: AttackAccess { attack.access }

    /// The same plugin with `changes` applied to this member's configuration text.
    public func reconfigured(_ changes: [String: String]) throws -> EnsembleMember {
        try EnsembleMember(plugin: plugin, configuration: try plugin.configuration(configuration.text.merging(changes) { $1 }))
    }
}

/// What became of one example in an ensemble evaluation.
public enum EnsembleOutcome: Equatable, Sendable, Codable, CustomStringConvertible {
    /// Misclassified clean: never attacked.
    case misclassified
    /// Classified correctly after every member.
    case robust
    /// Made wrong by the member with this id (the first that succeeded).
    case broken(by: String)

    /// "misclassified", "robust" or the id of the member that broke the example.
    public var description: String {
        switch self {
        case .misclassified: return "misclassified"
        case .robust: return "robust"
        case .broken(let id): return id
        }
    }

    /// Decodes "misclassified", "robust" or an attack id.
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = text == "misclassified" ? .misclassified : text == "robust" ? .robust : .broken(by: text)
    }

    /// Encodes `description`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// One member's row: what it attacked, what it broke, the robust accuracy after it.
public struct EnsembleMemberResult: Codable, Sendable, Equatable {
    /// The member's plugin id.
    public var attack: String
    /// The plugin's version.
    public var attackVersion: String
    /// The member's full configuration (epsilon included).
    public var configuration: [String: String]
    /// "gradients" or "scores".
    public var access: AttackAccess
    /// Examples still classified correctly when this member ran (the ones it attacked).
    public var attacked: Int
    /// Of those, the examples it made wrong.
    public var broken: Int
    /// Robust accuracy over all examples after this member (cumulative over the members so far).
    public var robustAccuracy: Double
    /// Wall-clock seconds this member took.
    public var seconds: Double
}

/// The figures of one ensemble evaluation.
public struct EnsembleResult: Codable, Sendable, Equatable {
    /// Number of examples.
    public var examples: Int
    /// Accuracy on the clean examples.
    public var cleanAccuracy: Double
    /// One row per member, in the order they ran.
    public var members: [EnsembleMemberResult]
    /// Robust accuracy after every member: the last row's.
    public var robustAccuracy: Double
    /// Per example, in dataset order.
    public var outcomes: [EnsembleOutcome]
    /// Per example: the clean prediction when misclassified, the breaking member's prediction
    /// when broken, the last member's (the true label) when robust.
    public var adversarialPredictions: [Int]
    /// The run seed: example i is seeded `seed &+ i` in every member.
    public var seed: UInt64
    /// How the figures are defined, stored with them (Documentation/attack-properties.md #8).
    public var definitions = "members run in order, each on the examples still classified correctly; robustAccuracy after a member = examples classified correctly after it and every member before it / all examples; an example is robust only if it survives every member"
}

/// Runs an ensemble of attacks over a labelled set.
public enum EnsembleEvaluation {
    /// AutoAttack's standard members as far as Brittle has them. AutoAttack's standard version
    /// runs APGD-CE, APGD-T, FAB-T and Square; Brittle has no FAB-T, so its figure can only be
    /// higher (never lower) than AutoAttack's on the same model, by whatever FAB-T alone breaks.
    public static let standardMembers = ["apgd-ce", "apgd-t", "square"]

    /// Untargeted ensemble evaluation of `model` on `images` with true `labels`: each member in
    /// turn attacks the examples still classified correctly, in batches of `batchSize`; example
    /// i is seeded `seed &+ i` in every member. `progress(member, done, total)` after each batch.
    /// Give each plugin once: outcomes name the breaking member by its id.
    public static func run(model: Classifier, members: [EnsembleMember], images: Tensor, labels: [Int],
                           seed: UInt64 = 0, batchSize: Int = AttackRun.defaultBatchSize,
                           progress: ((_ member: Int, _ done: Int, _ total: Int) -> Void)? = nil) -> EnsembleResult {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(images.batchSize == labels.count, "one label per image")
        let n = labels.count
        let clean = model.predict(images)
        var outcomes = (0..<n).map { clean[$0] == labels[$0] ? EnsembleOutcome.robust : .misclassified }
        var predictions = clean
        var rows: [EnsembleMemberResult] = []
        for (m, member) in members.enumerated() {
            let start = Date.now
            let alive = (0..<n).filter { outcomes[$0] == .robust }
            let adversarial = craft(member.attack, on: model, images: images, labels: labels, indices: alive,
                                    seed: seed, batchSize: batchSize) { progress?(m, $0, alive.count) }
            var broken = 0
            for (k, i) in alive.enumerated() {
                predictions[i] = adversarial[k]
                if adversarial[k] != labels[i] {
                    outcomes[i] = .broken(by: member.id)
                    broken += 1
                }
            }
            rows.append(EnsembleMemberResult(
                attack: member.id, attackVersion: member.version, configuration: member.configuration.text,
                access: member.access, attacked: alive.count, broken: broken,
                robustAccuracy: Double(alive.count - broken) / Double(max(n, 1)), seconds: Date.now.timeIntervalSince(start)))
        }
        let robust = outcomes.filter { $0 == .robust }.count
        let cleanCorrect = outcomes.filter { $0 != .misclassified }.count
        return EnsembleResult(examples: n, cleanAccuracy: Double(cleanCorrect) / Double(max(n, 1)), members: rows,
                              robustAccuracy: Double(robust) / Double(max(n, 1)), outcomes: outcomes,
                              adversarialPredictions: predictions, seed: seed)
    }

    /// Adversarial predictions of `attack` on the examples at `indices` (dataset positions),
    /// untargeted, in batches; example i is seeded `seed &+ i` whatever else is in its batch.
    static func craft(_ attack: any Attack, on model: Classifier, images: Tensor, labels: [Int], indices: [Int],
                      seed: UInt64, batchSize: Int, progress: (Int) -> Void) -> [Int] {
        var predictions: [Int] = []
        var k = 0
        while k < indices.count {
            let batch = Array(indices[k..<min(indices.count, k + batchSize)])
            let r = runAttack(attack, on: model, inputs: images.gather(batch),
                              goal: .untargeted(TrueLabels(batch.map { labels[$0] })),
                              exampleSeeds: batch.map { seed &+ UInt64($0) })
            predictions += r.predictions
            k += batch.count
            progress(k)
        }
        return predictions
    }
}

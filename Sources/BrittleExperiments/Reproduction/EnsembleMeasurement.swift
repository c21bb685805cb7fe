// The reproduction's strong evaluation of one model: the attack ensemble (EnsembleEvaluation,
// AutoAttack-style) at the headline L2 budget on the first robust-test images, with its sanity
// flags, as an ensemble stage writes it (ensemble.json) and results.json carries it (without the
// per-example outcomes). Not the ensemble itself, nor the report's rendering.
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// What an ensemble stage measured.
public struct EnsembleMeasurement: Codable, Sendable, Equatable {
    /// The stage's output file.
    static let file = "ensemble.json"

    /// The L2 budget.
    public var epsilon: Double
    /// Robust-test images attacked (the first ones).
    public var examples: Int
    public var cleanAccuracy: Float
    /// Accuracy after every member: an example counts only if it survives them all.
    public var robustAccuracy: Float
    /// Each member in order: examples attacked and broken, robust accuracy after it, seconds.
    public var members: [EnsembleMemberResult]
    /// The sanity flags raised (empty: none).
    public var flags: [SanityFlag]
    /// Examples the model and effort checks looked at.
    public var sanitySample: Int
    /// Per example: misclassified, robust, or the attack that broke it (ensemble.json only;
    /// results.json leaves it out).
    public var outcomes: [EnsembleOutcome]?

    /// The same figures without the per-example outcomes.
    var summary: EnsembleMeasurement {
        var s = self
        s.outcomes = nil
        return s
    }

    /// Runs `work`'s members against `model` on the first `work.examples` images of `data`.
    static func measure(_ work: EnsembleWork, model: Classifier, data: LabeledDataset, registry: Registry,
                        label: String) throws -> EnsembleMeasurement {
        let members = try work.members.map { m -> EnsembleMember in
            let plugin = try registry.attack(m.attack)
            return try EnsembleMember(plugin: plugin, configuration: try plugin.configuration(m.parameters))
        }
        let n = min(work.examples, data.count)
        let images = data.images.slice(0..<n), labels = Array(data.labels[0..<n])
        let bar = ProgressBar("\(label) ensemble eps \(ReproductionReport.number(work.epsilon))", total: n * members.count)
        let result = EnsembleEvaluation.run(model: model, members: members, images: images, labels: labels, seed: 0) { member, done, _ in
            bar.update(member * n + done, members[member].id)
        }
        let flags = SanityChecks.all(model: model, members: members, result: result, images: images, labels: labels,
                                     sample: min(work.sanitySample, n), seed: 0)
        return EnsembleMeasurement(epsilon: work.epsilon, examples: n, cleanAccuracy: Float(result.cleanAccuracy),
                                   robustAccuracy: Float(result.robustAccuracy), members: result.members, flags: flags,
                                   sanitySample: min(work.sanitySample, n), outcomes: result.outcomes)
    }
}

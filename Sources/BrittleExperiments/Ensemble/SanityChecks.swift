// The sanity flags of an ensemble evaluation, raised as AutoAttack's checks raise them (Croce &
// Hein 2020, autoattack/checks.py): signs that a robust-accuracy figure overstates robustness
// (masked or zero gradients, a randomised model, probabilities instead of logits, a black-box
// attack beating the white-box ones, an attack that gets stronger with less effort). Computed on
// the first min(n, sample) examples; sample 0 turns off the checks that cost forward passes or
// attack runs. A flag is a warning with figures, never a corrected number. Not the ensemble
// itself (EnsembleEvaluation.swift).
import BrittleNN
import BrittlePlugins
import Foundation

/// One raised sanity flag: what was measured, what it means and what to do.
public struct SanityFlag: Codable, Sendable, Equatable {
    /// "zero-gradients", "randomised-model", "probability-outputs", "black-box-beats-white-box"
    /// or "rises-with-effort".
    public var id: String
    /// The problem and what to do about it, in a sentence or two.
    public var message: String
    /// The measured figures behind the flag, by name.
    public var figures: [String: Double]
}

/// AutoAttack-style checks of a model and of an ensemble's result.
public enum SanityChecks {
    /// Examples the costly checks look at by default (AutoAttack's checks use a batch).
    public static let defaultSample = 200

    /// Every check: the model checks and rises-with-effort on the first min(n, `sample`)
    /// examples (none when `sample` is 0), black-box-beats-white-box on `result`.
    public static func all(model: Classifier, members: [EnsembleMember], result: EnsembleResult, images: Tensor, labels: [Int],
                           sample: Int = defaultSample, seed: UInt64 = 0, batchSize: Int = AttackRun.defaultBatchSize) -> [SanityFlag] {
        var flags = self.model(model, images: images, labels: labels, sample: sample, batchSize: batchSize)
        if let f = blackBoxBeatsWhiteBox(result) { flags.append(f) }
        if let f = risesWithEffort(model: model, members: members, images: images, labels: labels, sample: sample,
                                   seed: seed, batchSize: batchSize) { flags.append(f) }
        return flags
    }

    /// zero-gradients, randomised-model and probability-outputs on the first min(n, `sample`) examples.
    public static func model(_ model: Classifier, images: Tensor, labels: [Int], sample: Int = defaultSample,
                             batchSize: Int = AttackRun.defaultBatchSize) -> [SanityFlag] {
        let n = min(sample, labels.count)
        guard n > 0 else { return [] }
        let saved = model.mode
        model.mode = .evaluation
        defer { model.mode = saved }
        var zeroGradients = 0, differing = 0, probabilityRows = 0
        var maxDifference: Float = 0
        var k = 0
        while k < n {
            let range = k..<min(n, k + batchSize)
            let x = images.slice(range)
            let (_, logits, gradient) = model.lossAndInputGradient(x, labels: Array(labels[range]))
            let again = model.logits(x)
            let d = x.itemSize, c = logits.itemSize
            for i in 0..<range.count {
                if !(0..<d).contains(where: { gradient.scalars[i * d + $0] != 0 }) { zeroGradients += 1 }
                let row = Array(logits.scalars[(i * c)..<((i + 1) * c)])
                let rowAgain = Array(again.scalars[(i * c)..<((i + 1) * c)])
                if row != rowAgain {
                    differing += 1
                    maxDifference = max(maxDifference, zip(row, rowAgain).map { abs($0 - $1) }.max() ?? 0)
                }
                if row.allSatisfy({ $0 >= 0 }) && abs(row.reduce(0, +) - 1) <= 1e-4 { probabilityRows += 1 }
            }
            k = range.upperBound
        }
        var flags: [SanityFlag] = []
        if zeroGradients > 0 {
            flags.append(SanityFlag(
                id: "zero-gradients",
                message: "\(zeroGradients) of \(n) sampled examples have an exactly zero cross-entropy input gradient, so gradient-based attacks cannot move them "
                    + "and robust accuracy is overstated (gradient masking). Fix: look for saturated or non-differentiable layers; trust the score-based members' figure, not the gradient-based ones'",
                figures: ["examples": Double(n), "zeroGradientExamples": Double(zeroGradients), "share": Double(zeroGradients) / Double(n)]))
        }
        if differing > 0 {
            flags.append(SanityFlag(
                id: "randomised-model",
                message: "two forward passes on the same inputs gave different logits for \(differing) of \(n) sampled examples: the model is randomised, "
                    + "so one attack run underestimates what an adaptive attacker achieves. Fix: make the evaluation deterministic, or attack the expectation (EOT) and report it",
                figures: ["examples": Double(n), "differingExamples": Double(differing), "maxLogitDifference": Double(maxDifference)]))
        }
        if probabilityRows == n {
            flags.append(SanityFlag(
                id: "probability-outputs",
                message: "every sampled output row is non-negative and sums to 1 (within 1e-4): the model returns probabilities, not logits, and cross-entropy on them masks gradients. "
                    + "Fix: evaluate the model without its final softmax",
                figures: ["examples": Double(n), "probabilityRows": Double(probabilityRows)]))
        }
        return flags
    }

    /// Examples broken by score-based members that every gradient-based member before them
    /// left robust; flagged above max(1, 0.2% of n) (AutoAttack's check_square_sr). Nil when no
    /// score-based member follows a gradient-based one, or below the threshold.
    public static func blackBoxBeatsWhiteBox(_ result: EnsembleResult) -> SanityFlag? {
        guard let firstGradient = result.members.firstIndex(where: { $0.access == .gradients }) else { return nil }
        let scoreMembers = result.members[(firstGradient + 1)...].filter { $0.access == .scores }
        guard !scoreMembers.isEmpty else { return nil }
        let broken = scoreMembers.reduce(0) { $0 + $1.broken }
        let threshold = max(1, 0.002 * Double(result.examples))
        guard Double(broken) > threshold else { return nil }
        return SanityFlag(
            id: "black-box-beats-white-box",
            message: "score-based attacks (\(scoreMembers.map(\.attack).joined(separator: ", "))) broke \(broken) examples that the gradient-based attacks before them "
                + "left robust (more than \(String(format: "%g", threshold))): the gradients are likely masked or obfuscated, so white-box figures overstate robustness. "
                + "Fix: report the ensemble's figure, not a gradient attack's, and look for gradient masking (zero-gradients, probability-outputs)",
            figures: ["examples": Double(result.examples), "brokenByScoreBased": Double(broken), "threshold": threshold])
    }

    /// The first gradient-based member re-run on the first min(n, `sample`) examples with half
    /// its `steps` and with one more of its `restarts` (where it has them), same examples and
    /// seeds. Flagged when fewer steps leave LOWER robust accuracy, or one more restart HIGHER,
    /// than the configured attack: the attack is not converging, so its figure is unreliable.
    public static func risesWithEffort(model: Classifier, members: [EnsembleMember], images: Tensor, labels: [Int],
                                       sample: Int = defaultSample, seed: UInt64 = 0,
                                       batchSize: Int = AttackRun.defaultBatchSize) -> SanityFlag? {
        let n = min(sample, labels.count)
        guard n > 0, let member = members.first(where: { $0.access == .gradients }) else { return nil }
        let keys = Set(member.plugin.parameters.map(\.name))
        let steps = keys.contains("steps") ? member.configuration.int("steps") : nil
        let restarts = keys.contains("restarts") ? member.configuration.int("restarts") : nil
        let fewerSteps = steps.flatMap { $0 >= 2 ? try? member.reconfigured(["steps": String($0 / 2)]) : nil }
        let moreRestarts = restarts.flatMap { try? member.reconfigured(["restarts": String($0 + 1)]) }
        guard fewerSteps != nil || moreRestarts != nil else { return nil }
        let x = images.slice(0..<n), y = Array(labels[0..<n])
        let clean = model.predict(x)
        let correct = (0..<n).filter { clean[$0] == y[$0] }
        func robustAccuracy(_ m: EnsembleMember) -> Double {
            let p = EnsembleEvaluation.craft(m.attack, on: model, images: x, labels: y, indices: correct,
                                             seed: seed, batchSize: batchSize) { _ in }
            return Double(zip(correct, p).filter { y[$0.0] == $0.1 }.count) / Double(n)
        }
        let configured = robustAccuracy(member)
        var figures = ["examples": Double(n), "robustAccuracy": configured]
        var problems: [String] = []
        if let fewerSteps, let steps {
            let a = robustAccuracy(fewerSteps)
            figures["steps"] = Double(steps)
            figures["robustAccuracyHalfSteps"] = a
            if a < configured {
                problems.append(String(format: "with %d steps instead of %d robust accuracy is lower (%.2f%% < %.2f%%)", steps / 2, steps, 100 * a, 100 * configured))
            }
        }
        if let moreRestarts, let restarts {
            let a = robustAccuracy(moreRestarts)
            figures["restarts"] = Double(restarts)
            figures["robustAccuracyOneMoreRestart"] = a
            if a > configured {
                problems.append(String(format: "with %d restarts instead of %d robust accuracy is higher (%.2f%% > %.2f%%)", restarts + 1, restarts, 100 * a, 100 * configured))
            }
        }
        guard !problems.isEmpty else { return nil }
        return SanityFlag(
            id: "rises-with-effort",
            message: "\(member.id) on \(n) sampled examples: " + problems.joined(separator: "; ")
                + ": more effort made the attack weaker, so it is not converging and its figure is unreliable. Fix: check its step size and best-iterate tracking, or raise steps/restarts until the figure stops moving",
            figures: figures)
    }
}

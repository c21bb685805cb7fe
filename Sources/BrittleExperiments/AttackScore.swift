// How an attack is scored, in one place: counts of clean-correct, adversarial-correct, flipped
// (correct, then wrong) and target hits over a set of examples, and the rates every command and
// the reproduction report (clean and robust accuracy, success on correct examples, targeted
// success, transfer success). Not the attack run (AttackRun) nor where the figures are written.
import BrittleNN
import Foundation

/// Counts over one set of examples: the true labels, the model's clean and adversarial
/// predictions, and the targets of a targeted attack.
public struct AttackScore: Sendable, Equatable {
    /// Number of examples.
    public let examples: Int
    /// Examples whose clean prediction is the true label.
    public let cleanCorrect: Int
    /// Examples whose adversarial prediction is the true label.
    public let adversarialCorrect: Int
    /// Examples predicted correctly clean and wrongly adversarial: the attack's successes on them.
    public let flipped: Int
    /// Examples whose adversarial prediction is the target (nil for an untargeted attack).
    public let targetHits: Int?

    /// What `successRate` means for an untargeted attack (recorded with the figure).
    public static let untargetedDefinition = "fraction of correctly classified examples whose adversarial prediction is wrong"
    /// What `successRate` means for a targeted attack (recorded with the figure).
    public static let targetedDefinition = "fraction of all examples whose adversarial prediction equals the target"

    /// Scores `adversarial` predictions against `labels` (and `targets`, when targeted).
    public init(labels: [Int], clean: [Int], adversarial: [Int], targets: [Int]? = nil) {
        precondition(clean.count == labels.count && adversarial.count == labels.count, "one prediction per label")
        var cleanCorrect = 0, adversarialCorrect = 0, flipped = 0
        for i in labels.indices {
            let wasRight = clean[i] == labels[i], isRight = adversarial[i] == labels[i]
            if isRight { adversarialCorrect += 1 }
            if wasRight {
                cleanCorrect += 1
                if !isRight { flipped += 1 }
            }
        }
        examples = labels.count
        self.cleanCorrect = cleanCorrect
        self.adversarialCorrect = adversarialCorrect
        self.flipped = flipped
        targetHits = targets.map { t in
            precondition(t.count == labels.count, "one target per label")
            return Agreement.count(adversarial, t)
        }
    }

    /// Clean accuracy over all examples.
    public var cleanAccuracy: Double { Double(cleanCorrect) / Double(max(examples, 1)) }
    /// Robust accuracy: adversarial predictions against the TRUE labels, over all examples.
    public var robustAccuracy: Double { Double(adversarialCorrect) / Double(max(examples, 1)) }
    /// Success on the examples classified correctly clean: the share the attack made wrong.
    public var successOnCorrect: Double { Double(flipped) / Double(max(cleanCorrect, 1)) }
    /// The attack's success: target hits over all examples when targeted, else `successOnCorrect`.
    public var successRate: Double {
        targetHits.map { Double($0) / Double(max(examples, 1)) } ?? successOnCorrect
    }
    /// What `successRate` means here.
    public var successDefinition: String {
        targetHits == nil ? AttackScore.untargetedDefinition : AttackScore.targetedDefinition
    }
}

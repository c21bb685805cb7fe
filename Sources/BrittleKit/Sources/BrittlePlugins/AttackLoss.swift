// The losses an attack may ask the host to compute on the logits (plugin API 5): cross-entropy,
// the difference of logits ratio (DLR) and its targeted form (Croce & Hein, ICML 2020), and the
// logit margin (Carlini & Wagner 2017; the Square Attack's loss). Every value is one to
// MAXIMISE, whatever the goal, so a plugin cannot invert a sign; the host computes the value and
// its gradient with respect to the logits here, and the oracle pulls the gradient back to the
// input. Not here: the oracle (AttackRunner.swift) nor any attack.
import BrittleNN

/// A per-example objective on the logits that an attack maximises.
public enum AttackLoss: Sendable, Equatable {
    /// Cross-entropy of the true class (untargeted), or minus that of the target (targeted).
    case crossEntropy
    /// The difference of logits ratio, scale-invariant. Untargeted, true class y:
    /// -(z_y - max_{j != y} z_j) / (z_pi1 - z_pi3). Targeted, target t:
    /// -(max_{j != t} z_j - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2). z_pi1 >= z_pi2 >= ... are the
    /// sorted logits. With fewer classes the denominator falls back: z_pi1 - z_piC for 3 classes
    /// (targeted), 1 (a plain margin) for 2.
    case dlr
    /// Targeted DLR for an UNTARGETED goal, as APGD-T uses it: the true class y of the goal is
    /// pushed below `targets` t: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2). Success still
    /// means "not y". Only valid with `.untargeted` goals.
    case dlrToward(TargetLabels)
    /// The logit margin: max_{j != y} z_j - z_y (untargeted), z_t - max_{j != t} z_j (targeted).
    /// Positive means the example is broken (ties aside).
    case margin

    /// A short name for messages and records: "ce", "dlr", "dlr-targeted", "margin".
    public var name: String {
        switch self {
        case .crossEntropy: return "ce"
        case .dlr: return "dlr"
        case .dlrToward: return "dlr-targeted"
        case .margin: return "margin"
        }
    }

    /// The per-example values of this loss for `goal` on `logits` (N, C), and the gradient of
    /// their SUM with respect to the logits (each row depends on its own example only).
    public func evaluate(logits z: Tensor, goal: AttackGoal) -> (values: [Float], logitGradient: Tensor) {
        precondition(z.rank == 2 && z.shape[0] == goal.count, "AttackLoss: logits \(z.shape) for \(goal.count) examples")
        let N = z.shape[0], C = z.shape[1]
        switch (self, goal) {
        case (.crossEntropy, .untargeted(let y)):
            let (losses, dz) = CrossEntropy.evaluate(logits: z, labels: y.classes, reduction: .sum)
            return (losses, dz)
        case (.crossEntropy, .targeted(let t)):
            let (losses, dz) = CrossEntropy.evaluate(logits: z, labels: t.classes, reduction: .sum)
            return (losses.map { -$0 }, dz * -1)
        case (.dlrToward, .targeted):
            preconditionFailure("AttackLoss.dlrToward needs an untargeted goal (the true classes); use .dlr for a targeted goal")
        default:
            break
        }
        var values = [Float](repeating: 0, count: N)
        let gradient = Tensor(shape: z.shape) { g, _ in
            z.withUnsafePointer { zp in
                for i in 0..<N {
                    values[i] = rowLoss(zp + i * C, C, example: i, goal: goal, gradient: g + i * C)
                }
            }
        }
        return (values, gradient)
    }

    /// One row: writes d(value)/dz into `g` and returns the value.
    private func rowLoss(_ z: UnsafePointer<Float>, _ C: Int, example i: Int, goal: AttackGoal,
                         gradient g: UnsafeMutablePointer<Float>) -> Float {
        g.update(repeating: 0, count: C)
        // The class that must lose (`low`) and the class it must lose to (`high`): the value's
        // numerator is z_high - z_low, positive when `high` wins.
        let low: Int, high: Int
        switch (self, goal) {
        case (.dlrToward(let t), .untargeted(let y)):
            low = y.classes[i]; high = t.classes[i]
        case (_, .untargeted(let y)):
            low = y.classes[i]; high = largest(z, C, except: low)
        case (_, .targeted(let t)):
            high = t.classes[i]; low = largest(z, C, except: high)
        }
        precondition(low >= 0 && low < C && high >= 0 && high < C, "AttackLoss: class outside 0..<\(C)")
        let numerator = z[high] - z[low]
        if case .margin = self {
            g[high] += 1; g[low] -= 1
            return numerator
        }
        // DLR: numerator / D, with D from the sorted logits (sorted indices, largest first).
        let order = (0..<C).sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }
        var weights: [(Int, Float)] = []   // D = sum of weight * z_index
        let targetedForm: Bool
        switch (self, goal) {
        case (.dlrToward, _), (_, .targeted): targetedForm = true
        default: targetedForm = false
        }
        if C >= 4 && targetedForm {
            weights = [(order[0], 1), (order[2], -0.5), (order[3], -0.5)]
        } else if C >= 3 {
            weights = [(order[0], 1), (order[2], -1)]
        }
        var denominator: Float = 1e-12
        for (j, w) in weights { denominator += w * z[j] }
        if weights.isEmpty { denominator = 1 }
        let value = numerator / denominator
        // d(n/D) = dn/D - n dD/D^2.
        g[high] += 1 / denominator
        g[low] -= 1 / denominator
        for (j, w) in weights { g[j] -= w * numerator / (denominator * denominator) }
        return value
    }

    private func largest(_ z: UnsafePointer<Float>, _ C: Int, except k: Int) -> Int {
        var best = -1
        for j in 0..<C where j != k && (best < 0 || z[j] > z[best]) { best = j }
        return best < 0 ? k : best
    }
}

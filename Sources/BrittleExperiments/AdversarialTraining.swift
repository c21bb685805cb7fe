// Madry et al. (2018) adversarial training as a batch hook for `train`: each mini-batch is
// (partly) replaced by adversarial examples crafted against the CURRENT model (an AttackRun),
// then the step runs in training mode. Plus the per-epoch monitor of held-out clean and robust
// accuracy with the catastrophic-overfitting check for FGSM training (Wong et al. 2020).
// Not the training loop (Training.swift) nor the attacks (plugins).
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// The batch hook: adversarial versions of the first `fraction` of each batch.
public func adversarialBatches(model: Classifier, attack: any Attack, fraction: Double = 1)
    -> (LabeledDataset, UInt64) throws -> LabeledDataset
{
    { batch, seed in
        let n = batch.count
        let k = min(n, Int((Double(n) * fraction).rounded()))
        guard k > 0 else { return batch }
        let x = k == n ? batch.images : batch.images.slice(0..<k)
        // One batch of k examples, example i seeded `seed &+ i`.
        let adv = AttackRun(attack: attack, seed: seed, batchSize: k)
            .craft(on: model, images: x, goal: .untargeted(TrueLabels(Array(batch.labels[0..<k]))))
        var out = batch
        if k == n {
            out.images = adv.inputs
        } else {
            out.images = Tensor.concatenate([adv.inputs, batch.images.slice(k..<n)])
        }
        return out
    }
}

/// Clean and robust accuracy of one monitored epoch.
public struct RobustMonitorEntry: Codable, Sendable {
    public var epoch: Int
    public var cleanAccuracy: Float
    /// Robust accuracy under each monitor attack, by its label (e.g. "pgd-linf eps=0.1 steps=10").
    public var robustAccuracy: [String: Float]
    public var warning: String?
}

/// Watches clean and robust accuracy on held-out data after each epoch.
public final class RobustMonitor {
    public let images: Tensor
    public let labels: [Int]
    /// (label, attack) pairs evaluated each epoch; the first is the training attack's own view.
    public let attacks: [(String, any Attack)]
    /// For FGSM training: the label of the FGSM monitor and of the PGD monitor to compare.
    public let overfitPair: (fgsm: String, pgd: String)?
    public private(set) var history: [RobustMonitorEntry] = []

    public init(images: Tensor, labels: [Int], attacks: [(String, any Attack)], overfitPair: (fgsm: String, pgd: String)? = nil) {
        self.images = images
        self.labels = labels
        self.attacks = attacks
        self.overfitPair = overfitPair
    }

    /// The catastrophic-overfitting rule (Wong et al. 2020): PGD robust accuracy collapses (under
    /// a third of its best so far, or under 5%) while the FGSM accuracy the training optimises
    /// stays at least 30 points higher. Returns the warning to show, or nil.
    public static func catastrophicOverfitting(fgsm f: Float, pgd p: Float, bestPGD: Float) -> String? {
        guard (p < bestPGD / 3 || p < 0.05) && f > p + 0.3 else { return nil }
        return String(format: "catastrophic overfitting: PGD robust accuracy %.1f%% (best so far %.1f%%) while FGSM accuracy is %.1f%%; the model has learned to defeat FGSM only. Use FGSM with random-start and a step of 1.25 eps, early stopping, or PGD training.",
                      100 * p, 100 * bestPGD, 100 * f)
    }

    /// Evaluates `model` after `epoch`; returns the entry (with a warning on catastrophic overfitting).
    @discardableResult
    public func observe(_ model: Classifier, epoch: Int) -> RobustMonitorEntry {
        var robust: [String: Float] = [:]
        var clean: Float = 0
        for (label, attack) in attacks {
            let r = evaluateRobustness(model, attack: attack, images: images, labels: labels, seed: 12345)
            robust[label] = r.robustAccuracy
            clean = r.cleanAccuracy
        }
        var entry = RobustMonitorEntry(epoch: epoch, cleanAccuracy: clean, robustAccuracy: robust, warning: nil)
        if let pair = overfitPair, let f = robust[pair.fgsm], let p = robust[pair.pgd] {
            let bestPGD = history.compactMap { $0.robustAccuracy[pair.pgd] }.max() ?? p
            entry.warning = RobustMonitor.catastrophicOverfitting(fgsm: f, pgd: p, bestPGD: bestPGD)
        }
        history.append(entry)
        return entry
    }
}

// Softmax cross-entropy on logits, computed stably with the log-sum-exp shift. Per-example
// losses are returned so attacks and robust accuracy can be scored per example; the gradient
// is that of the SUM (each row's gradient independent of the batch size) or the MEAN.
import Foundation

/// How per-example losses are combined into the gradient.
public enum Reduction: Sendable {
    case sum
    case mean
}

/// Softmax cross-entropy on logits (never on probabilities: that double softmax masks gradients).
public enum CrossEntropy {
    /// Losses -log softmax(z)[y] per row of `logits` (N, C), and d(reduced loss)/d logits.
    public static func evaluate(logits: Tensor, labels: [Int], reduction: Reduction = .mean)
        -> (losses: [Float], gradient: Tensor)
    {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                     "CrossEntropy: logits \(logits.shape) vs \(labels.count) labels")
        let N = logits.shape[0], C = logits.shape[1]
        var losses = [Float](repeating: 0, count: N)
        let scale: Float = reduction == .mean ? 1 / Float(max(N, 1)) : 1
        let grad = Tensor(shape: logits.shape) { gp, _ in
            logits.withUnsafePointer { zp in
                for i in 0..<N {
                    let z = zp + i * C, g = gp + i * C
                    let y = labels[i]
                    precondition(y >= 0 && y < C, "CrossEntropy: label \(y) outside 0..<\(C)")
                    var m = -Float.infinity
                    for j in 0..<C { m = max(m, z[j]) }
                    var s: Double = 0
                    for j in 0..<C { s += Foundation.exp(Double(z[j] - m)) }
                    let lse = Double(m) + Foundation.log(s)
                    losses[i] = Float(lse - Double(z[y]))
                    for j in 0..<C {
                        let p = Float(Foundation.exp(Double(z[j]) - lse))
                        g[j] = (p - (j == y ? 1 : 0)) * scale
                    }
                }
            }
        }
        return (losses, grad)
    }
}

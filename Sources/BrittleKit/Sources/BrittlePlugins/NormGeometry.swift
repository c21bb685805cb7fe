// What projected gradient methods need from a norm (Madry et al. 2018; Documentation/attack-properties.md): the steepest-ascent step
// direction, the projection onto the epsilon ball (a clip, never a rescale onto the sphere),
// and a uniform random start in the ball. All per example; nothing is pooled over the batch.
import BrittleNN
import Foundation

/// The norm-specific parts of PGD, on one example's flat perturbation. Shared by the attack
/// plugins (steps, random starts) and the host (the final projection of whatever a plugin returns).
public struct NormGeometry: Sendable {
    /// The norm whose ball this geometry steps in and projects onto.
    public let norm: Norm

    /// The geometry of `norm`'s ball.
    public init(_ norm: Norm) { self.norm = norm }

    /// Unit-size ascent direction for gradient g: sign(g) for Linf, g/||g||_2 for L2
    /// (zero for a zero gradient: no 0/0).
    public func direction(_ g: UnsafePointer<Float>, _ d: Int, into out: UnsafeMutablePointer<Float>) {
        switch norm {
        case .linf:
            for i in 0..<d { out[i] = g[i] > 0 ? 1 : (g[i] < 0 ? -1 : 0) }
        case .l2:
            var ss = 0.0
            for i in 0..<d { ss += Double(g[i]) * Double(g[i]) }
            let n = ss.squareRoot()
            let inv: Float = n > 0 && n.isFinite ? Float(1 / n) : 0
            for i in 0..<d { out[i] = g[i] * inv }
        }
    }

    /// Moves `x` in place by `length` along the unit direction of `g`: x + length * sign(g)
    /// (Linf), x + (length / ||g||_2) * g (L2; `x` unchanged for a zero or non-finite gradient
    /// norm). A negative length descends, as the representation inversion does. Returns whether
    /// `x` moved (false only for the L2 step's degenerate gradients).
    @discardableResult
    public func step(_ x: UnsafeMutablePointer<Float>, along g: UnsafePointer<Float>, _ d: Int, length: Float) -> Bool {
        switch norm {
        case .linf:
            for i in 0..<d { x[i] += length * (g[i] > 0 ? 1 : (g[i] < 0 ? -1 : 0)) }
        case .l2:
            var ss = 0.0
            for i in 0..<d { ss += Double(g[i]) * Double(g[i]) }
            let n = ss.squareRoot()
            guard n > 0, n.isFinite else { return false }
            let s = Float(Double(length) / n)
            for i in 0..<d { x[i] += s * g[i] }
        }
        return true
    }

    /// Projects delta onto the eps-ball in place: clip each coordinate (Linf) or shrink
    /// only when outside (L2). Idempotent; points inside are unchanged.
    public func project(_ delta: UnsafeMutablePointer<Float>, _ d: Int, epsilon: Float) {
        switch norm {
        case .linf:
            for i in 0..<d { delta[i] = min(max(delta[i], -epsilon), epsilon) }
        case .l2:
            var ss = 0.0
            for i in 0..<d { ss += Double(delta[i]) * Double(delta[i]) }
            let n = ss.squareRoot()
            if n > Double(epsilon) {
                let s = Float(Double(epsilon) / n)
                for i in 0..<d { delta[i] *= s }
            }
        }
    }

    /// A point uniform in the eps-ball: uniform per coordinate (Linf); for L2 a Gaussian
    /// direction with radius eps * U^(1/d), which is uniform in the ball, not on the sphere.
    public func randomStart(_ delta: UnsafeMutablePointer<Float>, _ d: Int, epsilon: Float, rng: inout SeededGenerator) {
        switch norm {
        case .linf:
            for i in 0..<d { delta[i] = (rng.nextUniform() * 2 - 1) * epsilon }
        case .l2:
            var ss = 0.0
            for i in 0..<d { delta[i] = rng.nextNormal(); ss += Double(delta[i]) * Double(delta[i]) }
            let radius = Double(epsilon) * pow(Double(rng.nextUniform()), 1 / Double(d))
            let s = ss > 0 ? Float(radius / ss.squareRoot()) : 0
            for i in 0..<d { delta[i] *= s }
        }
    }
}

extension ThreatModel {
    /// Projects each example of `candidate` into this threat model around `original`: the
    /// perturbation into the epsilon ball, then the result into [lowerBound, upperBound].
    /// Non-finite values are replaced by the original's (a broken attack gains nothing).
    public func project(_ candidate: Tensor, around original: Tensor) -> Tensor {
        precondition(candidate.shape == original.shape, "ThreatModel.project: shapes \(candidate.shape) and \(original.shape) differ")
        let geometry = NormGeometry(norm)
        let N = original.batchSize, d = original.itemSize
        var out = candidate
        var delta = [Float](repeating: 0, count: d)
        out.withUnsafeMutablePointer { o in
            original.withUnsafePointer { x in
                for i in 0..<N {
                    for j in 0..<d {
                        let v = o[i * d + j]
                        delta[j] = v.isFinite ? v - x[i * d + j] : 0
                    }
                    delta.withUnsafeMutableBufferPointer { geometry.project($0.baseAddress!, d, epsilon: epsilon) }
                    for j in 0..<d { o[i * d + j] = min(max(x[i * d + j] + delta[j], lowerBound), upperBound) }
                }
            }
        }
        return out
    }
}

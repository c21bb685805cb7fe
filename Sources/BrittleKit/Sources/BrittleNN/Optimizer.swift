// SGD with momentum (PyTorch's formulation: v = mu*v + g + wd*w; w -= lr*v, optional Nesterov)
// and the learning-rate schedules the experiments use. Weight decay skips parameters that do
// not decay (biases, batch-norm affine parameters).
import Foundation

/// Learning rate as a function of training progress.
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    /// The base rate throughout.
    case constant
    /// Multiply by `gamma` at each (fractional) epoch in `milestones`.
    case step(milestones: [Float], gamma: Float)
    /// Cosine decay from the base rate to `floor` times it over the whole run.
    case cosine(floor: Float)
    /// Linear interpolation through (epoch, multiplier) points (e.g. a one-cycle ramp).
    case piecewiseLinear(points: [[Float]])

    /// The rate at fractional epoch `t` of a run of `epochs` epochs with base rate `base`.
    public func rate(base: Float, epoch t: Float, epochs: Int) -> Float {
        switch self {
        case .constant:
            return base
        case let .step(milestones, gamma):
            let passed = milestones.filter { $0 <= t }.count
            var r = base
            for _ in 0..<passed { r *= gamma }
            return r
        case let .cosine(floor):
            let f = min(max(t / Float(max(epochs, 1)), 0), 1)
            let c = 0.5 * (1 + Float(cos(Double.pi * Double(f))))
            return base * (floor + (1 - floor) * c)
        case let .piecewiseLinear(points):
            guard let first = points.first, let last = points.last else { return base }
            if t <= first[0] { return base * first[1] }
            if t >= last[0] { return base * last[1] }
            for (a, b) in zip(points, points.dropFirst()) where t >= a[0] && t <= b[0] {
                let u = (t - a[0]) / max(b[0] - a[0], 1e-12)
                return base * (a[1] + u * (b[1] - a[1]))
            }
            return base * last[1]
        }
    }
}

/// Stochastic gradient descent with momentum and decoupled-from-bias weight decay.
public final class SGD {
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    private var velocity: [ObjectIdentifier: [Float]] = [:]

    public init(momentum: Float = 0.9, weightDecay: Float = 5e-4, nesterov: Bool = false) {
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// The momentum buffer of `parameter` (nil before its first step): saved with a training
    /// checkpoint so a resumed run continues bit for bit.
    public func velocity(of parameter: Parameter) -> [Float]? { velocity[ObjectIdentifier(parameter)] }

    /// Restores the momentum buffer of `parameter` (from a training checkpoint).
    public func setVelocity(_ v: [Float], of parameter: Parameter) {
        precondition(v.count == parameter.value.count, "velocity has \(v.count) values, the parameter \(parameter.value.count)")
        velocity[ObjectIdentifier(parameter)] = v
    }

    /// One update of every parameter from its accumulated gradient, at learning rate `lr`.
    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        for p in parameters {
            let key = ObjectIdentifier(p)
            if velocity[key] == nil { velocity[key] = [Float](repeating: 0, count: p.value.count) }
            let wd = p.decays ? weightDecay : 0
            let mu = momentum, nest = nesterov, n = p.value.count
            p.value.withUnsafeMutablePointer { w in
                p.gradient.withUnsafePointer { g in
                    // In place in the dictionary's storage (a local copy would be copied on write).
                    velocity[key]!.withUnsafeMutableBufferPointer { vb in
                        let vp = vb.baseAddress!
                        for i in 0..<n {
                            let d = g[i] + wd * w[i]
                            vp[i] = mu * vp[i] + d
                            w[i] -= lr * (nest ? d + mu * vp[i] : vp[i])
                        }
                    }
                }
            }
        }
    }
}

// The in-tree attack plugins: fgsm, pgd-linf and pgd-l2, three configurations of one PGD loop.
// Hyperparameters are validated here, at configuration time (Documentation/attack-properties.md #15).
import BrittleNN
import BrittlePlugins

/// Parameters every PGD-family attack takes.
func pgdParameters(norm: Norm, epsilon: Double, steps: Int?) -> [ParameterSpec] {
    var p = [
        ParameterSpec("epsilon", .float(0...1e6), default: .float(epsilon), help: "Radius of the \(norm == .l2 ? "L2" : "Linf") ball, in pixel units"),
        ParameterSpec("step-size", .float(0...1e6), default: .float(0),
                      help: steps == nil ? "Step length (0 = epsilon, or 1.25 epsilon with random-start)" : "Absolute step length (0 = use step-relative)"),
        ParameterSpec("random-start", .bool, default: .bool(false), help: "Start from a uniform point in the ball"),
        ParameterSpec("restarts", .int(1...1000), default: .int(1), help: "Independent runs; each example keeps its strongest"),
        ParameterSpec("lower-bound", .float(-1e6...1e6), default: .float(0), help: "Smallest valid input value"),
        ParameterSpec("upper-bound", .float(-1e6...1e6), default: .float(1), help: "Largest valid input value"),
    ]
    if let steps {
        p += [
            ParameterSpec("steps", .int(1...100_000), default: .int(steps), help: "Gradient steps"),
            ParameterSpec("step-relative", .float(0...1e3), default: .float(0),
                          help: "Step length as a multiple of epsilon (0 with step-size 0: 2.5 * epsilon / steps)"),
            ParameterSpec("best", .bool, default: .bool(true), help: "Keep each example's strongest iterate, not the last"),
        ]
    }
    return p
}

func makePGD(_ plugin: String, norm: Norm, _ c: Configuration, oneStep: Bool) throws -> any Attack {
    let eps = Float(c.float("epsilon"))
    let lo = Float(c.float("lower-bound")), hi = Float(c.float("upper-bound"))
    guard lo < hi else {
        throw ConfigurationError(plugin: plugin, parameter: "upper-bound", message: "must exceed lower-bound (\(lo)), got \(hi)")
    }
    let randomStart = c.bool("random-start")
    let steps = oneStep ? 1 : c.int("steps")
    var step = Float(c.float("step-size"))
    if oneStep {
        if step == 0 { step = randomStart ? 1.25 * eps : eps }
    } else {
        let rel = Float(c.float("step-relative"))
        if step > 0 && rel > 0 {
            throw ConfigurationError(plugin: plugin, parameter: "step-relative", message: "give step-size or step-relative, not both")
        }
        if step == 0 { step = rel > 0 ? rel * eps : 2.5 * eps / Float(steps) }
        if step > 2 * eps && eps > 0 {
            throw ConfigurationError(plugin: plugin, parameter: "step-size",
                                     message: "step \(step) exceeds 2 x epsilon (\(eps)): every step would be clipped; use at most \(2 * eps)")
        }
    }
    return PGDAttack(PGDSettings(threat: ThreatModel(norm: norm, epsilon: eps, lowerBound: lo, upperBound: hi),
                                 steps: steps, stepSize: step, randomStart: randomStart,
                                 restarts: c.int("restarts"), trackBest: oneStep ? true : c.bool("best")))
}

/// Fast gradient sign method: one signed step of epsilon (optionally from a random start).
public final class FGSMPlugin: AttackPlugin {
    public init() {}
    public let id = "fgsm"
    public let version = "1.0.0"
    public let summary = "Fast gradient sign method: one Linf step (optional random start)"
    public var parameters: [ParameterSpec] { pgdParameters(norm: .linf, epsilon: 0.1, steps: nil) }
    public func makeAttack(_ c: Configuration) throws -> any Attack { try makePGD(id, norm: .linf, c, oneStep: true) }
}

/// Projected gradient descent in the Linf ball.
public final class PGDLinfPlugin: AttackPlugin {
    public init() {}
    public let id = "pgd-linf"
    public let version = "1.0.0"
    public let summary = "Projected gradient ascent in the Linf ball (sign steps, coordinate clipping)"
    public var parameters: [ParameterSpec] { pgdParameters(norm: .linf, epsilon: 0.1, steps: 20) }
    public func makeAttack(_ c: Configuration) throws -> any Attack { try makePGD(id, norm: .linf, c, oneStep: false) }
}

/// Projected gradient descent in the L2 ball.
public final class PGDL2Plugin: AttackPlugin {
    public init() {}
    public let id = "pgd-l2"
    public let version = "1.0.0"
    public let summary = "Projected gradient ascent in the L2 ball (normalised steps, per-example projection)"
    public var parameters: [ParameterSpec] { pgdParameters(norm: .l2, epsilon: 1.0, steps: 20) }
    public func makeAttack(_ c: Configuration) throws -> any Attack { try makePGD(id, norm: .l2, c, oneStep: false) }
}

// The Auto-PGD attack plugins (Croce & Hein, ICML 2020): apgd-ce (cross-entropy), apgd-dlr (the
// DLR loss) and apgd-t (targeted DLR toward the top other classes), three configurations of one
// loop (APGD.swift), each in the Linf or L2 ball. Hyperparameters are validated here, at
// configuration time (Documentation/attack-properties.md #15). APGD has no step-size parameter:
// its step size starts at 2 epsilon and is halved by the schedule.
import BrittleNN
import BrittlePlugins

/// Parameters every APGD plugin takes (apgd-t adds `target-classes`).
func apgdParameters(targeted: Bool) -> [ParameterSpec] {
    var p = [
        ParameterSpec("norm", .choice(["linf", "l2"]), default: .string("linf"), help: "The threat model's norm"),
        ParameterSpec("epsilon", .float(0...1e6), default: .float(0.1),
                      help: "Radius of the ball, in pixel units (the default suits linf; for l2 give one, e.g. 1.0 as pgd-l2 uses)"),
        ParameterSpec("steps", .int(1...100_000), default: .int(100), help: "Gradient steps per run"),
        ParameterSpec("restarts", .int(1...1000), default: .int(1),
                      help: "Runs from new random starts, each on the examples not yet broken; each example keeps its strongest (without random-start: one run, which a restart would only repeat)"),
        ParameterSpec("random-start", .bool, default: .bool(true), help: "Start each run from a random point on the ball's surface (false: from the input)"),
        ParameterSpec("rho", .float(0...1), default: .float(0.75),
                      help: "Halve the step size at a checkpoint when the loss rose in fewer than this fraction of the steps since the last one"),
        ParameterSpec("momentum", .float(0...1), default: .float(0.75), help: "Weight alpha of the new step against the previous one (1: no momentum)"),
        ParameterSpec("stop-on-success", .bool, default: .bool(true),
                      help: "Stop attacking an example once it is broken (the results are the same; it saves oracle calls)"),
        ParameterSpec("lower-bound", .float(-1e6...1e6), default: .float(0), help: "Smallest valid input value"),
        ParameterSpec("upper-bound", .float(-1e6...1e6), default: .float(1), help: "Largest valid input value"),
    ]
    if targeted {
        p.append(ParameterSpec("target-classes", .int(1...1000), default: .int(9),
                               help: "Untargeted goals: how many of the highest-scoring other classes to target in turn (at most classes - 1 are used)"))
    }
    return p
}

func makeAPGD(_ plugin: String, objective: APGDObjective, _ c: Configuration) throws -> any Attack {
    let lo = Float(c.float("lower-bound")), hi = Float(c.float("upper-bound"))
    guard lo < hi else {
        throw ConfigurationError(plugin: plugin, parameter: "upper-bound", message: "must exceed lower-bound (\(lo)), got \(hi)")
    }
    let momentum = Float(c.float("momentum"))
    guard momentum > 0 else {
        throw ConfigurationError(plugin: plugin, parameter: "momentum", message: "must be above 0 (at 0 the gradient is never used); 1 means no momentum")
    }
    let randomStart = c.bool("random-start")
    let norm = Norm(rawValue: c.string("norm"))!  // the schema admits linf and l2 only
    return APGDAttack(APGDSettings(
        threat: ThreatModel(norm: norm, epsilon: Float(c.float("epsilon")), lowerBound: lo, upperBound: hi),
        objective: objective, steps: c.int("steps"), restarts: randomStart ? c.int("restarts") : 1, randomStart: randomStart,
        rho: Float(c.float("rho")), momentum: momentum, stopOnSuccess: c.bool("stop-on-success")))
}

/// APGD on the cross-entropy loss (targeted goals: minus the target's cross-entropy).
public final class APGDCEPlugin: AttackPlugin {
    public init() {}
    public let id = "apgd-ce"
    public let version = "1.0.0"
    public let summary = "Auto-PGD on cross-entropy: step size halved by a schedule, momentum, Linf or L2 (Croce & Hein 2020)"
    public var parameters: [ParameterSpec] { apgdParameters(targeted: false) }
    public func makeAttack(_ c: Configuration) throws -> any Attack { try makeAPGD(id, objective: .crossEntropy, c) }
}

/// APGD on the scale-invariant DLR loss (targeted goals: targeted DLR).
public final class APGDDLRPlugin: AttackPlugin {
    public init() {}
    public let id = "apgd-dlr"
    public let version = "1.0.0"
    public let summary = "Auto-PGD on the difference of logits ratio, Linf or L2 (Croce & Hein 2020)"
    public var parameters: [ParameterSpec] { apgdParameters(targeted: false) }
    public func makeAttack(_ c: Configuration) throws -> any Attack { try makeAPGD(id, objective: .dlr, c) }
}

/// APGD-T: for untargeted goals, targeted DLR toward each of the top other classes in turn.
public final class APGDTargetedPlugin: AttackPlugin {
    public init() {}
    public let id = "apgd-t"
    public let version = "1.0.0"
    public let summary = "Auto-PGD with targeted DLR toward each of the top-k other classes in turn, Linf or L2 (Croce & Hein 2020)"
    public var parameters: [ParameterSpec] { apgdParameters(targeted: true) }
    public func makeAttack(_ c: Configuration) throws -> any Attack {
        try makeAPGD(id, objective: .topClasses(c.int("target-classes")), c)
    }
}

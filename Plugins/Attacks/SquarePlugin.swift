// The `square` attack plugin: the Square Attack (Andriushchenko, Croce, Flammarion & Hein, ECCV
// 2020), score-based, in the Linf or the L2 ball. Its hyperparameters and their validation, at
// configuration time (Documentation/attack-properties.md #15). Not here: the search
// (SquareAttack.swift) nor the proposals (SquareProposals.swift).
import BrittleNN
import BrittlePlugins

/// The Square Attack: random search over squares, forward passes only (`access` is `.scores`).
public final class SquarePlugin: AttackPlugin {
    public init() {}
    public let id = "square"
    public let version = "1.0.0"
    public let summary = "Square Attack: score-based random search over squares (Linf or L2), margin loss"
    public var parameters: [ParameterSpec] {
        [
            ParameterSpec("norm", .choice(["linf", "l2"]), default: .string("linf"), help: "The threat model's norm"),
            ParameterSpec("epsilon", .float(0...1e6), default: .float(0.1),
                          help: "Radius of the ball, in pixel units (the default suits Linf on [0, 1]; pass your own for L2)"),
            ParameterSpec("queries", .int(1...100_000_000), default: .int(5000),
                          help: "Model queries per example in total, the initial one and every restart included; never exceeded"),
            ParameterSpec("p-init", .float(0...1), default: .float(0.8),
                          help: "Initial fraction of the pixels a square covers (halved on the reference's schedule)"),
            ParameterSpec("restarts", .int(1...1000), default: .int(1),
                          help: "Runs from fresh starts on the examples not yet broken; they split the query budget"),
            ParameterSpec("lower-bound", .float(-1e6...1e6), default: .float(0), help: "Smallest valid input value"),
            ParameterSpec("upper-bound", .float(-1e6...1e6), default: .float(1), help: "Largest valid input value"),
        ]
    }

    public func makeAttack(_ c: Configuration) throws -> any Attack {
        let lo = Float(c.float("lower-bound")), hi = Float(c.float("upper-bound"))
        guard lo < hi else {
            throw ConfigurationError(plugin: id, parameter: "upper-bound", message: "must exceed lower-bound (\(lo)), got \(hi)")
        }
        let pInit = c.float("p-init")
        guard pInit > 0 else {
            throw ConfigurationError(plugin: id, parameter: "p-init", message: "must be above 0 (a fraction of the pixels), got \(pInit)")
        }
        let norm = Norm(rawValue: c.string("norm"))!
        return SquareAttack(SquareSettings(threat: ThreatModel(norm: norm, epsilon: Float(c.float("epsilon")), lowerBound: lo, upperBound: hi),
                                           queries: c.int("queries"), pInit: pInit, restarts: c.int("restarts")))
    }
}

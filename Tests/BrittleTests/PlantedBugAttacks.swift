// Attack plugins with one planted bug each, for the conformance mutation tests: a copy of the
// in-tree PGD loop (Plugins/Attacks/PGD.swift) over the shared NormGeometry, where each
// `PlantedBug` switches on exactly one mistake that has shipped in a public attack library.
// With `.none` it must pass conformance, so every failure a mutant gets is its bug's. Not
// registered anywhere and not an attack to use.
import BrittleNN
import BrittlePlugins

enum PlantedBug: String, CaseIterable {
    case none
    case noLinfProjection  // the Linf clip removed
    case clipsInputNotDelta  // the ball clip applied to x + delta instead of delta
    case sphereProjection  // every delta rescaled onto the sphere instead of clipped
    case noBoxClamp  // x + delta never clamped to [lower, upper]
    case pooledL2Normalisation  // g / ||g|| over the whole batch (torch: grad / grad.norm())
    case pooledLinfNormalisation  // g / max|g| over the whole batch instead of sign(g)
    case batchRandomStream  // one random stream for the batch, seeded by the first example's seed
    case seedsByPosition  // example i's stream seeded by i, not by its seed
    case fixedSeed  // one fixed seed for every example
    case zeroGradientNaN  // g / ||g|| without the zero-gradient guard
    case invertedTargetSign  // "targeted means descend" on an oracle that already flips the sign
    case lastRestartOnly  // each restart starts the best-tracking afresh
    case lastIterate  // best tracking ignored: the last iterate returned
    case epsilonZeroUnbounded  // epsilon 0 read as "no budget"
    case negativeEpsilonAccepted  // no range on epsilon
    case mutatesInput  // result written back into the input's buffer
    case flattenedOutput  // returns (N, C*H*W)
    case noOp  // returns the input
}

/// A PGD plugin (norm chosen by a parameter) carrying `bug`.
final class PlantedBugPGDPlugin: AttackPlugin {
    let bug: PlantedBug
    init(_ bug: PlantedBug) { self.bug = bug }
    var id: String { "pgd-with-\(bug.rawValue)" }
    let version = "0.0.1"
    let summary = "PGD with a planted bug (conformance mutation tests only)"
    var parameters: [ParameterSpec] {
        [
            ParameterSpec("norm", .choice(["linf", "l2"]), default: .string("linf"), help: "Threat model norm"),
            ParameterSpec("epsilon", .float(bug == .negativeEpsilonAccepted ? -1e6...1e6 : 0...1e6), default: .float(0.1), help: "Ball radius"),
            ParameterSpec("step-size", .float(0...1e6), default: .float(0), help: "Step length (0 = 2.5 epsilon / steps)"),
            ParameterSpec("steps", .int(1...100_000), default: .int(3), help: "Gradient steps"),
            ParameterSpec("random-start", .bool, default: .bool(false), help: "Start uniform in the ball"),
            ParameterSpec("restarts", .int(1...1000), default: .int(1), help: "Independent runs"),
            ParameterSpec("lower-bound", .float(-1e6...1e6), default: .float(0), help: "Smallest input value"),
            ParameterSpec("upper-bound", .float(-1e6...1e6), default: .float(1), help: "Largest input value"),
            ParameterSpec("best", .bool, default: .bool(true), help: "Keep the strongest iterate"),
        ]
    }

    func makeAttack(_ c: Configuration) throws -> any Attack {
        let eps = Float(c.float("epsilon"))
        let lo = Float(c.float("lower-bound")), hi = Float(c.float("upper-bound"))
        guard lo < hi else { throw ConfigurationError(plugin: id, parameter: "upper-bound", message: "must exceed lower-bound") }
        let steps = c.int("steps")
        var step = Float(c.float("step-size"))
        if step == 0 { step = 2.5 * eps / Float(steps) }
        if step > 2 * eps && eps > 0 { throw ConfigurationError(plugin: id, parameter: "step-size", message: "exceeds 2 x epsilon") }
        let threat = ThreatModel(norm: Norm(rawValue: c.string("norm"))!, epsilon: eps, lowerBound: lo, upperBound: hi)
        return PlantedBugPGD(bug: bug, threat: threat, steps: steps, stepSize: step, randomStart: c.bool("random-start"),
                             restarts: c.int("restarts"), trackBest: c.bool("best"))
    }
}

final class PlantedBugPGD: Attack {
    let bug: PlantedBug, threatModel: ThreatModel, steps: Int, stepSize: Float, randomStart: Bool, restarts: Int, trackBest: Bool

    init(bug: PlantedBug, threat: ThreatModel, steps: Int, stepSize: Float, randomStart: Bool, restarts: Int, trackBest: Bool) {
        (self.bug, threatModel, self.steps, self.stepSize, self.randomStart, self.restarts, self.trackBest) =
            (bug, threat, steps, stepSize, randomStart, restarts, trackBest)
    }

    func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor {
        let N = x.batchSize, d = x.itemSize, eps = threatModel.epsilon
        if bug == .noOp || (eps == 0 && bug != .epsilonZeroUnbounded) { return x }
        let geometry = NormGeometry(threatModel.norm)
        var best = x
        var bestSucceeded = [Bool](repeating: false, count: N)
        var bestValue = [Float](repeating: -.infinity, count: N)
        func consider(_ candidate: Tensor, _ values: [Float], _ logits: Tensor) {
            let predictions = logits.argmaxRows()
            for i in 0..<N {
                let ok = succeeded(predictions[i], i, goal)
                let better = trackBest && bug != .lastIterate
                    ? (ok && !bestSucceeded[i]) || (ok == bestSucceeded[i] && values[i] > bestValue[i]) : true
                if better {
                    (bestSucceeded[i], bestValue[i]) = (ok, values[i])
                    for j in 0..<d { best.scalars[i * d + j] = candidate.scalars[i * d + j] }
                }
            }
        }
        for restart in 0..<restarts {
            if bug == .lastRestartOnly {
                bestSucceeded = [Bool](repeating: false, count: N)
                bestValue = [Float](repeating: -.infinity, count: N)
            }
            var xadv = x
            if randomStart {
                var delta = [Float](repeating: 0, count: d)
                var batchStream = SeededGenerator.stream(seed: exampleSeeds[0], index: UInt64(restart))
                for i in 0..<N {
                    var rng: SeededGenerator
                    switch bug {
                    case .seedsByPosition: rng = SeededGenerator.stream(seed: UInt64(i), index: UInt64(restart))
                    case .fixedSeed: rng = SeededGenerator.stream(seed: 0, index: UInt64(restart))
                    default: rng = SeededGenerator.stream(seed: exampleSeeds[i], index: UInt64(restart))
                    }
                    if bug == .batchRandomStream {
                        delta.withUnsafeMutableBufferPointer { geometry.randomStart($0.baseAddress!, d, epsilon: eps, rng: &batchStream) }
                    } else {
                        delta.withUnsafeMutableBufferPointer { geometry.randomStart($0.baseAddress!, d, epsilon: eps, rng: &rng) }
                    }
                    for j in 0..<d { xadv.scalars[i * d + j] = clamp(x.scalars[i * d + j] + delta[j]) }
                }
            }
            var dir = [Float](repeating: 0, count: d)
            var delta = [Float](repeating: 0, count: d)
            for _ in 0..<steps {
                let (values, logits, g) = oracle.objective(xadv, goal: goal)
                if trackBest { consider(xadv, values, logits) }
                let pooled = pooledScale(g)
                g.withUnsafePointer { gp in
                    for i in 0..<N {
                        dir.withUnsafeMutableBufferPointer { direction(geometry, gp + i * d, d, pooled, into: $0.baseAddress!) }
                        let sign: Float = bug == .invertedTargetSign && goal.isTargeted ? -1 : 1
                        for j in 0..<d { delta[j] = xadv.scalars[i * d + j] + sign * stepSize * dir[j] - x.scalars[i * d + j] }
                        if bug == .clipsInputNotDelta {
                            for j in 0..<d { delta[j] += x.scalars[i * d + j] }  // delta now holds x + delta
                            delta.withUnsafeMutableBufferPointer { project(geometry, $0.baseAddress!, d) }
                            for j in 0..<d { xadv.scalars[i * d + j] = clamp(delta[j]) }
                            continue
                        }
                        delta.withUnsafeMutableBufferPointer { project(geometry, $0.baseAddress!, d) }
                        for j in 0..<d { xadv.scalars[i * d + j] = clamp(x.scalars[i * d + j] + delta[j]) }
                    }
                }
            }
            let (values, logits, _) = oracle.objective(xadv, goal: goal)
            consider(xadv, values, logits)
        }
        if bug == .mutatesInput {
            x.withUnsafePointer { UnsafeMutablePointer(mutating: $0).update(from: best.scalars, count: N * d) }
        }
        return bug == .flattenedOutput ? best.reshaped([N, d]) : best
    }

    /// The batch-wide scale of the pooled-normalisation bugs (1 otherwise).
    func pooledScale(_ g: Tensor) -> Float {
        switch (bug, threatModel.norm) {
        case (.pooledL2Normalisation, .l2): return Float(g.dot(g).squareRoot())
        case (.pooledLinfNormalisation, .linf): return g.maxAbs()
        default: return 1
        }
    }

    func direction(_ geometry: NormGeometry, _ g: UnsafePointer<Float>, _ d: Int, _ pooled: Float, into out: UnsafeMutablePointer<Float>) {
        switch (bug, threatModel.norm) {
        case (.pooledL2Normalisation, .l2), (.pooledLinfNormalisation, .linf):
            for j in 0..<d { out[j] = pooled > 0 ? g[j] / pooled : 0 }
        case (.zeroGradientNaN, .l2):
            var ss: Float = 0
            for j in 0..<d { ss += g[j] * g[j] }
            for j in 0..<d { out[j] = g[j] / ss.squareRoot() }
        default:
            geometry.direction(g, d, into: out)
        }
    }

    func project(_ geometry: NormGeometry, _ delta: UnsafeMutablePointer<Float>, _ d: Int) {
        let eps = threatModel.epsilon
        switch bug {
        case .noLinfProjection where threatModel.norm == .linf: return
        case .epsilonZeroUnbounded where eps == 0: return
        case .sphereProjection:
            var n: Float = 0
            for j in 0..<d { n = threatModel.norm == .linf ? max(n, abs(delta[j])) : n + delta[j] * delta[j] }
            if threatModel.norm == .l2 { n = n.squareRoot() }
            if n > 0 { for j in 0..<d { delta[j] *= eps / n } }
        default:
            geometry.project(delta, d, epsilon: eps)
        }
    }

    func clamp(_ v: Float) -> Float {
        bug == .noBoxClamp ? v : min(max(v, threatModel.lowerBound), threatModel.upperBound)
    }

    func succeeded(_ prediction: Int, _ i: Int, _ goal: AttackGoal) -> Bool {
        switch goal {
        case .untargeted(let y): return prediction != y.classes[i]
        case .targeted(let t): return prediction == t.classes[i]
        }
    }
}

extension AttackGoal {
    var isTargeted: Bool { if case .targeted = self { return true } else { return false } }
}

// The Auto-PGD loop (Croce & Hein, ICML 2020; reference code autoattack/autopgd_base.py) over a
// norm geometry: step size 2 epsilon halved at checkpoints (APGDStepControl), a momentum step
// x_{k+1} = P(x_k + alpha (z_{k+1} - x_k) + (1 - alpha)(x_k - x_{k-1})) with
// z_{k+1} = P(x_k + eta * direction(gradient)), restarts from random starts, and APGD-T's sweep
// over target classes. Everything is per example: each has its own step size, best point and
// random stream, and an example dropped from the batch once broken leaves every other
// example's trajectory unchanged bit for bit. Not here: the plugins and their parameters
// (APGDPlugins.swift), the step-size rule (BrittlePlugins/APGDStepSize.swift).
import BrittleNN
import BrittlePlugins

/// What an APGD run maximises.
enum APGDObjective {
    /// Cross-entropy: of the true class (untargeted goal), minus that of the target (targeted).
    case crossEntropy
    /// The DLR loss (AttackLoss.dlr): untargeted, or targeted for a targeted goal.
    case dlr
    /// APGD-T. Untargeted goal: targeted DLR (AttackLoss.dlrToward) toward each of the `count`
    /// classes with the highest clean logits other than the true one, one after the other, each
    /// on the examples still unbroken. Targeted goal: AttackLoss.dlr toward the target.
    case topClasses(Int)
}

/// Hyperparameters of one APGD attack (validated by the plugin before construction).
struct APGDSettings {
    var threat: ThreatModel
    var objective: APGDObjective
    var steps: Int
    var restarts: Int
    var randomStart: Bool
    var rho: Float
    var momentum: Float
    var stopOnSuccess: Bool
}

final class APGDAttack: Attack {
    let settings: APGDSettings
    let schedule: APGDSchedule
    var threatModel: ThreatModel { settings.threat }

    init(_ settings: APGDSettings) {
        self.settings = settings
        schedule = APGDSchedule(steps: settings.steps)
    }

    /// Per example: the first point that breaks it in the earliest run that broke it, else the
    /// point with the highest loss over all runs.
    func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor {
        let N = x.batchSize, d = x.itemSize
        precondition(exampleSeeds.count == N && goal.count == N, "APGD: \(N) inputs, \(goal.count) labels, \(exampleSeeds.count) seeds")
        if settings.threat.epsilon == 0 { return x }
        var result = x
        var broken = [Bool](repeating: false, count: N)
        var bestValue = [Float](repeating: -.infinity, count: N)
        let losses = runLosses(x, goal: goal, oracle: oracle)
        for (r, loss) in losses.enumerated() {
            for restart in 0..<settings.restarts {
                let active = (0..<N).filter { !broken[$0] }
                if active.isEmpty { break }
                let run = attackOnce(x, active, goal: goal, loss: loss, oracle: oracle, exampleSeeds: exampleSeeds,
                                     stream: UInt64(r * settings.restarts + restart))
                for (p, i) in active.enumerated() where run.broken[p] || run.value[p] > bestValue[i] {
                    broken[i] = run.broken[p]
                    bestValue[i] = run.value[p]
                    for j in 0..<d { result.scalars[i * d + j] = run.points[p * d + j] }
                }
            }
        }
        return result
    }

    /// The loss of each run (one for APGD-CE and APGD-DLR, one per target rank for APGD-T),
    /// as a function of the examples the run attacks.
    func runLosses(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle) -> [([Int]) -> AttackLoss] {
        switch (settings.objective, goal) {
        case (.crossEntropy, _): return [{ _ in .crossEntropy }]
        case (.dlr, _), (.topClasses, .targeted): return [{ _ in .dlr }]
        case (.topClasses(let count), .untargeted(let y)):
            let C = oracle.classCount
            let z = oracle.scores(x, goal: goal, loss: .crossEntropy).logits
            // Each example's other classes by clean logit, highest first (ties: lower index).
            let ranked = (0..<x.batchSize).map { i in
                (0..<C).filter { $0 != y.classes[i] }.sorted { a, b in
                    let (za, zb) = (z.scalars[i * C + a], z.scalars[i * C + b])
                    return za > zb || (za == zb && a < b)
                }
            }
            return (0..<min(count, C - 1)).map { rank in
                { examples in .dlrToward(TargetLabels(examples.map { ranked[$0][rank] })) }
            }
        }
    }

    /// One APGD run on examples `active` of `x`, from random starts drawn from stream `stream`
    /// of each example's seed. Returns per active example the point to keep (the first that
    /// broke it, else the best-loss point), whether it broke, and the best loss.
    func attackOnce(_ x: Tensor, _ active: [Int], goal: AttackGoal, loss: ([Int]) -> AttackLoss, oracle: AttackOracle,
                    exampleSeeds: [UInt64], stream: UInt64) -> (points: [Float], broken: [Bool], value: [Float]) {
        let s = settings, d = x.itemSize, n = active.count
        let geometry = NormGeometry(s.threat.norm)
        var current = [Float](repeating: 0, count: n * d)
        for (p, i) in active.enumerated() {
            for j in 0..<d { current[p * d + j] = x.scalars[i * d + j] }
            if s.randomStart {
                var rng = SeededGenerator.stream(seed: exampleSeeds[i], index: stream)
                startPoint(&current, p, around: x, example: i, geometry, rng: &rng)
            }
        }
        var previous = current, gradient = current, best = current, bestGradient = current, firstBreak = current
        var broken = [Bool](repeating: false, count: n)
        var controls: [APGDStepControl] = []

        // Evaluates the examples at positions `live` at `current`; returns their values,
        // predictions and gradient rows, in the order of `live`.
        func evaluate(_ live: [Int]) -> (values: [Float], predictions: [Int], gradient: Tensor) {
            var batch = Tensor(shape: [live.count] + Array(x.shape.dropFirst()))
            for (b, p) in live.enumerated() { for j in 0..<d { batch.scalars[b * d + j] = current[p * d + j] } }
            let examples = live.map { active[$0] }
            let (values, logits, g) = oracle.objective(batch, goal: goal.subset(examples), loss: loss(examples))
            return (values, logits.argmaxRows(), g)
        }
        // Marks example position p broken at `current` the first time it succeeds.
        func noteSuccess(_ p: Int, prediction: Int) {
            guard !broken[p], goal.isMet(by: prediction, example: active[p]) else { return }
            broken[p] = true
            for j in 0..<d { firstBreak[p * d + j] = current[p * d + j] }
        }

        var live = Array(0..<n)
        let start = evaluate(live)
        for p in live {
            for j in 0..<d { gradient[p * d + j] = start.gradient.scalars[p * d + j] }
            controls.append(APGDStepControl(schedule: schedule, initialStepSize: 2 * s.threat.epsilon, rho: s.rho,
                                            startLoss: start.values[p]))
            noteSuccess(p, prediction: start.predictions[p])
        }
        bestGradient = gradient
        var z = [Float](repeating: 0, count: d), direction = [Float](repeating: 0, count: d)
        for k in 0..<s.steps {
            if s.stopOnSuccess { live = live.filter { !broken[$0] } }
            if live.isEmpty { break }
            let alpha: Float = k == 0 ? 1 : s.momentum
            for p in live {
                let o = p * d
                gradient.withUnsafeBufferPointer { g in
                    direction.withUnsafeMutableBufferPointer { geometry.direction(g.baseAddress! + o, d, into: $0.baseAddress!) }
                }
                let eta = controls[p].stepSize
                for j in 0..<d { z[j] = current[o + j] + eta * direction[j] }
                project(&z, around: x, example: active[p], geometry)
                if alpha != 1 {
                    for j in 0..<d {
                        z[j] = current[o + j] + alpha * (z[j] - current[o + j]) + (1 - alpha) * (current[o + j] - previous[o + j])
                    }
                    project(&z, around: x, example: active[p], geometry)
                }
                for j in 0..<d {
                    previous[o + j] = current[o + j]
                    current[o + j] = z[j]
                }
            }
            let step = evaluate(live)
            for (b, p) in live.enumerated() {
                let o = p * d
                for j in 0..<d { gradient[o + j] = step.gradient.scalars[b * d + j] }
                noteSuccess(p, prediction: step.predictions[b])
                let outcome = controls[p].record(loss: step.values[b])
                if outcome.isNewBest {
                    for j in 0..<d {
                        best[o + j] = current[o + j]
                        bestGradient[o + j] = gradient[o + j]
                    }
                }
                if outcome.halved {
                    // Continue from the best point with its gradient; the momentum term keeps
                    // x_{k-1}, as the reference code does.
                    for j in 0..<d {
                        current[o + j] = best[o + j]
                        gradient[o + j] = bestGradient[o + j]
                    }
                }
            }
        }
        let points = (0..<n).flatMap { p in Array((broken[p] ? firstBreak : best)[(p * d)..<((p + 1) * d)]) }
        return (points, broken, controls.map(\.bestLoss))
    }

    /// Replaces example position p of `points` (which holds x_i) by the reference code's random
    /// start: Linf x + eps t / max|t| with t uniform in [-1, 1]^d, L2 x + eps t / ||t||_2 with t
    /// standard normal; clamped to the box.
    func startPoint(_ points: inout [Float], _ p: Int, around x: Tensor, example i: Int, _ geometry: NormGeometry,
                    rng: inout SeededGenerator) {
        let d = x.itemSize, eps = settings.threat.epsilon
        var t = [Float](repeating: 0, count: d)
        var scale: Float = 0
        switch settings.threat.norm {
        case .linf:
            for j in 0..<d { t[j] = rng.nextUniform() * 2 - 1 }
            let largest = t.reduce(0) { max($0, abs($1)) }
            scale = largest > 0 ? eps / largest : 0
        case .l2:
            var ss = 0.0
            for j in 0..<d { t[j] = rng.nextNormal(); ss += Double(t[j]) * Double(t[j]) }
            scale = ss > 0 ? Float(Double(eps) / ss.squareRoot()) : 0
        }
        for j in 0..<d { t[j] = x.scalars[i * d + j] + scale * t[j] }
        project(&t, around: x, example: i, geometry)
        for j in 0..<d { points[p * d + j] = t[j] }
    }

    /// P: projects `point` onto the epsilon ball around example i of `x`, then into the box.
    func project(_ point: inout [Float], around x: Tensor, example i: Int, _ geometry: NormGeometry) {
        let d = x.itemSize, tm = settings.threat
        for j in 0..<d { point[j] -= x.scalars[i * d + j] }
        point.withUnsafeMutableBufferPointer { geometry.project($0.baseAddress!, d, epsilon: tm.epsilon) }
        for j in 0..<d { point[j] = min(max(x.scalars[i * d + j] + point[j], tm.lowerBound), tm.upperBound) }
    }
}

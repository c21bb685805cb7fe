// Projected gradient ascent (Madry et al. 2018) over a norm geometry: PGD-Linf, PGD-L2, and
// FGSM as the one-step configuration (Goodfellow et al. 2015; with random start, Wong et al.
// 2020). Best-iterate tracking keeps, per example, the iterate that first succeeds, else the
// one with the highest objective; restarts are aggregated per example the same way. So more
// steps or restarts never make an example less adversarial (Documentation/attack-properties.md #10).
import BrittleNN
import BrittlePlugins

/// Hyperparameters of one PGD run (validated by the plugin before construction).
struct PGDSettings {
    var threat: ThreatModel
    var steps: Int
    var stepSize: Float
    var randomStart: Bool
    var restarts: Int
    var trackBest: Bool
}

final class PGDAttack: Attack {
    let settings: PGDSettings
    var threatModel: ThreatModel { settings.threat }

    init(_ settings: PGDSettings) { self.settings = settings }

    func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor {
        let s = settings, N = x.batchSize, d = x.itemSize
        precondition(exampleSeeds.count == N && goal.count == N, "PGD: \(N) inputs, \(goal.count) labels, \(exampleSeeds.count) seeds")
        if s.threat.epsilon == 0 { return x }
        let geometry = NormGeometry(s.threat.norm)
        var best = x
        var bestSucceeded = [Bool](repeating: false, count: N)
        var bestValue = [Float](repeating: -.infinity, count: N)

        func consider(_ candidate: Tensor, _ values: [Float], _ logits: Tensor) {
            let predictions = logits.argmaxRows()
            for i in 0..<N {
                let ok = goal.isMet(by: predictions[i], example: i)
                let better = s.trackBest
                    ? (ok && !bestSucceeded[i]) || (ok == bestSucceeded[i] && values[i] > bestValue[i])
                    : true
                if better {
                    bestSucceeded[i] = ok
                    bestValue[i] = values[i]
                    for j in 0..<d { best.scalars[i * d + j] = candidate.scalars[i * d + j] }
                }
            }
        }

        for restart in 0..<s.restarts {
            var xadv = x
            if s.randomStart {
                var delta = [Float](repeating: 0, count: d)
                for i in 0..<N {
                    var rng = SeededGenerator.stream(seed: exampleSeeds[i], index: UInt64(restart))
                    delta.withUnsafeMutableBufferPointer { geometry.randomStart($0.baseAddress!, d, epsilon: s.threat.epsilon, rng: &rng) }
                    for j in 0..<d {
                        xadv.scalars[i * d + j] = clamp(x.scalars[i * d + j] + delta[j])
                    }
                }
            }
            var dir = [Float](repeating: 0, count: d)
            var delta = [Float](repeating: 0, count: d)
            for _ in 0..<s.steps {
                let (values, logits, g) = oracle.objective(xadv, goal: goal)
                if s.trackBest { consider(xadv, values, logits) }
                g.withUnsafePointer { gp in
                    for i in 0..<N {
                        dir.withUnsafeMutableBufferPointer { geometry.direction(gp + i * d, d, into: $0.baseAddress!) }
                        for j in 0..<d {
                            delta[j] = xadv.scalars[i * d + j] + s.stepSize * dir[j] - x.scalars[i * d + j]
                        }
                        delta.withUnsafeMutableBufferPointer { geometry.project($0.baseAddress!, d, epsilon: s.threat.epsilon) }
                        for j in 0..<d { xadv.scalars[i * d + j] = clamp(x.scalars[i * d + j] + delta[j]) }
                    }
                }
            }
            let (values, logits, _) = oracle.objective(xadv, goal: goal)
            consider(xadv, values, logits)
        }
        return best
    }

    @inline(__always) func clamp(_ v: Float) -> Float {
        min(max(v, settings.threat.lowerBound), settings.threat.upperBound)
    }
}

// The Square Attack's random search (Andriushchenko, Croce, Flammarion & Hein, "Square Attack: a
// query-efficient black-box adversarial attack via random search", ECCV 2020; reference
// autoattack/square.py): score-based, it asks the oracle only for the margin loss of its
// queries (AttackOracle.scores, never a gradient). Each example starts from the Linf stripes or
// the L2 pseudo-Gaussian grid and keeps a proposal when the margin rose or the example is now
// misclassified (or classified as its target); an example that is broken is queried no more, and
// each query holds only the live examples. `queries` is the TOTAL number of model queries per
// example, the initial one included, over all restarts: the restarts split it evenly, each with
// the p schedule rescaled to its own share (the reference gives every restart its own budget and
// makes one query more than its n_queries). Each restart runs only on the examples still unbroken
// and starts afresh from x; an unbroken example keeps the highest margin over its restarts.
// Randomness is per example (SquareProposals.swift). Not here: the proposals, the schedule
// (BrittlePlugins/SquareSchedule.swift), the hyperparameters (SquarePlugin.swift).
import BrittleNN
import BrittlePlugins

/// Hyperparameters of one Square Attack (validated by the plugin before construction).
struct SquareSettings {
    var threat: ThreatModel
    var queries: Int
    var pInit: Double
    var restarts: Int
}

final class SquareAttack: Attack {
    let settings: SquareSettings
    var threatModel: ThreatModel { settings.threat }
    var access: AttackAccess { .scores }

    init(_ settings: SquareSettings) { self.settings = settings }

    /// The queries restart r may make: `queries` split as evenly as possible, earlier restarts
    /// taking the remainder.
    func share(ofRestart r: Int) -> Int {
        settings.queries / settings.restarts + (r < settings.queries % settings.restarts ? 1 : 0)
    }

    func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor {
        let N = x.batchSize, d = x.itemSize
        precondition(exampleSeeds.count == N && goal.count == N, "Square: \(N) inputs, \(goal.count) labels, \(exampleSeeds.count) seeds")
        if settings.threat.epsilon == 0 || N == 0 { return x }
        let geometry = SquareGeometry(batchShape: x.shape, threat: settings.threat)
        var best = x.scalars
        var bestValue = [Float](repeating: -.infinity, count: N)
        var broken = [Bool](repeating: false, count: N)

        for restart in 0..<settings.restarts {
            let budget = share(ofRestart: restart)
            let live = (0..<N).filter { !broken[$0] }
            guard budget > 0 && !live.isEmpty else { continue }
            var rngs = live.map { SeededGenerator.stream(seed: exampleSeeds[$0], index: UInt64(restart)) }
            // This restart's best point and margin for each live example (k indexes `live`).
            var current = [Float](repeating: 0, count: live.count * d)
            var currentValue = [Float](repeating: -.infinity, count: live.count)
            var active = [Bool](repeating: true, count: live.count)
            x.withUnsafePointer { xp in
                current.withUnsafeMutableBufferPointer { cp in
                    for (k, i) in live.enumerated() {
                        switch settings.threat.norm {
                        case .linf: geometry.linfStart(xp + i * d, into: cp.baseAddress! + k * d, rng: &rngs[k])
                        case .l2: geometry.l2Start(xp + i * d, into: cp.baseAddress! + k * d, rng: &rngs[k])
                        }
                    }
                }
            }
            var candidate = current
            for iteration in -1..<(budget - 1) {
                let queried = active.indices.filter { active[$0] }
                if queried.isEmpty { break }
                if iteration >= 0 {
                    let p = SquareSchedule.fraction(pInit: settings.pInit, iteration: iteration, budget: budget)
                    x.withUnsafePointer { xp in
                        current.withUnsafeBufferPointer { cp in
                            candidate.withUnsafeMutableBufferPointer { np in
                                for k in queried {
                                    let i = live[k]
                                    switch settings.threat.norm {
                                    case .linf:
                                        geometry.linfProposal(xp + i * d, current: cp.baseAddress! + k * d, into: np.baseAddress! + k * d,
                                                              fraction: p, rng: &rngs[k])
                                    case .l2:
                                        geometry.l2Proposal(xp + i * d, current: cp.baseAddress! + k * d, into: np.baseAddress! + k * d,
                                                            fraction: p, rng: &rngs[k])
                                    }
                                }
                            }
                        }
                    }
                }
                // One query holding only the examples still live.
                var rows = [Float](); rows.reserveCapacity(queried.count * d)
                for k in queried { rows += candidate[(k * d)..<((k + 1) * d)] }
                let (values, logits) = oracle.scores(Tensor(shape: [queried.count] + Array(x.shape.dropFirst()), scalars: rows),
                                                     goal: goal.subset(queried.map { live[$0] }), loss: .margin)
                let predictions = logits.argmaxRows()
                for (row, k) in queried.enumerated() {
                    let i = live[k]
                    let nowBroken = goal.isMet(by: predictions[row], example: i)
                    guard nowBroken || values[row] > currentValue[k] else { continue }
                    currentValue[k] = values[row]
                    for j in 0..<d { current[k * d + j] = candidate[k * d + j] }
                    if nowBroken {
                        active[k] = false
                        broken[i] = true
                    }
                }
            }
            // Broken examples keep the point that broke them; the others their highest margin.
            for (k, i) in live.enumerated() where broken[i] || currentValue[k] > bestValue[i] {
                bestValue[i] = currentValue[k]
                for j in 0..<d { best[i * d + j] = current[k * d + j] }
            }
        }
        return Tensor(shape: x.shape, scalars: best)
    }
}

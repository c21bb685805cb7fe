// The per-example independence check of AttackConformance (#1 of Documentation/attack-properties.md):
// example i's raw proposal, given its own seed, is bit-identical alone, among examples whose
// gradients are orders of magnitude larger or smaller, in another order and in batches of other
// sizes. Pooling anything over the batch (a step normalised by the batch's gradient norm, one
// random stream for the batch, seeds taken by position) shows as a difference here.
import BrittleNN
import BrittlePlugins

extension AttackCheck {
    /// The batches each probe is attacked in, as indices into probes (p) and fillers (f).
    private enum Member { case probe(Int), filler(Int) }

    func checkIndependence() {
        let m = gradientScaleModel(inputShape: shape, classes: 3, seed: 30)
        for variant in normVariants {
            guard let plain = attack(variant) else { continue }
            let tm = plain.threatModel
            let pool = randomImages(64, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 31)
            let scales = probesAtGradientScales(m, pool)
            let probes = pool.gather(scales.map(\.index))
            let fillers = pool.gather(Array(0..<7))
            let probeSeeds = exampleSeeds(probes.batchSize)
            let fillerSeeds = exampleSeeds(fillers.batchSize).map { $0 &+ 1_000_003 }
            let n = probes.batchSize
            // Largest gradient first, reversed, each probe beside the largest and the smallest,
            // and all probes spread through a larger batch of fillers.
            var batches: [(String, [Member])] = [
                ("all \(n) probes", (0..<n).map { .probe($0) }),
                ("all \(n) probes in reverse order", (0..<n).reversed().map { .probe($0) }),
                ("\(n + 7) examples, probes among fillers",
                 [.filler(0), .probe(2), .filler(1), .filler(2), .probe(0), .filler(3), .probe(3), .filler(4), .filler(5), .probe(1), .filler(6)]),
            ]
            for i in 1..<n { batches.append(("a pair with the largest-gradient example", [.probe(i), .probe(0)])) }
            batches.append(("a pair, the largest-gradient example first", [.probe(0), .probe(n - 1)]))

            for start in randomStartVariants {
                let settings = variant.merging(start) { $1 }
                guard let a = attack(settings) else { continue }
                let labels = m.predict(probes)
                let alone = (0..<n).map { i in
                    raw(a, m, probes.slice(i..<(i + 1)), .untargeted(TrueLabels([labels[i]])), [probeSeeds[i]])
                }
                let fillerLabels = m.predict(fillers)
                for (name, members) in batches {
                    var parts: [Tensor] = [], y: [Int] = [], s: [UInt64] = []
                    for member in members {
                        switch member {
                        case .probe(let i): parts.append(probes.slice(i..<(i + 1))); y.append(labels[i]); s.append(probeSeeds[i])
                        case .filler(let j): parts.append(fillers.slice(j..<(j + 1))); y.append(fillerLabels[j]); s.append(fillerSeeds[j])
                        }
                    }
                    let out = raw(a, m, Tensor.concatenate(parts), .untargeted(TrueLabels(y)), s)
                    var worst: (probe: Int, position: Int, difference: Float)?
                    for (position, member) in members.enumerated() {
                        guard case .probe(let i) = member else { continue }
                        let difference = largestDifference(out.slice(position..<(position + 1)), alone[i])
                        if difference != 0 && difference >= (worst?.difference ?? 0) { worst = (i, position, difference) }
                    }
                    if let worst {
                        report.fail("#1 independence: an example with input-gradient norm \(scales[worst.probe].norm) differs by \(worst.difference) "
                                    + "between alone and in \(name) (batch size \(members.count), position \(worst.position); "
                                    + "\(tm.norm.rawValue), \(describe(settings, epsilon: tm.epsilon))): "
                                    + "is a step normalised, or a random stream shared, over the batch?")
                    }
                }
            }
            checkSeedsAreUsed(variant, probes, m)
        }
    }

    /// #1 seeds: with a random start, one example under two different seeds gets two different
    /// proposals (an attack that ignores `exampleSeeds` gives every example the same start).
    func checkSeedsAreUsed(_ variant: [String: String], _ probes: Tensor, _ m: Classifier) {
        guard names.contains("random-start") else { return }
        guard let plain = attack(variant) else { return }
        let eps = plain.threatModel.epsilon
        // One short step, so the proposals still show where each start was.
        var extra = variant.merging(["random-start": "true"]) { $1 }
        if names.contains("steps") { extra["steps"] = "1" }
        if names.contains("step-size") { extra["step-size"] = String(Double(eps / 4)) }
        guard let a = attack(extra) else { return }
        let twice = probes.gather([0, 0])
        let out = raw(a, m, twice, .untargeted(TrueLabels(m.predict(twice))), [11, 12])
        report.expect(out.slice(0..<1) != out.slice(1..<2),
                      "#1 seeds: one example under seeds 11 and 12 got bit-identical proposals with a random start (\(describe(extra, epsilon: eps))): are exampleSeeds ignored?")
    }
}

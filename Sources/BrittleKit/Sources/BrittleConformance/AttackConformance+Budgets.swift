// The budget checks of AttackConformance (#2, #3, #4 of Documentation/attack-properties.md): the plugin's
// RAW proposal, before the host re-projects it, must already lie in the ball and the box. Checked
// at step sizes of epsilon and more, where a missing or misplaced projection shows at once (at the
// default step size a projection may never trigger), over several steps, with and without random
// start, for each norm the plugin offers. Not here: the host's own projection (it is tested apart).
import BrittleNN
import BrittlePlugins

extension AttackCheck {
    /// Step sizes as multiples of epsilon: at epsilon itself, the largest many attacks accept
    /// (2), between (2.5, the Madry evaluation total) and far beyond (10).
    static let stepMultiples: [Float] = [1, 2, 2.5, 10]

    func checkBudgets() {
        for variant in normVariants {
            guard let plain = attack(variant) else { continue }
            let eps = plain.threatModel.epsilon
            guard eps > 0 else { continue }
            checkTinySteps(variant, eps)
            // The base configuration as given, then the sweep over step sizes, steps and starts.
            var runs: [[String: String]] = [variant]
            var accepted = 0
            let multiples: [Float?] = names.contains("step-size") ? Self.stepMultiples : [nil]
            let stepCounts: [String?] = names.contains("steps") ? ["1", "5"] : [nil]
            for multiple in multiples {
                for steps in stepCounts {
                    for start in randomStartVariants {
                        var extra = variant.merging(start) { $1 }
                        if let multiple { extra["step-size"] = String(Double(multiple * eps)) }
                        if let steps { extra["steps"] = steps }
                        do {
                            _ = try configure(extra)
                            runs.append(extra)
                            accepted += 1
                        } catch {
                            // A step beyond epsilon may be refused, if the refusal names the parameter.
                            report.expect((multiple ?? 1) > 1 && "\(error)".contains("step-size"),
                                          "#15 configuration: \(extra) rejected: \(error)")
                        }
                    }
                }
            }
            report.expect(accepted > 0, "#3 budget: no step size of epsilon or more was accepted, so the budget was not checked at large steps")
            for extra in runs { checkRawBudget(extra) }
            checkOtherBounds(variant, eps)
        }
    }

    /// One configuration's raw proposals on a linear model (its gradient keeps its direction, so
    /// unprojected steps add up) for random inputs and inputs far from 0 (x = 0.9 of the box).
    func checkRawBudget(_ extra: [String: String]) {
        guard let a = attack(extra) else { return }
        let tm = a.threatModel
        let m = linearModel(inputShape: shape, classes: 3, seed: 5)
        let far = Tensor(shape: [2] + shape, repeating: tm.lowerBound + 0.9 * (tm.upperBound - tm.lowerBound))
        let x = Tensor.concatenate([randomImages(6, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 6), far])
        let proposed = raw(a, m, x, .untargeted(TrueLabels(m.predict(x))))
        expectInside(proposed, x, tm, "\(describe(extra, epsilon: tm.epsilon)); examples 6-7 are constant \(far.scalars[0])")
    }

    /// The ball (#3), the box (#4) and finite values (#6) for raw proposals, worst example named.
    func expectInside(_ proposed: Tensor, _ x: Tensor, _ tm: ThreatModel, _ context: String) {
        let norms = perExampleNorms(proposed, x, tm.norm)
        if let worst = norms.indices.max(by: { norms[$0] < norms[$1] }), norms[worst] > tm.epsilon * (1 + 1e-5) + 1e-6 {
            report.fail("#3 budget: raw proposal for example \(worst) has \(tm.norm.rawValue) norm \(norms[worst]), allowed \(tm.epsilon) (\(context))")
        }
        let d = x.itemSize
        if let j = proposed.scalars.indices.first(where: { !(proposed.scalars[$0] >= tm.lowerBound && proposed.scalars[$0] <= tm.upperBound) }) {
            report.fail("#4 box: raw proposal for example \(j / d) has value \(proposed.scalars[j]), allowed [\(tm.lowerBound), \(tm.upperBound)] (\(context))")
        }
    }

    /// #2: one step of epsilon/100 from the clean input stays near it. An attack that rescales
    /// every perturbation onto the sphere instead of clipping puts it at the boundary.
    func checkTinySteps(_ variant: [String: String], _ eps: Float) {
        guard names.contains("step-size") else { return }
        var extra = variant
        extra["step-size"] = String(Double(eps / 100))
        if names.contains("steps") { extra["steps"] = "1" }
        if names.contains("random-start") { extra["random-start"] = "false" }
        guard let a = attack(extra) else { return }
        let tm = a.threatModel
        let m = linearModel(inputShape: shape, classes: 3, seed: 7)
        let x = randomImages(6, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 8)
        let norms = perExampleNorms(raw(a, m, x, .untargeted(TrueLabels(m.predict(x)))), x, tm.norm)
        if let worst = norms.indices.max(by: { norms[$0] < norms[$1] }), norms[worst] >= eps / 2 {
            report.fail("#2 projection: one step of epsilon/100 moved example \(worst) to \(tm.norm.rawValue) norm \(norms[worst]), "
                        + "expected about \(eps / 100) (epsilon \(eps)): is every perturbation rescaled onto the sphere instead of clipped?")
        }
    }

    /// #4 with a box other than [0, 1]: the configured bounds are reported and kept.
    func checkOtherBounds(_ variant: [String: String], _ eps: Float) {
        guard names.contains("lower-bound") && names.contains("upper-bound") else { return }
        var extra = variant.merging(["lower-bound": "-1", "upper-bound": "0.5"]) { $1 }
        if names.contains("step-size") { extra["step-size"] = String(Double(eps)) }
        if names.contains("steps") { extra["steps"] = "5" }
        if names.contains("random-start") { extra["random-start"] = "true" }
        guard let a = attack(extra) else { return }
        let tm = a.threatModel
        report.expect(tm.lowerBound == -1 && tm.upperBound == 0.5,
                      "#4 box: configured [-1, 0.5], threat model reports [\(tm.lowerBound), \(tm.upperBound)]")
        let m = linearModel(inputShape: shape, classes: 3, seed: 9)
        let x = randomImages(8, shape, lo: -1, hi: 0.5, seed: 10)
        expectInside(raw(a, m, x, .untargeted(TrueLabels(m.predict(x)))), x, tm, describe(extra, epsilon: eps))
    }

    /// "step-size 2.5 epsilon = 0.25, steps 5, random-start true": the settings of a run, the
    /// step size also as a multiple of epsilon.
    func describe(_ extra: [String: String], epsilon: Float) -> String {
        let parts = extra.keys.sorted().map { key -> String in
            guard key == "step-size", let step = Float(extra[key]!), epsilon > 0 else { return "\(key) \(extra[key]!)" }
            return "step-size \(step / epsilon) epsilon = \(step)"
        }
        return parts.isEmpty ? "base configuration" : parts.joined(separator: ", ")
    }
}

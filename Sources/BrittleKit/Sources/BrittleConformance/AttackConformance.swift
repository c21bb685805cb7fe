// Conformance checks every attack plugin must pass, built-in or external: the properties of
// docs/attack-properties.md that hold for ANY attack (each row there is a bug that has shipped).
// Attack-specific closed forms (one FGSM step on a linear model, ...) live in the attack's tests.
import BrittleNN
import BrittlePlugins

public enum AttackConformance {
    /// Runs every check on `plugin` with `parameters` as the base configuration (e.g. a few
    /// steps to keep it fast). Returns the failed properties; empty means conformant.
    public static func check(_ plugin: any AttackPlugin, parameters: [String: String] = [:]) -> [String] {
        var r = ConformanceReport(plugin.id)
        let names = Set(plugin.parameters.map(\.name))
        func attack(_ extra: [String: String]) -> (any Attack)? {
            do { return try plugin.makeAttack(try plugin.configuration(parameters.merging(extra) { $1 })) } catch {
                r.expect(false, "configuration \(parameters.merging(extra) { $1 }) rejected: \(error)")
                return nil
            }
        }
        let shape = [1, 8, 8]

        // #15: invalid hyperparameters fail at configuration time, with the parameter named.
        if names.contains("epsilon") {
            do {
                _ = try plugin.makeAttack(try plugin.configuration(parameters.merging(["epsilon": "-1"]) { $1 }))
                r.expect(false, "epsilon = -1 accepted at configuration time (#15)")
            } catch { r.expect("\(error)".contains("epsilon"), "epsilon = -1 rejected without naming the parameter: \(error)") }
        }
        do {
            _ = try plugin.configuration(["no-such-parameter": "1"])
            r.expect(false, "an unknown parameter was accepted")
        } catch {}

        // #15: eps = 0 returns the input bit for bit.
        if names.contains("epsilon"), let a = attack(["epsilon": "0"]) {
            let m = smallConvModel(inputShape: shape, classes: 10, seed: 1)
            let x = randomImages(6, shape, seed: 2)
            let out = runAttack(a, on: m, inputs: x, goal: .untargeted(TrueLabels(Array(0..<6))), exampleSeeds: seeds(6))
            r.expect(out.inputs == x, "epsilon = 0 did not return the input bit for bit")
        }

        guard let a = attack([:]) else { return r.failures }
        let tm = a.threatModel

        // #16 inputs not mutated; #1/#2/#3/#4 raw proposals inside the ball and the box.
        do {
            let m = smallConvModel(inputShape: shape, classes: 10, seed: 3)
            var x = randomImages(8, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 4)
            // Very different gradient scales across the batch (attacks.md #1).
            for j in 0..<x.itemSize { x.scalars[j] *= 0.01 }
            let before = x
            // Labels = the model's own predictions: every example starts correctly classified,
            // so the attack has work to do (an already-wrong example may be returned as is).
            let proposed = withEvaluationMode(m) {
                a.perturb(x, goal: .untargeted(TrueLabels(m.predict(x))), oracle: ClassifierOracle(m), exampleSeeds: seeds(8))
            }
            r.expect(x == before, "the attack mutated its input (#16)")
            r.expect(proposed.shape == x.shape, "returned shape \(proposed.shape) for input \(x.shape)")
            if proposed.shape == x.shape {
                let norms = perExampleNorms(proposed, x, tm.norm)
                r.expect(norms.allSatisfy { $0 <= tm.epsilon * (1 + 1e-5) + 1e-6 },
                         "proposals outside the \(tm.norm.rawValue) ball of radius \(tm.epsilon): max norm \(norms.max() ?? 0) (#1/#2)")
                r.expect(proposed.scalars.allSatisfy { $0 >= tm.lowerBound && $0 <= tm.upperBound },
                         "proposals outside the input box [\(tm.lowerBound), \(tm.upperBound)] (#4)")
                r.expect(proposed.scalars.allSatisfy { $0.isFinite }, "non-finite values in the proposals (#6)")
            }
        }

        // #3: the Linf/L2 budget is about delta, also far from 0 (x = 0.9).
        do {
            let m = smallConvModel(inputShape: shape, classes: 10, seed: 5)
            let x = Tensor(shape: [4] + shape, repeating: min(0.9, tm.upperBound))
            let out = runAttackRaw(a, m, x, .untargeted(TrueLabels(m.predict(x))))
            let norms = perExampleNorms(out, x, tm.norm)
            r.expect(norms.allSatisfy { $0 <= tm.epsilon * (1 + 1e-5) + 1e-6 }, "budget not respected around x = 0.9: max norm \(norms.max() ?? 0) (#3)")
        }

        // #1: attack(batch)[i] == attack(batch[i]) with per-example seeds.
        do {
            let m = smallConvModel(inputShape: shape, classes: 10, seed: 6)
            var x = randomImages(5, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 7)
            for j in 0..<x.itemSize { x.scalars[2 * x.itemSize + j] *= 0.001 }
            let y = m.predict(x)
            let s = seeds(5)
            let whole = runAttackRaw(a, m, x, .untargeted(TrueLabels(y)), s)
            for i in 0..<5 {
                let one = withEvaluationMode(m) {
                    a.perturb(x.slice(i..<(i + 1)), goal: .untargeted(TrueLabels([y[i]])), oracle: ClassifierOracle(m), exampleSeeds: [s[i]])
                }
                let d = zip(one.scalars, whole.slice(i..<(i + 1)).scalars).map { abs($0 - $1) }.max() ?? 0
                r.expect(d <= 1e-5, "example \(i) differs by \(d) between a batch and alone (#1: per-example steps, projections and seeds)")
            }
        }

        // #6: zero gradients (constant model) and saturated logits stay finite.
        do {
            let zero = linearModel(inputShape: shape, classes: 3, seed: 8)
            for p in zero.parameters { p.value = Tensor(shape: p.value.shape) }
            let x = randomImages(4, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 9)
            let out = runAttackRaw(a, zero, x, .untargeted(TrueLabels([0, 1, 2, 0])))
            r.expect(out.scalars.allSatisfy { $0.isFinite }, "NaN/Inf on a zero-gradient model (#6)")
            let hot = linearModel(inputShape: shape, classes: 3, seed: 10)
            for p in hot.parameters { p.value = p.value * 1e4 }
            let out2 = runAttackRaw(a, hot, x, .untargeted(TrueLabels([0, 1, 2, 0])))
            r.expect(out2.scalars.allSatisfy { $0.isFinite }, "NaN/Inf with logits scaled by 1e4 (#6)")
        }

        // #9: batch-norm statistics bit-identical, parameter gradients untouched, mode restored.
        do {
            let m = smallConvModel(inputShape: shape, classes: 10, seed: 11)
            m.mode = .training
            let buffers = m.namedBuffers.map { $0.1.value }
            m.zeroGradients()
            let x = randomImages(6, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 12)
            _ = runAttack(a, on: m, inputs: x, goal: .untargeted(TrueLabels(Array(0..<6))), exampleSeeds: seeds(6))
            r.expect(m.namedBuffers.map { $0.1.value } == buffers, "batch-norm running statistics changed (#9)")
            r.expect(m.parameters.allSatisfy { $0.gradient.maxAbs() == 0 }, "parameter gradients touched (#9)")
            r.expect(m.mode == .training, "model mode not restored (#9)")
        }

        // The attack does something: on a model whose inputs start correctly classified, the
        // largest budget's proposals move (a no-op attack would pass every check above).
        do {
            let m = smallConvModel(inputShape: shape, classes: 10, seed: 14)
            let x = randomImages(6, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 15)
            let out = runAttackRaw(a, m, x, .untargeted(TrueLabels(m.predict(x))))
            r.expect(tm.epsilon == 0 || out != x, "the attack returned its input unchanged on every example")
        }

        // #17: 2-, 3- and 10-class models; targeted goals are accepted.
        for classes in [2, 3, 10] {
            let m = smallConvModel(inputShape: shape, classes: classes, seed: UInt64(20 + classes))
            let x = randomImages(4, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 13)
            let out = runAttack(a, on: m, inputs: x, goal: .targeted(TargetLabels((0..<4).map { $0 % classes })), exampleSeeds: seeds(4))
            r.expect(out.predictions.allSatisfy { $0 >= 0 && $0 < classes }, "bad predictions with \(classes) classes (#17)")
        }
        // #10: with best tracking, robust accuracy never rises with more steps (at a fixed step
        // size, so shorter runs' iterates are a prefix of longer ones) or more restarts; #7: a
        // targeted attack's hit rate rises with steps.
        if names.contains("steps") && names.contains("step-size") {
            let m = smallConvModel(inputShape: shape, classes: 10, seed: 16)
            let x = randomImages(24, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 17)
            let y = m.predict(x)
            let step = String(Double(tm.epsilon) / 4)
            func robust(_ extra: [String: String]) -> Int? {
                guard let a = attack(extra.merging(["step-size": step]) { $1 }) else { return nil }
                let out = runAttack(a, on: m, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: seeds(24))
                return Agreement.count(out.predictions, y)
            }
            let bySteps = [1, 3, 9].compactMap { robust(["steps": "\($0)"]) }
            r.expect(bySteps == bySteps.sorted(by: >), "robust accuracy rose with more steps: \(bySteps) correct of 24 at 1/3/9 steps (#10)")
            if names.contains("restarts") && names.contains("random-start") {
                let byRestarts = [1, 3].compactMap { robust(["steps": "2", "random-start": "true", "restarts": "\($0)"]) }
                r.expect(byRestarts == byRestarts.sorted(by: >), "robust accuracy rose with more restarts: \(byRestarts) (#10)")
            }
            // Targets: each example's runner-up class (a random model may never predict some
            // classes at all, whatever the input).
            let z = m.logits(x)
            let targets = (0..<24).map { i -> Int in
                (0..<10).filter { $0 != y[i] }.max { z.scalars[i * 10 + $0] < z.scalars[i * 10 + $1] }!
            }
            // A budget that covers the box (random models need it to reach a chosen class).
            let big = tm.norm == .linf ? Double(tm.upperBound - tm.lowerBound) : Double(tm.upperBound - tm.lowerBound) * Double(x.itemSize).squareRoot()
            let hits = [1, 4, 16].compactMap { steps -> Int? in
                guard let a = attack(["steps": "\(steps)", "step-size": String(big / 8), "epsilon": String(big)]) else { return nil }
                let out = runAttack(a, on: m, inputs: x, goal: .targeted(TargetLabels(targets)), exampleSeeds: seeds(24))
                return Agreement.count(out.predictions, targets)
            }
            r.expect(hits == hits.sorted() && (hits.last ?? 0) > (hits.first ?? 0),
                     "targeted hit rate does not rise with steps: \(hits) of 24 at 1/4/16 steps (#7: is the targeted sign inverted?)")
        }
        return r.failures
    }

    static func seeds(_ n: Int) -> [UInt64] { (0..<n).map { UInt64($0) &* 7919 &+ 17 } }

    static func withEvaluationMode<T>(_ m: Classifier, _ body: () -> T) -> T {
        let saved = m.mode
        m.mode = .evaluation
        defer { m.mode = saved }
        return body()
    }

    /// The plugin's own proposal, before the host projects it.
    static func runAttackRaw(_ a: any Attack, _ m: Classifier, _ x: Tensor, _ goal: AttackGoal, _ s: [UInt64]? = nil) -> Tensor {
        withEvaluationMode(m) { a.perturb(x, goal: goal, oracle: ClassifierOracle(m), exampleSeeds: s ?? seeds(x.batchSize)) }
    }
}

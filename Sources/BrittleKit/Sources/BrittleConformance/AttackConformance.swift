// Conformance checks every attack plugin must pass, built-in or external: the properties of
// Documentation/attack-properties.md that hold for ANY attack (each row there is a bug that has shipped).
// This file: the entry point, configuration (#15), the returned shape and input safety (#16),
// zero gradients (#6), model state (#9) and class counts (#17). Budgets, per-example independence
// and search quality have their own files; attack-specific closed forms live in the attack's tests.
import BrittleNN
import BrittlePlugins

/// Checks an attack plugin against every row of Documentation/attack-properties.md that holds for
/// any attack; call it from the plugin's own tests:
/// `XCTAssertEqual(AttackConformance.check(MyAttackPlugin(), parameters: ["steps": "3"]), [])`.
public enum AttackConformance {
    /// Runs every check on `plugin` with `parameters` as the base configuration (e.g. a few
    /// steps to keep it fast). Returns the failed properties, each starting with its row number
    /// in Documentation/attack-properties.md ("#3 budget: ..."); empty means conformant.
    public static func check(_ plugin: any AttackPlugin, parameters: [String: String] = [:]) -> [String] {
        let c = AttackCheck(plugin, parameters)
        c.checkConfiguration()
        // Everything below runs the attack; a wrong shape would stop the host, so it stops here.
        guard let a = c.attack([:]), c.checkShapeAndInput(a) else { return c.report.failures }
        c.checkEpsilonZero()
        c.checkBudgets()
        c.checkIndependence()
        c.checkZeroGradients()
        c.checkModelState(a)
        c.checkSearch()
        return c.report.failures
    }
}

/// One conformance run: the plugin, its base parameters and the failures so far.
final class AttackCheck {
    let plugin: any AttackPlugin
    let base: [String: String]
    let names: Set<String>
    var report: ConformanceReport
    let shape = [1, 8, 8]

    init(_ plugin: any AttackPlugin, _ base: [String: String]) {
        self.plugin = plugin
        self.base = base
        names = Set(plugin.parameters.map(\.name))
        report = ConformanceReport(plugin.id)
    }

    /// The attack for the base parameters overridden by `extra`; throws what the plugin throws.
    func configure(_ extra: [String: String]) throws -> any Attack {
        try plugin.makeAttack(try plugin.configuration(base.merging(extra) { $1 }))
    }

    /// The attack for `extra`, or nil with a failure recorded: every configuration the checks
    /// ask for is valid.
    func attack(_ extra: [String: String]) -> (any Attack)? {
        do { return try configure(extra) } catch {
            report.fail("configuration \(base.merging(extra) { $1 }) rejected: \(error)")
            return nil
        }
    }

    /// One parameter override per norm the plugin offers through a `norm` choice parameter, or
    /// just the plugin's own norm.
    var normVariants: [[String: String]] {
        guard case .choice(let choices)? = plugin.parameters.first(where: { $0.name == "norm" })?.kind else { return [[:]] }
        let norms = choices.filter { Norm(rawValue: $0) != nil }
        return norms.isEmpty ? [[:]] : norms.map { ["norm": $0] }
    }

    /// Random start off and on, where the plugin has the switch.
    var randomStartVariants: [[String: String]] {
        names.contains("random-start") ? [["random-start": "false"], ["random-start": "true"]] : [[:]]
    }

    /// The plugin's own proposal, before the host projects it, with the model in evaluation mode.
    func raw(_ a: any Attack, _ m: Classifier, _ x: Tensor, _ goal: AttackGoal, _ s: [UInt64]? = nil) -> Tensor {
        withEvaluationMode(m) { a.perturb(x, goal: goal, oracle: ClassifierOracle(m), exampleSeeds: s ?? exampleSeeds(x.batchSize)) }
    }

    // #15: invalid hyperparameters fail at configuration time, with the parameter named.
    func checkConfiguration() {
        if names.contains("epsilon") {
            do {
                _ = try configure(["epsilon": "-1"])
                report.fail("#15 configuration: epsilon = -1 accepted at configuration time")
            } catch {
                report.expect("\(error)".contains("epsilon"), "#15 configuration: epsilon = -1 rejected without naming the parameter: \(error)")
            }
        }
        do {
            _ = try plugin.configuration(["no-such-parameter": "1"])
            report.fail("#15 configuration: an unknown parameter was accepted")
        } catch {}
    }

    // The returned shape first (the host stops on a wrong one), then #16: inputs not mutated.
    // The "before" copy owns its storage: a plugin writing through a pointer into the input's
    // shared buffer would change a plain copy too.
    func checkShapeAndInput(_ a: any Attack) -> Bool {
        let m = smallConvModel(inputShape: shape, classes: 10, seed: 3)
        let tm = a.threatModel
        let x = randomImages(8, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 4)
        let before = independentCopy(x)
        let proposed = raw(a, m, x, .untargeted(TrueLabels(m.predict(x))))
        report.expect(x == before, "#16 inputs: the attack modified its input tensor in place")
        report.expect(proposed.shape == x.shape, "shape: returned \(proposed.shape) for inputs \(x.shape); the host stops on this, so no further checks ran")
        return proposed.shape == x.shape
    }

    // #15: eps = 0 returns the input bit for bit, also when a step size is given.
    func checkEpsilonZero() {
        guard names.contains("epsilon") else { return }
        let m = smallConvModel(inputShape: shape, classes: 10, seed: 1)
        var overrides: [[String: String]] = [["epsilon": "0"]]
        if names.contains("step-size") { overrides.append(["epsilon": "0", "step-size": "0.05"]) }
        for extra in overrides {
            let a: any Attack
            do { a = try configure(extra) } catch {
                // Refusing a step size with a zero budget is fine, if said clearly.
                report.expect(extra.count > 1 && "\(error)".contains("step-size"), "#15 epsilon = 0: \(extra) rejected: \(error)")
                continue
            }
            let x = randomImages(6, shape, lo: a.threatModel.lowerBound, hi: a.threatModel.upperBound, seed: 2)
            let out = raw(a, m, x, .untargeted(TrueLabels(m.predict(x))))
            report.expect(out == x, "#15 epsilon = 0: \(extra) did not return the input bit for bit (largest change \(largestDifference(out, x)))")
        }
    }

    // #6: zero gradients (constant model) and saturated logits stay finite, for each norm; with
    // a zero gradient and no random start the input stays where it is. Also with the last iterate
    // (best = false), where best-iterate tracking cannot hide a NaN step.
    func checkZeroGradients() {
        let zero = linearModel(inputShape: shape, classes: 3, seed: 8)
        for p in zero.parameters { p.value = Tensor(shape: p.value.shape) }
        let hot = linearModel(inputShape: shape, classes: 3, seed: 10)
        for p in hot.parameters { p.value = p.value * 1e4 }
        let iterates: [[String: String]] = names.contains("best") ? [[:], ["best": "false"]] : [[:]]
        let still: [String: String] = names.contains("random-start") ? ["random-start": "false"] : [:]
        for variant in normVariants {
            for extra in iterates {
                let settings = variant.merging(extra) { $1 }.merging(still) { $1 }
                guard let a = attack(settings) else { continue }
                let tm = a.threatModel
                let x = randomImages(4, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 9)
                let goal = AttackGoal.untargeted(TrueLabels([0, 1, 2, 0]))
                let out = raw(a, zero, x, goal)
                let finite = out.scalars.allSatisfy(\.isFinite)
                report.expect(finite, "#6 zero gradients: NaN/Inf in the proposal (\(settings))")
                if finite && !still.isEmpty {
                    report.expect(out == x, "#6 zero gradients: the input moved by \(largestDifference(out, x)) without a gradient or a random start (\(settings))")
                }
                let saturated = raw(a, hot, x, goal)
                report.expect(saturated.scalars.allSatisfy(\.isFinite), "#6 saturated logits: NaN/Inf with logits scaled by 1e4 (\(settings))")
            }
        }
    }

    // #9: batch-norm statistics bit-identical, parameter gradients untouched, mode restored;
    // #17: 2-, 3- and 10-class models with targeted goals.
    func checkModelState(_ a: any Attack) {
        let tm = a.threatModel
        let m = smallConvModel(inputShape: shape, classes: 10, seed: 11)
        m.mode = .training
        let buffers = m.namedBuffers.map { $0.1.value }
        m.zeroGradients()
        let x = randomImages(6, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 12)
        _ = runAttack(a, on: m, inputs: x, goal: .untargeted(TrueLabels(Array(0..<6))), exampleSeeds: exampleSeeds(6))
        report.expect(m.namedBuffers.map { $0.1.value } == buffers, "#9 model state: batch-norm running statistics changed")
        report.expect(m.parameters.allSatisfy { $0.gradient.maxAbs() == 0 }, "#9 model state: parameter gradients touched")
        report.expect(m.mode == .training, "#9 model state: model mode not restored")

        for classes in [2, 3, 10] {
            let m = smallConvModel(inputShape: shape, classes: classes, seed: UInt64(20 + classes))
            let x = randomImages(4, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 13)
            let out = runAttack(a, on: m, inputs: x, goal: .targeted(TargetLabels((0..<4).map { $0 % classes })), exampleSeeds: exampleSeeds(4))
            report.expect(out.predictions.allSatisfy { $0 >= 0 && $0 < classes }, "#17 class counts: bad predictions with \(classes) classes")
        }
    }
}

// The search checks of AttackConformance (#7, #10, #18 of Documentation/attack-properties.md): the attack
// moves inputs it could break; with best-iterate tracking, an example a shorter run breaks (fewer
// steps at the same step size, fewer restarts) stays broken in a longer run; a targeted attack's
// hit rate rises with steps. Not here: closed forms of particular attacks (their own tests).
import BrittleNN
import BrittlePlugins

extension AttackCheck {
    func checkSearch() {
        guard let a = attack([:]) else { return }
        let tm = a.threatModel
        let m = smallConvModel(inputShape: shape, classes: 10, seed: 14)
        // #18: a no-op attack would pass every other check; this one starts correctly classified.
        let x0 = randomImages(6, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 15)
        let moved = raw(a, m, x0, .untargeted(TrueLabels(m.predict(x0))))
        report.expect(tm.epsilon == 0 || moved != x0, "#18 search: the attack returned its input unchanged on every example")

        guard names.contains("steps") && names.contains("step-size") else { return }
        let model = smallConvModel(inputShape: shape, classes: 10, seed: 16)
        let x = randomImages(24, shape, lo: tm.lowerBound, hi: tm.upperBound, seed: 17)
        let y = model.predict(x)
        let step = String(Double(tm.epsilon) / 4)
        // Which examples the host scores as misclassified after an attack with `extra`.
        func broken(_ extra: [String: String]) -> [Bool]? {
            guard let a = attack(extra.merging(["step-size": step]) { $1 }) else { return nil }
            let out = runAttack(a, on: model, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: exampleSeeds(24))
            return zip(out.predictions, y).map { $0 != $1 }
        }
        // #10: a shorter run's iterates are a prefix of a longer one's, so best tracking keeps
        // every example it broke.
        func expectKept(_ runs: [(String, [Bool]?)], _ question: String) {
            for (shorter, longer) in zip(runs, runs.dropFirst()) {
                guard let s = shorter.1, let l = longer.1, let i = s.indices.first(where: { s[$0] && !l[$0] }) else { continue }
                report.fail("#10 best iterate: example \(i) is misclassified after \(shorter.0) but not after \(longer.0) "
                            + "(step-size epsilon/4 = \(step)): \(question)")
            }
        }
        expectKept([1, 3, 9].map { ("\($0) steps", broken(["steps": "\($0)"])) }, "is the last iterate returned instead of the best?")
        if names.contains("restarts") && names.contains("random-start") {
            expectKept([1, 3].map { ("\($0) restarts", broken(["steps": "2", "random-start": "true", "restarts": "\($0)"])) },
                       "are restarts aggregated per batch, or the last restart or iterate kept?")
        }

        // #7: targets are each example's runner-up class (a random model may never predict some
        // classes at all, whatever the input), with a budget that covers the box.
        let z = model.logits(x)
        let targets = (0..<24).map { i -> Int in
            (0..<10).filter { $0 != y[i] }.max { z.scalars[i * 10 + $0] < z.scalars[i * 10 + $1] }!
        }
        let width = Double(tm.upperBound - tm.lowerBound)
        let big = tm.norm == .linf ? width : width * Double(x.itemSize).squareRoot()
        // Without random starts, so the rise comes from the steps alone.
        var deterministic: [String: String] = [:]
        if names.contains("random-start") { deterministic["random-start"] = "false" }
        if names.contains("restarts") { deterministic["restarts"] = "1" }
        var hits: [Int] = []
        var lastInputs: Tensor?
        for steps in [1, 4, 16] {
            let extra = deterministic.merging(["steps": "\(steps)", "step-size": String(big / 8), "epsilon": String(big)]) { $1 }
            guard let a = attack(extra) else { return }
            let out = runAttack(a, on: model, inputs: x, goal: .targeted(TargetLabels(targets)), exampleSeeds: exampleSeeds(24))
            hits.append(Agreement.count(out.predictions, targets))
            lastInputs = out.inputs
        }
        report.expect(hits == hits.sorted() && hits.last! > hits.first!,
                      "#7 targeted: hit rate does not rise with steps: \(hits) of 24 at 1/4/16 steps: is the targeted sign inverted?")
        // Best-iterate tracking can turn even a step the wrong way into a few chance hits; the
        // target's own loss shows the direction.
        let before = CrossEntropy.evaluate(logits: model.logits(x), labels: targets, reduction: .sum).0
        let after = CrossEntropy.evaluate(logits: model.logits(lastInputs!), labels: targets, reduction: .sum).0
        let lowered = zip(after, before).filter { $0 < $1 }.count
        report.expect(lowered * 2 > 24, "#7 targeted: after 16 steps the target's loss fell for only \(lowered) of 24 examples: is the targeted sign inverted?")
    }
}

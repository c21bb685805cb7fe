// The Auto-PGD plugins (apgd-ce, apgd-dlr, apgd-t; Plugins/Attacks/APGD*.swift) beyond the
// generic conformance suite (run for them in AttackConformanceMutationTests): the step and
// momentum formulas and the return to the best point on a scripted one-pixel oracle, the losses
// and targets each plugin asks the host for, stop-on-success, configuration errors, and attack
// strength against PGD. The step-size rule alone is in APGDStepSizeTests.swift.
import BrittleConformance
import BrittleExperiments
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

/// A one-pixel model seen through the oracle interface: the value and the gradient's sign of
/// each call are scripted by call number; the logits always predict class 0. Records where it
/// was queried.
private final class ScriptedOracle: AttackOracle {
    let value: (Int) -> Float, gradientSign: (Int) -> Float
    var queried: [Float] = []
    init(value: @escaping (Int) -> Float, gradientSign: @escaping (Int) -> Float) {
        self.value = value
        self.gradientSign = gradientSign
    }
    var classCount: Int { 2 }
    func objective(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor, gradient: Tensor) {
        precondition(x.count == 1, "one pixel")
        let call = queried.count
        queried.append(x.scalars[0])
        return ([value(call)], Tensor(shape: [1, 2], scalars: [1, 0]), Tensor(shape: x.shape, scalars: [gradientSign(call)]))
    }
    func scores(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor) { fatalError("not used") }
}

/// A classifier oracle that records the batch size and loss of every objective call.
private final class APGDRecordingOracle: AttackOracle {
    let base: ClassifierOracle
    var calls: [(batch: Int, loss: AttackLoss)] = []
    init(_ model: Classifier) { base = ClassifierOracle(model) }
    var classCount: Int { base.classCount }
    func objective(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor, gradient: Tensor) {
        calls.append((x.batchSize, loss))
        return base.objective(x, goal: goal, loss: loss)
    }
    func scores(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor) { base.scores(x, goal: goal, loss: loss) }
}

final class APGDAttackTests: XCTestCase {
    let ids = ["apgd-ce", "apgd-dlr", "apgd-t"]

    func attack(_ id: String, _ params: [String: String]) throws -> any Attack {
        let p = try TestPlugins.attack(id)
        return try p.makeAttack(try p.configuration(params))
    }

    /// The points a scripted one-pixel run of apgd-ce queries, from x = 0.5 with epsilon 0.25
    /// (the ball is [0.25, 0.75]; the first step, of 2 epsilon, always reaches its edge).
    private func scriptedRun(steps: Int, momentum: String, value: @escaping (Int) -> Float,
                             gradientSign: @escaping (Int) -> Float) throws -> [Float] {
        let a = try attack("apgd-ce", ["epsilon": "0.25", "steps": "\(steps)", "random-start": "false", "momentum": momentum])
        let oracle = ScriptedOracle(value: value, gradientSign: gradientSign)
        _ = a.perturb(Tensor(shape: [1, 1, 1, 1], scalars: [0.5]), goal: .untargeted(TrueLabels([0])), oracle: oracle, exampleSeeds: [1])
        return oracle.queried
    }

    // A rising loss (no halving at the checkpoint, step 1 of 2). x_1 = P(x_0 + 2 eps sign g) = 0.75; with the gradient reversed, z_2 = P(0.75 - 0.5) = 0.25
    // and x_2 = P(x_1 + 0.75 (z_2 - x_1) + 0.25 (x_1 - x_0)) = 0.75 - 0.375 + 0.0625 = 0.4375.
    func testTheFirstStepHasNoMomentumAndTheSecondHas() throws {
        let queried = try scriptedRun(steps: 2, momentum: "0.75", value: { Float($0) }, gradientSign: { $0 == 0 ? 1 : -1 })
        XCTAssertEqual(queried, [0.5, 0.75, 0.4375])
    }

    // Without momentum, gradient +1 except at call 3: the iterate sits at 0.75, except 0.25 at
    // call 4, whose loss (5) is the best; the loss oscillates otherwise, so the step size halves
    // at the first checkpoint (22 of 100) and the run continues from the best point and its
    // gradient: 0.25 + 0.25 = 0.5. Without the return it would stay at 0.75; without the halving
    // it would reach 0.75 too.
    func testAfterHalvingTheRunContinuesFromTheBestPoint() throws {
        let queried = try scriptedRun(steps: 30, momentum: "1", value: { $0 == 4 ? 5 : Float($0 % 2) },
                                      gradientSign: { $0 == 3 ? -1 : 1 })
        XCTAssertEqual(Array(queried[0..<6]), [0.5, 0.75, 0.75, 0.75, 0.25, 0.75])
        XCTAssertEqual(APGDSchedule(steps: 30).checkpoints.first, 7)
        XCTAssertEqual(queried[7], 0.75, "the iterate of the checkpoint step")
        XCTAssertEqual(queried[8], 0.5, "the step after the checkpoint: from the best point (0.25) with half the step size")
    }

    // apgd-t (untargeted goal) runs targeted DLR toward the other classes in order of clean logit,
    // at most classes - 1 of them, each on the examples still unbroken; a targeted goal gets
    // targeted DLR (apgd-t, apgd-dlr) or targeted cross-entropy (apgd-ce).
    func testEachPluginAsksForItsLossAndTargets() throws {
        let (m, x) = constantModel()
        for stop in ["false", "true"] {
            let oracle = APGDRecordingOracle(m)
            let a = try attack("apgd-t", ["steps": "3", "random-start": "false", "stop-on-success": stop])
            _ = withEvaluation(m) { a.perturb(x, goal: .untargeted(TrueLabels([1, 2])), oracle: oracle, exampleSeeds: [1, 2]) }
            // Stopping on success, the broken example leaves the batch after the start point.
            let first: [AttackLoss] = stop == "true" ? [.dlrToward(TargetLabels([2, 1]))] + Array(repeating: .dlrToward(TargetLabels([2])), count: 3)
                                                     : Array(repeating: .dlrToward(TargetLabels([2, 1])), count: 4)
            XCTAssertEqual(oracle.calls.map { $0.loss }, first + Array(repeating: .dlrToward(TargetLabels([0])), count: 4),
                           "stop-on-success \(stop): the top class by clean logit first (2 for label 1, 1 for label 2), then the next (0), only for the unbroken example")
            XCTAssertEqual(oracle.calls.map { $0.batch }, stop == "true" ? [2, 1, 1, 1, 1, 1, 1, 1] : [2, 2, 2, 2, 1, 1, 1, 1])
        }
        for (id, expected) in [("apgd-t", AttackLoss.dlr), ("apgd-dlr", .dlr), ("apgd-ce", .crossEntropy)] {
            let oracle = APGDRecordingOracle(m)
            let a = try attack(id, ["steps": "2"])
            _ = withEvaluation(m) { a.perturb(x, goal: .targeted(TargetLabels([0, 2])), oracle: oracle, exampleSeeds: [1, 2]) }
            XCTAssertEqual(oracle.calls.map { $0.loss }, Array(repeating: expected, count: 3), id)
        }
    }

    /// A 3-class model with constant logits (0, 2, 1), and two inputs: the prediction is always
    /// 1, so an example with label 1 is never broken and one with label 2 is broken at the start.
    private func constantModel() -> (Classifier, Tensor) {
        let m = linearModel(inputShape: [1, 2, 2], classes: 3, seed: 1)
        for p in m.parameters { p.value = Tensor(shape: p.value.shape, scalars: p.value.count == 3 ? [0, 2, 1] : Array(repeating: 0, count: p.value.count)) }
        return (m, randomImages(2, [1, 2, 2], seed: 2))
    }

    // Restarts run on the examples not yet broken; without a random start there is one run
    // (a restart from the input would repeat it bit for bit).
    func testRestartsRunOnTheUnbrokenExamples() throws {
        let (m, x) = constantModel()
        for (start, batches) in [("true", [2, 2, 2, 1, 1, 1, 1, 1, 1]), ("false", [2, 2, 2])] {
            let oracle = APGDRecordingOracle(m)
            let a = try attack("apgd-ce", ["steps": "2", "restarts": "3", "random-start": start, "stop-on-success": "false"])
            _ = withEvaluation(m) { a.perturb(x, goal: .untargeted(TrueLabels([1, 2])), oracle: oracle, exampleSeeds: [1, 2]) }
            XCTAssertEqual(oracle.calls.map { $0.batch }, batches, "random-start \(start)")
        }
    }

    private func withEvaluation<T>(_ m: Classifier, _ body: () -> T) -> T {
        let saved = m.mode
        m.mode = .evaluation
        defer { m.mode = saved }
        return body()
    }

    func testInvalidHyperparametersFailAtConfigurationTime() throws {
        for id in ids {
            for (bad, parameter) in [(["momentum": "0"], "momentum"), (["restarts": "0"], "restarts"),
                                     (["lower-bound": "1", "upper-bound": "0"], "upper-bound"), (["epsilon": "-1"], "epsilon"),
                                     (["norm": "l1"], "norm"), (["rho": "1.5"], "rho"), (["steps": "0"], "steps")] {
                XCTAssertThrowsError(try attack(id, bad), "\(id) \(bad) accepted") { error in
                    XCTAssert("\(error)".contains(parameter), "\(id) \(bad): \(error)")
                }
            }
        }
        XCTAssertThrowsError(try attack("apgd-t", ["target-classes": "0"]))
        XCTAssertNoThrow(try attack("apgd-ce", ["restarts": "3", "momentum": "1", "norm": "l2", "epsilon": "0.5"]))
    }

    /// A random-weight mlp and 32 images in [0, 1] it classifies (labels = predictions). Its
    /// classes are far from constant on them, unlike a random cnn-small's.
    private func model() throws -> (Classifier, Tensor, [Int]) {
        let m = try TestPlugins.build("mlp", ["hidden": "32"], inputShape: [1, 12, 12], classes: 10, seed: 3)
        let x = randomImages(32, [1, 12, 12], seed: 4)
        return (m, x, m.predict(x))
    }

    // Stopping on success drops broken examples from the batch; every example's result stays
    // the same bit for bit (the unbroken ones' trajectories are untouched, the broken ones keep
    // the first point that broke them), with restarts and for each norm.
    func testStopOnSuccessChangesNoResult() throws {
        let (m, x, y) = try model()
        let seeds = (0..<UInt64(x.batchSize)).map { $0 * 31 + 5 }
        for id in ids {
            for (norm, eps) in [("linf", "0.04"), ("l2", "0.4")] {
                var outputs: [Tensor] = []
                for stop in ["true", "false"] {
                    let a = try attack(id, ["norm": norm, "epsilon": eps, "steps": "10", "restarts": "2", "target-classes": "3", "stop-on-success": stop]
                        .filter { id == "apgd-t" || $0.key != "target-classes" })
                    outputs.append(withEvaluation(m) { a.perturb(x, goal: .untargeted(TrueLabels(y)), oracle: ClassifierOracle(m), exampleSeeds: seeds) })
                }
                let broken = zip(m.predict(outputs[0]), y).filter { $0 != $1 }.count
                XCTAssert(broken > 0 && broken < x.batchSize, "\(id) \(norm): \(broken) of \(x.batchSize) broken: pick an epsilon that breaks some")
                XCTAssertEqual(largestDifferenceOf(outputs[0], outputs[1]), 0, "\(id) \(norm): stop-on-success changed results")
            }
        }
    }

    private func largestDifferenceOf(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    // Documentation/attack-properties.md #7 for APGD (the suite's own check needs a step-size
    // parameter): targeted toward each example's runner-up class, the hit rate rises with steps.
    func testTargetedHitRateRisesWithSteps() throws {
        let (m, x, y) = try model()
        let z = m.logits(x)
        let targets = (0..<x.batchSize).map { i in (0..<10).filter { $0 != y[i] }.max { z.scalars[i * 10 + $0] < z.scalars[i * 10 + $1] }! }
        for id in ids {
            for (norm, eps) in [("linf", "0.1"), ("l2", "1")] {
                let hits = try [1, 4, 16].map { steps -> Int in
                    let a = try attack(id, ["norm": norm, "epsilon": eps, "steps": "\(steps)", "random-start": "false"])
                    let out = runAttack(a, on: m, inputs: x, goal: .targeted(TargetLabels(targets)), exampleSeeds: Array(0..<UInt64(x.batchSize)))
                    return Agreement.count(out.predictions, targets)
                }
                print("APGD \(id) \(norm) targeted hits at 1/4/16 steps: \(hits)")
                XCTAssert(hits == hits.sorted() && hits.last! > hits.first!, "\(id) \(norm): hits \(hits) of \(x.batchSize) at 1/4/16 steps")
            }
        }
    }

    // With the same budget and seeds, APGD-CE leaves at most PGD-20's robust accuracy, and
    // APGD-T breaks examples PGD-20 misses.
    func testAPGDIsAtLeastAsStrongAsPGD() throws {
        let (m, x, y) = try model()
        for (norm, eps) in [("linf", "0.02"), ("l2", "0.2")] {
            let pgd = try attack("pgd-\(norm)", ["epsilon": eps, "steps": "20"])
            let pgdBroken = brokenSet(m, pgd, x, y)
            let ce = brokenSet(m, try attack("apgd-ce", ["norm": norm, "epsilon": eps, "steps": "20"]), x, y)
            let t = brokenSet(m, try attack("apgd-t", ["norm": norm, "epsilon": eps, "steps": "20", "target-classes": "3"]), x, y)
            print("APGD vs PGD-20 \(norm) eps \(eps): broken of \(x.batchSize): pgd \(pgdBroken.count), apgd-ce \(ce.count), apgd-t \(t.count), apgd-t only \(t.subtracting(pgdBroken).count)")
            XCTAssertGreaterThanOrEqual(ce.count, pgdBroken.count, "\(norm): apgd-ce breaks fewer examples than pgd-20")
            XCTAssertFalse(t.subtracting(pgdBroken).isEmpty, "\(norm): apgd-t breaks nothing pgd-20 misses")
        }
    }

    private func brokenSet(_ m: Classifier, _ a: any Attack, _ x: Tensor, _ y: [Int]) -> Set<Int> {
        let out = runAttack(a, on: m, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: (0..<UInt64(x.batchSize)).map { $0 + 100 })
        return Set(y.indices.filter { out.predictions[$0] != y[$0] })
    }
}

// AttackRun and AttackScore, the one code path of `brittle attack`, `brittle evaluate`, the
// robust monitor and the reproduction's transfer examples: the target rules, the batching and
// per-example seeds of the old command loop, the success definitions, and the refusal of a test
// set the model does not take. Fast unit tests on a tiny linear model.
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class AttackRunTests: XCTestCase {
    /// f(x) = W flatten(x) + b with 3 classes on 1 x 4 x 4 inputs.
    func linearModel(seed: UInt64 = 1) -> Classifier {
        var rng = SeededGenerator(seed: seed)
        return Classifier(features: Sequential([Flatten()]), head: Sequential([Linear(16, 3, rng: &rng)]),
                          architecture: "linear", configuration: [:], inputShape: [1, 4, 4], classCount: 3)
    }

    func data(_ n: Int, shape: [Int] = [1, 4, 4], seed: UInt64 = 2) -> LabeledDataset {
        var rng = SeededGenerator(seed: seed)
        let x = Initializer.uniform([n] + shape, bound: 0.2, rng: &rng) + Tensor(shape: [n] + shape, repeating: 0.5)
        return LabeledDataset(images: x, labels: (0..<n).map { $0 % 3 }, classNames: ["a", "b", "c"], name: "tiny")
    }

    /// One small Linf step from a random start, so every example's result depends on its seed
    /// (larger steps would saturate to the same corner of the ball from any start).
    func randomStartPGD() throws -> any Attack {
        let p = try TestPlugins.attack("pgd-linf")
        return try p.makeAttack(try p.configuration(["epsilon": "0.1", "steps": "1", "step-size": "0.01",
                                                     "random-start": "true", "best": "false"]))
    }

    func testNextTargetsAreTheFollowingClass() {
        XCTAssertEqual(AttackRun.targets(for: [0, 1, 2, 2, 0], classCount: 3, rule: .next, seed: 9), [1, 2, 0, 0, 1])
    }

    /// The random rule of the old `brittle attack` loop: one generator seeded `seed ^ 0x7A46`, a
    /// draw below C - 1 per example, shifted past y; never y, every other class reachable.
    func testRandomTargetsFollowTheSeededRuleAndAvoidTheTrueClass() {
        let labels = (0..<200).map { $0 % 5 }
        let targets = AttackRun.targets(for: labels, classCount: 5, rule: .random, seed: 3)
        var rng = SeededGenerator(seed: 3 ^ 0x7A46)
        let expected = labels.map { y -> Int in
            let r = rng.nextInt(below: 4)
            return r >= y ? r + 1 : r
        }
        XCTAssertEqual(targets, expected)
        for (y, t) in zip(labels, targets) { XCTAssertNotEqual(y, t) }
        XCTAssertEqual(Set(zip(labels, targets).filter { $0.0 == 0 }.map(\.1)), [1, 2, 3, 4])
        XCTAssertNotEqual(AttackRun.targets(for: labels, classCount: 5, rule: .random, seed: 4), targets, "the seed matters")
    }

    func testScoreCountsAndSuccessDefinitions() {
        // Clean: 3 of 4 right (0, 1, 3). Adversarial: right at 1 and 2. Flipped: 0 and 3.
        let untargeted = AttackScore(labels: [0, 1, 2, 0], clean: [0, 1, 0, 0], adversarial: [1, 1, 2, 2])
        XCTAssertEqual(untargeted.cleanAccuracy, 0.75)
        XCTAssertEqual(untargeted.robustAccuracy, 0.5)
        XCTAssertEqual(untargeted.successOnCorrect, 2.0 / 3.0)
        XCTAssertEqual(untargeted.successRate, 2.0 / 3.0, "untargeted success is over the correctly classified examples")
        XCTAssertEqual(untargeted.successDefinition, AttackScore.untargetedDefinition)
        // Targeted: hits at 0, 2 and 3, over all four examples.
        let targeted = AttackScore(labels: [0, 1, 2, 0], clean: [0, 1, 0, 0], adversarial: [1, 1, 2, 2], targets: [1, 2, 2, 2])
        XCTAssertEqual(targeted.successRate, 0.75, "targeted success is over all examples")
        XCTAssertEqual(targeted.successDefinition, AttackScore.targetedDefinition)
        XCTAssertEqual(targeted.robustAccuracy, 0.5)
    }

    /// Batches of `batchSize`, example i seeded `seed + i` across batches: the same result as the
    /// old command loop of runAttack calls, and the same whatever the batch size.
    func testBatchesAndPerExampleSeedsMatchTheRunnerLoop() throws {
        let m = linearModel(), d = data(7), attack = try randomStartPGD()
        let outcome = try AttackRun(attack: attack, targeting: .random, seed: 11, batchSize: 3).run(on: m, d)
        let targets = AttackRun.targets(for: d.labels, classCount: 3, rule: .random, seed: 11)
        XCTAssertEqual(outcome.targets, targets)
        var inputs: [Tensor] = [], predictions: [Int] = []
        for start in stride(from: 0, to: 7, by: 3) {
            let r = runAttack(attack, on: m, inputs: d.images.slice(start..<min(7, start + 3)),
                              goal: .targeted(TargetLabels(Array(targets[start..<min(7, start + 3)]))),
                              exampleSeeds: (start..<min(7, start + 3)).map { 11 + UInt64($0) })
            inputs.append(r.inputs)
            predictions += r.predictions
        }
        XCTAssertEqual(outcome.adversarial, Tensor.concatenate(inputs))
        XCTAssertEqual(outcome.adversarialPredictions, predictions)
        XCTAssertEqual(outcome.cleanPredictions, m.predict(d.images))
        XCTAssertEqual(outcome.score, AttackScore(labels: d.labels, clean: m.predict(d.images), adversarial: predictions, targets: targets))
        let whole = try AttackRun(attack: attack, targeting: .random, seed: 11, batchSize: 250).run(on: m, d)
        XCTAssertEqual(whole.adversarialPredictions, outcome.adversarialPredictions, "batching does not change per-example results")
        let seed11 = try AttackRun(attack: attack, seed: 11, batchSize: 3).run(on: m, d)
        let seed12 = try AttackRun(attack: attack, seed: 12, batchSize: 3).run(on: m, d)
        XCTAssertNotEqual(seed11.adversarial, seed12.adversarial, "the run seed reaches the attack's random start")
    }

    func testRobustEvaluationIsTheUntargetedRun() throws {
        let m = linearModel(), d = data(9), attack = try randomStartPGD()
        let r = evaluateRobustness(m, attack: attack, images: d.images, labels: d.labels, batchSize: 4, seed: 5)
        let outcome = try AttackRun(attack: attack, seed: 5, batchSize: 4).run(on: m, d)
        XCTAssertEqual(r.robustAccuracy, Float(outcome.score.robustAccuracy))
        XCTAssertEqual(r.successOnCorrect, Float(outcome.score.successOnCorrect))
        XCTAssertEqual(r.cleanAccuracy, Float(outcome.score.cleanAccuracy))
        XCTAssertEqual(r.examples, 9)
    }

    func testASetOfAnotherShapeIsAModelMismatch() throws {
        let m = linearModel()
        XCTAssertThrowsError(try AttackRun(attack: try randomStartPGD()).run(on: m, data(2, shape: [1, 5, 5]))) { error in
            guard let e = error as? ModelMismatchError else { return XCTFail("expected a ModelMismatchError, got \(error)") }
            XCTAssert(e.description.contains("the model takes inputs [1, 4, 4], the test set tiny has images [1, 5, 5]"), e.description)
            XCTAssert(e.description.contains("--test-dataset"), "names the fix: \(e.description)")
        }
    }
}

// The `square` attack's outcome: the conformance suite for both norms, robust accuracy against a
// fixed linear model falling with the query budget (as low as PGD's), and the real host path (runAttack with
// score-only access) end to end. The queries themselves are checked in SquareAttackTests.
import BrittleConformance
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class SquareSearchTests: XCTestCase {
    func square(_ params: [String: String]) throws -> any Attack {
        let p = try TestPlugins.attack("square")
        return try p.makeAttack(try p.configuration(params))
    }

    /// `body` with `m` in evaluation mode, its mode restored after.
    func evaluating<T>(_ m: Classifier, _ body: () -> T) -> T {
        let saved = m.mode
        m.mode = .evaluation
        defer { m.mode = saved }
        return body()
    }

    func testConformsForBothNorms() throws {
        // The suite runs every norm of the plugin's `norm` choice; a small budget keeps it fast.
        XCTAssertEqual(AttackConformance.check(try TestPlugins.attack("square"), parameters: ["queries": "20"]), [])
    }

    /// Robust accuracy (labels = the model's own predictions, so clean accuracy is 1) after the
    /// host's projection and re-scoring, for growing budgets.
    func robustAccuracies(_ norm: String, epsilon: String, budgets: [Int], _ m: Classifier, _ x: Tensor) throws -> [Double] {
        let y = m.predict(x)
        let seeds = (0..<x.batchSize).map { UInt64(7 * $0 + 1) }
        return try budgets.map { queries in
            let a = try square(["norm": norm, "epsilon": epsilon, "queries": "\(queries)"])
            let out = runAttack(a, on: m, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: seeds)
            return Double(zip(out.predictions, y).filter { $0 == $1 }.count) / Double(y.count)
        }
    }

    /// A fixed random linear model (10 classes on 8 x 8 inputs), where 50 steps of PGD show what
    /// the ball allows: Square's robust accuracy falls with the budget, never rises, and ends
    /// within 0.1 of PGD's although it sees only scores. (Random-init conv models here have
    /// nearly constant logits that neither attack can move.)
    func testRobustAccuracyFallsWithTheQueryBudget() throws {
        let m = linearModel(inputShape: [1, 8, 8], classes: 10, seed: 21)
        let x = randomImages(32, [1, 8, 8], seed: 22)
        let y = m.predict(x)
        let budgets = [1, 10, 100, 1000]
        for (norm, eps) in [("linf", "0.1"), ("l2", "1")] {
            let accuracies = try robustAccuracies(norm, epsilon: eps, budgets: budgets, m, x)
            let p = try TestPlugins.attack("pgd-\(norm)")
            let pgd = try p.makeAttack(try p.configuration(["epsilon": eps, "steps": "50"]))
            let out = runAttack(pgd, on: m, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: (0..<32).map { UInt64($0) })
            let pgdAccuracy = Double(zip(out.predictions, y).filter { $0 == $1 }.count) / 32
            print("square \(norm) eps \(eps): robust accuracy \(accuracies) at queries \(budgets) (clean 1.0, PGD-50 \(pgdAccuracy))")
            XCTAssertEqual(accuracies, accuracies.sorted(by: >), "\(norm): robust accuracy rose with more queries: \(accuracies)")
            XCTAssertLessThan(accuracies.last!, 0.5, "\(norm): robust accuracy \(accuracies.last!) after \(budgets.last!) queries")
            XCTAssertLessThan(accuracies.last!, accuracies.first! - 0.25, "\(norm): the search added little to the start: \(accuracies)")
            XCTAssertLessThanOrEqual(accuracies.last!, pgdAccuracy + 0.1, "\(norm): far weaker than PGD")
        }
    }

    /// runAttack gives a `.scores` attack the score-only oracle (a gradient request would stop
    /// the process); the result is in the threat model and scored by the host, untargeted and
    /// targeted.
    func testRunsThroughTheHostWithScoreOnlyAccess() throws {
        let a = try square(["norm": "l2", "epsilon": "1.5", "queries": "300", "lower-bound": "-1", "upper-bound": "1"])
        XCTAssertEqual(a.access, .scores)
        XCTAssertEqual(a.threatModel, ThreatModel(norm: .l2, epsilon: 1.5, lowerBound: -1, upperBound: 1))
        let m = smallConvModel(inputShape: [1, 8, 8], classes: 10, seed: 23)
        m.mode = .training
        let x = randomImages(8, [1, 8, 8], lo: -1, hi: 1, seed: 24)
        let y = evaluating(m) { m.predict(x) }
        let seeds = (0..<8).map { UInt64($0) }
        let untargeted = runAttack(a, on: m, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: seeds)
        XCTAssertEqual(m.mode, .training)
        XCTAssertTrue(perExampleNorms(untargeted.inputs, x, .l2).allSatisfy { $0 <= 1.5 * (1 + 1e-6) })
        XCTAssertEqual(untargeted.predictions, evaluating(m) { m.predict(untargeted.inputs) })
        XCTAssertGreaterThan(zip(untargeted.predictions, y).filter { $0 != $1 }.count, 4, "few examples broken")
        // Targeted at each example's runner-up class.
        let z = evaluating(m) { m.logits(x) }
        let targets = (0..<8).map { i in (0..<10).filter { $0 != y[i] }.max { z.scalars[i * 10 + $0] < z.scalars[i * 10 + $1] }! }
        let targeted = runAttack(a, on: m, inputs: x, goal: .targeted(TargetLabels(targets)), exampleSeeds: seeds)
        XCTAssertGreaterThan(zip(targeted.predictions, targets).filter { $0 == $1 }.count, 4, "few targets reached")
    }
}

// The host's attack losses (AttackLoss, plugin API 5) against their closed forms and finite
// differences: DLR untargeted and targeted (Croce & Hein 2020), the targeted DLR of APGD-T, the
// margin, and cross-entropy's sign per goal; the fallbacks for 2 and 3 classes; and the oracle's
// query-only path (scores equal the objective's values; a score-only oracle stops on a
// gradient request, checked in the CLI tests since it stops the process).
import BrittleNN
import BrittleConformance
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class AttackLossTests: XCTestCase {
    let z: [Float] = [1.0, 4.0, -2.0, 3.5, 0.5]   // sorted: 4.0 (1), 3.5 (3), 1.0 (0), 0.5 (4), -2.0 (2)

    func logits(_ rows: [[Float]]) -> Tensor { Tensor(shape: [rows.count, rows[0].count], scalars: rows.flatMap { $0 }) }

    func testDLRValuesMatchTheClosedForms() {
        let t = logits([z])
        // Untargeted, y = 1 (the top class): -(4 - 3.5) / (4 - 1).
        XCTAssertEqual(AttackLoss.dlr.evaluate(logits: t, goal: .untargeted(TrueLabels([1]))).values[0], -0.5 / 3, accuracy: 1e-6)
        // Untargeted, y = 0 (already wrong): -(1 - 4) / (4 - 1) = +1.
        XCTAssertEqual(AttackLoss.dlr.evaluate(logits: t, goal: .untargeted(TrueLabels([0]))).values[0], 1, accuracy: 1e-6)
        // Targeted toward t = 4: -(max_{j != 4} z_j - z_4) / (z_pi1 - (z_pi3 + z_pi4) / 2) = -(4 - 0.5) / (4 - 0.75).
        XCTAssertEqual(AttackLoss.dlr.evaluate(logits: t, goal: .targeted(TargetLabels([4]))).values[0], -3.5 / 3.25, accuracy: 1e-6)
        // APGD-T: true class 1 pushed below target 3: -(4 - 3.5) / 3.25.
        XCTAssertEqual(AttackLoss.dlrToward(TargetLabels([3])).evaluate(logits: t, goal: .untargeted(TrueLabels([1]))).values[0],
                       -0.5 / 3.25, accuracy: 1e-6)
        // Margin: untargeted y = 1: 3.5 - 4; targeted t = 2: -2 - 4.
        XCTAssertEqual(AttackLoss.margin.evaluate(logits: t, goal: .untargeted(TrueLabels([1]))).values[0], -0.5, accuracy: 1e-6)
        XCTAssertEqual(AttackLoss.margin.evaluate(logits: t, goal: .targeted(TargetLabels([2]))).values[0], -6, accuracy: 1e-6)
    }

    func testDLRIsScaleAndShiftInvariantAndCrossEntropyIsNot() {
        let t = logits([z]), scaled = logits([z.map { 7 * $0 + 3 }])
        for (loss, goal) in [(AttackLoss.dlr, AttackGoal.untargeted(TrueLabels([1]))), (.dlr, .targeted(TargetLabels([4]))),
                             (.dlrToward(TargetLabels([3])), .untargeted(TrueLabels([1])))] {
            XCTAssertEqual(loss.evaluate(logits: t, goal: goal).values[0], loss.evaluate(logits: scaled, goal: goal).values[0],
                           accuracy: 1e-5, "\(loss.name) under z -> 7z + 3")
        }
        let ce = AttackLoss.crossEntropy, goal = AttackGoal.untargeted(TrueLabels([1]))
        XCTAssertNotEqual(ce.evaluate(logits: t, goal: goal).values[0], ce.evaluate(logits: scaled, goal: goal).values[0], accuracy: 1e-3)
    }

    func testCrossEntropyIsAscendedForBothGoals() {
        let t = logits([z])
        let (u, du) = AttackLoss.crossEntropy.evaluate(logits: t, goal: .untargeted(TrueLabels([1])))
        let (v, dv) = AttackLoss.crossEntropy.evaluate(logits: t, goal: .targeted(TargetLabels([1])))
        XCTAssertEqual(u[0], -v[0])
        XCTAssertLessThan(du.scalars[1], 0, "untargeted: raising the true logit lowers the value")
        XCTAssertGreaterThan(dv.scalars[1], 0, "targeted: raising the target logit raises the value")
    }

    /// Every loss's logit gradient against central differences on random logits, each goal, for
    /// 2, 3, 4 and 10 classes (the fallback denominators included).
    func testLogitGradientsMatchFiniteDifferences() {
        var rng = SeededGenerator(seed: 5)
        for C in [2, 3, 4, 10] {
            let N = 6
            let t = randomTensor([N, C], &rng, scale: 2)
            let y = (0..<N).map { $0 % C }
            let others = (0..<N).map { (y[$0] + 1 + $0 % (C - 1)) % C }
            let cases: [(AttackLoss, AttackGoal)] = [
                (.crossEntropy, .untargeted(TrueLabels(y))), (.crossEntropy, .targeted(TargetLabels(others))),
                (.dlr, .untargeted(TrueLabels(y))), (.dlr, .targeted(TargetLabels(others))),
                (.dlrToward(TargetLabels(others)), .untargeted(TrueLabels(y))),
                (.margin, .untargeted(TrueLabels(y))), (.margin, .targeted(TargetLabels(others))),
            ]
            for (loss, goal) in cases {
                let (_, g) = loss.evaluate(logits: t, goal: goal)
                for k in 0..<3 {
                    let dir = randomTensor([N, C], &rng)
                    let analytic = g.dot(dir)
                    assertDirectionalDerivative(analytic, "\(loss.name) with \(C) classes, direction \(k)") { h in
                        Double(loss.evaluate(logits: t + dir * h, goal: goal).values.reduce(0, +))
                    }
                }
            }
        }
    }

    func testTwoClassDLRIsTheMarginAndRowsAreIndependent() {
        let t = logits([[0.3, -1.2], [5, 2]])
        let goal = AttackGoal.untargeted(TrueLabels([0, 1]))
        XCTAssertEqual(AttackLoss.dlr.evaluate(logits: t, goal: goal).values, AttackLoss.margin.evaluate(logits: t, goal: goal).values)
        // A row's value and gradient do not depend on the other rows.
        let both = AttackLoss.dlr.evaluate(logits: logits([z, z.reversed()]), goal: .untargeted(TrueLabels([1, 2])))
        let alone = AttackLoss.dlr.evaluate(logits: logits([z]), goal: .untargeted(TrueLabels([1])))
        XCTAssertEqual(both.values[0], alone.values[0])
        XCTAssertEqual(Array(both.logitGradient.scalars[0..<5]), alone.logitGradient.scalars)
    }

    func testScoresEqualTheObjectivesValuesWithoutABackwardPass() {
        let m = smallConvModel(inputShape: [1, 8, 8], classes: 10, seed: 3)
        let x = randomImages(5, [1, 8, 8], lo: 0, hi: 1, seed: 4)
        let oracle = ClassifierOracle(m)
        let goal = AttackGoal.untargeted(TrueLabels([0, 1, 2, 3, 4]))
        for loss in [AttackLoss.crossEntropy, .dlr, .margin, .dlrToward(TargetLabels([5, 6, 7, 8, 9]))] {
            let a = oracle.objective(x, goal: goal, loss: loss), b = oracle.scores(x, goal: goal, loss: loss)
            XCTAssertEqual(a.values, b.values, loss.name)
            XCTAssertEqual(a.logits, b.logits, loss.name)
        }
        // The old entry point is the cross-entropy objective.
        XCTAssertEqual(oracle.objective(x, goal: goal).values, oracle.objective(x, goal: goal, loss: .crossEntropy).values)
    }
}

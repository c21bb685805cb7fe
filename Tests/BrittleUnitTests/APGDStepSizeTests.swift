// APGD's step-size control on its own (BrittlePlugins/APGDStepSize.swift): the checkpoint
// schedule written out from the paper's formula, and both halving conditions on scripted loss
// sequences. The attack loop that uses them is tested in APGDAttackTests.swift.
import BrittlePlugins
import XCTest

final class APGDStepSizeTests: XCTestCase {
    // p = 0, 0.22, 0.41, 0.57, 0.70, 0.80, 0.87, 0.93, 0.99 (then 1.05 > 1): w_j = ceil(100 p_j).
    func testScheduleForAHundredSteps() {
        XCTAssertEqual(APGDSchedule(steps: 100).checkpoints, [22, 41, 57, 70, 80, 87, 93, 99])
    }

    // N = 5: ceil(1.1, 2.05, 2.85, 3.5, 4, 4.35) = 2, 3, 3, 4, 4, 5: duplicates kept once, 5 dropped.
    // N = 10: ceil(2.2, 4.1, 5.7, 7, 8, 8.7, 9.3) = 3, 5, 6, 7, 8, 9, 10: 10 dropped.
    func testScheduleForFewSteps() {
        XCTAssertEqual(APGDSchedule(steps: 1).checkpoints, [])
        XCTAssertEqual(APGDSchedule(steps: 5).checkpoints, [2, 3, 4])
        XCTAssertEqual(APGDSchedule(steps: 10).checkpoints, [3, 5, 6, 7, 8, 9])
        for steps in 1...400 {
            let w = APGDSchedule(steps: steps).checkpoints
            XCTAssertEqual(w, w.sorted(), "\(steps) steps: \(w)")
            XCTAssertEqual(Set(w).count, w.count, "\(steps) steps: duplicate checkpoints \(w)")
            XCTAssert(w.allSatisfy { $0 >= 1 && $0 < steps }, "\(steps) steps: checkpoint out of 1..<\(steps): \(w)")
        }
    }

    /// Feeds `losses` (steps 1, 2, ...) to a fresh control for 100 steps from start loss 0.
    func run(_ losses: [Float], rho: Float = 0.75) -> (APGDStepControl, [APGDStepControl.Outcome]) {
        var control = APGDStepControl(schedule: APGDSchedule(steps: 100), initialStepSize: 0.2, rho: rho, startLoss: 0)
        let outcomes = losses.map { control.record(loss: $0) }
        return (control, outcomes)
    }

    func testASteadilyRisingLossNeverHalves() {
        let (control, outcomes) = run((1...100).map(Float.init))
        XCTAssertEqual(control.halvings, [])
        XCTAssertEqual(control.stepSize, 0.2)
        XCTAssert(outcomes.allSatisfy(\.isNewBest))
        XCTAssertEqual(control.bestStep, 100)
    }

    // Condition (1): the loss rises in 11 of the 22 steps to the first checkpoint, fewer than
    // 0.75 * 22, so the step size halves there, and at every later checkpoint.
    func testAnOscillatingLossHalvesAtTheCheckpoint() {
        var losses = (1...100).map { Float($0 % 2) }
        losses[6] = 5  // step 7: the best point
        let (control, outcomes) = run(losses)
        XCTAssertEqual(control.halvings, [22, 41, 57, 70, 80, 87, 93, 99])
        XCTAssert(outcomes[21].halved && !outcomes[21].isNewBest)
        XCTAssertEqual(outcomes.indices.filter { outcomes[$0].halved }.count, 8)
        XCTAssertEqual(control.stepSize, 0.2 / 256)
        XCTAssertEqual(control.bestStep, 7, "the best point the attack goes back to")
        XCTAssertEqual(control.bestLoss, 5)
    }

    // Condition (1) is the paper's strict "fewer than": 11 rises in 22 steps at rho = 0.5 keep
    // the step size (the reference code would halve at equality).
    func testExactlyRhoOfTheStepsRisingKeepsTheStepSize() {
        let (control, _) = run((1...22).map { Float($0 % 2) }, rho: 0.5)
        XCTAssertEqual(control.halvings, [])
        let (fewer, _) = run((1...22).map { $0 == 21 ? 0 : Float($0 % 2) }, rho: 0.5)
        XCTAssertEqual(fewer.halvings, [22], "10 rises of 22 at rho 0.5")
    }

    // Condition (2): the loss rises to 22 by step 22, then drops and creeps up below 22 for the
    // rest of the run, rising in almost every step (condition (1) never fires). The best loss
    // stalls, so the step size halves at 41; at 57 it was just halved, so not again; at 70 it
    // halves, then 87 and 99, never at two checkpoints in a row.
    func testAStalledBestLossHalvesByTheSecondCondition() {
        let losses = (1...100).map { k in k <= 22 ? Float(k) : Float(k - 23) * 0.01 }
        let (control, outcomes) = run(losses)
        XCTAssertEqual(control.halvings, [41, 70, 87, 99])
        XCTAssertEqual(control.bestStep, 22)
        XCTAssertEqual(control.stepSize, 0.2 / 16)
        XCTAssertFalse(outcomes[21].halved, "condition (2) has no previous checkpoint to compare with at the first")
    }

    // An improvement of the best loss since the last checkpoint keeps the step size.
    func testAnImprovedBestLossKeepsTheStepSize() {
        // As above, but the loss beats 22 once between 23 and 41.
        var losses = (1...100).map { k in k <= 22 ? Float(k) : Float(k - 23) * 0.01 }
        losses[29] = 30  // step 30; step 31 then drops, one rise fewer, still 17 of 19
        let (control, _) = run(losses)
        XCTAssertEqual(control.halvings.first, 57)
    }

    // A NaN start counts as the lowest loss: the first finite loss is a new best.
    func testANaNStartLossIsBeatenByAnyLoss() {
        var control = APGDStepControl(schedule: APGDSchedule(steps: 10), initialStepSize: 1, rho: 0.75, startLoss: .nan)
        XCTAssert(control.record(loss: -1e30).isNewBest)
        XCTAssertEqual(control.bestLoss, -1e30)
    }
}

// `brittle reproduce status`'s progress line: the share of the plan's estimated work in finished
// stages, and the work left at the pace of the finished stages that recorded their time.
@testable import BrittleExperiments
import XCTest

final class RunProgressTests: XCTestCase {
    func testDoneShareAndTimeLeftAtTheFinishedStagesPace() {
        // 100 + 300 passes done in 10 + 30 s (0.1 s per pass); 600 passes left: 60 s.
        let p = RunStatus.progress([(100, .done(seconds: 10)), (300, .done(seconds: 30)), (200, .running(detail: "")),
                                    (400, .notStarted(resumable: false))])
        XCTAssertEqual(p.done, 0.4, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(p.secondsLeft), 60, accuracy: 1e-9)
    }

    func testAStageWithoutItsTimeCountsAsDoneButNotForThePace() {
        let p = RunStatus.progress([(100, .done(seconds: 10)), (900, .done(seconds: nil)), (1000, .notStarted(resumable: true))])
        XCTAssertEqual(p.done, 0.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(p.secondsLeft), 100, accuracy: 1e-9)
    }

    func testNothingLeftOrNothingTimedGivesNoEstimate() {
        XCTAssertNil(RunStatus.progress([(100, .done(seconds: 5))]).secondsLeft)
        XCTAssertEqual(RunStatus.progress([(100, .done(seconds: 5))]).done, 1)
        XCTAssertNil(RunStatus.progress([(100, .notStarted(resumable: false))]).secondsLeft)
        XCTAssertEqual(RunStatus.progress([]).done, 1)
    }

    func testHoursFormat() {
        XCTAssertEqual(RunStatus.hours(3900), "1h05m")
        XCTAssertEqual(RunStatus.hours(125), "2m05s")
    }
}

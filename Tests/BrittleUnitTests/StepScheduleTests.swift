// Tests of StepSchedule (the step lengths of a fixed number of gradient steps) on its closed-form
// values, and of `invert-representation` following it: a decaying schedule's path is no longer
// than the sum of its step lengths, which a constant step's path exceeds.
// Not the inversion's other behaviour (ConstructionTests.swift).
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class StepScheduleTests: XCTestCase {
    func testClosedFormLengths() {
        let s: Float = 0.4
        XCTAssertEqual((0..<8).map { StepSchedule.constant.length(base: s, step: $0, of: 8) }, Array(repeating: s, count: 8))
        // linear: s (1 - t/T); cosine: s (1 + cos(pi t/T)) / 2.
        XCTAssertEqual(StepSchedule.linear.length(base: s, step: 0, of: 4), 0.4, accuracy: 1e-7)
        XCTAssertEqual(StepSchedule.linear.length(base: s, step: 1, of: 4), 0.3, accuracy: 1e-7)
        XCTAssertEqual(StepSchedule.linear.length(base: s, step: 3, of: 4), 0.1, accuracy: 1e-7)
        XCTAssertEqual(StepSchedule.cosine.length(base: s, step: 0, of: 4), 0.4, accuracy: 1e-7)
        XCTAssertEqual(StepSchedule.cosine.length(base: s, step: 2, of: 4), 0.2, accuracy: 1e-7)
        XCTAssertEqual(StepSchedule.cosine.length(base: s, step: 1, of: 4), Float(0.2 * (1 + 0.5.squareRoot())), accuracy: 1e-6)
        XCTAssertEqual(StepSchedule.cosine.length(base: s, step: 0, of: 1), 0.4, accuracy: 1e-7)
        XCTAssertEqual(StepSchedule.names, ["constant", "linear", "cosine"])
    }

    func testDecayingSchedulesFallMonotonicallyAndStayPositive() {
        for schedule in [StepSchedule.linear, .cosine] {
            let lengths = (0..<300).map { schedule.length(base: 0.1, step: $0, of: 300) }
            XCTAssertEqual(lengths[0], 0.1, accuracy: 1e-7)
            XCTAssert(zip(lengths, lengths.dropFirst()).allSatisfy { $0 > $1 }, "\(schedule) does not fall monotonically")
            XCTAssert(lengths.allSatisfy { $0 > 0 }, "\(schedule) reaches 0 before the last step")
            XCTAssertLessThan(lengths[299], 0.001, "\(schedule) does not decay")
        }
    }

    /// Inversion with best = false returns the last iterate; its distance from the start is at most
    /// the sum of the step lengths (the clamp to [0, 1] only shortens a step).
    func testInversionFollowsTheSchedule() throws {
        let model = try TestPlugins.build("cnn-small", ["channels1": "4", "channels2": "4", "hidden": "16"],
                                          inputShape: [1, 12, 12], classes: 3, seed: 5)
        let data = Fixtures.uniformData(6, shape: [1, 12, 12], classes: 3, seed: 3)
        let plugin = try TestPlugins.construction("invert-representation")
        func displacement(_ schedule: String) throws -> [Double] {
            func build(_ iterations: Int) throws -> Tensor {
                let c = try plugin.configuration(["iterations": "\(iterations)", "step-size": "0.05", "start": "noise",
                                                  "best": "false", "step-schedule": schedule])
                return try plugin.makeConstruction(c, registry: .shared)
                    .construct(from: data, using: ConstructionModel(model), context: ConstructionContext(seed: 9, report: { _, _ in })).images
            }
            let start = try build(0), end = try build(10)
            return (0..<6).map { i in
                zip(start.scalars[(i * 144)..<((i + 1) * 144)], end.scalars[(i * 144)..<((i + 1) * 144)])
                    .reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            }
        }
        let linearBound = (0..<10).reduce(0.0) { $0 + Double(StepSchedule.linear.length(base: 0.05, step: $1, of: 10)) }
        let linear = try displacement("linear"), constant = try displacement("constant")
        for i in 0..<6 {
            XCTAssertLessThanOrEqual(linear[i], linearBound + 1e-5, "example \(i): the linear schedule's path is longer than its steps")
            XCTAssertGreaterThan(linear[i], 0, "example \(i) did not move")
        }
        // The check can fail: a constant step of the same base goes further than the bound.
        XCTAssertGreaterThan(constant.max()!, linearBound, "constant steps stay within the linear schedule's bound")
        XCTAssertThrowsError(try plugin.configuration(["step-schedule": "exponential"])) {
            XCTAssert("\($0)".contains("constant, linear, cosine"), "\($0)")
        }
    }
}

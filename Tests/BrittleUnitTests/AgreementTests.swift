// The one accuracy / attack-success definition (BrittleNN/Agreement.swift).
import BrittleNN
import XCTest

final class AgreementTests: XCTestCase {
    func testCountsMatchingPositionsAndDividesByTheLength() {
        XCTAssertEqual(Agreement.count([1, 2, 3, 4], [1, 0, 3, 0]), 2)
        XCTAssertEqual(Agreement.count([0, 1][...], ArraySlice([5, 0, 1]).dropFirst()), 2)
        XCTAssertEqual(Agreement.accuracy([1, 2, 3, 4], [1, 0, 3, 0]), 0.5)
        XCTAssertEqual(Agreement.accuracy([7, 7, 7], [7, 0, 0]), Float(1) / Float(3))
    }

    func testAnEmptyListScoresZeroNotNaN() {
        XCTAssertEqual(Agreement.accuracy([Int](), [Int]()), 0)
    }
}

import XCTest
@testable import BrittleGEMM

final class GEMMSmokeTests: XCTestCase {
    func testSmoke() {
        let c = sgemm(m: 2, n: 2, k: 2, [1, 2, 3, 4], [5, 6, 7, 8])
        XCTAssertEqual(c, [19, 22, 43, 50])
    }
}

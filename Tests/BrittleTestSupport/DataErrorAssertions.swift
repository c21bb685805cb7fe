// The one check that a call refuses bad data the way the loaders promise: it throws a DataError
// (not another error, not nothing), optionally of a given kind, naming given words. Returns the
// error so a test can look further. Not for CLI refusals (CLISandbox.assertRefused).
import BrittleIO
import XCTest

/// The DataError `body` throws, failing the test when it throws nothing, another error, an
/// error of a kind other than `kind`, or one whose description lacks any of `mentions`.
@discardableResult
public func assertThrowsDataError<T>(
    _ body: () throws -> T, kind: DataError.Kind? = nil, mentions: [String] = [],
    file: StaticString = #filePath, line: UInt = #line
) -> DataError? {
    do {
        _ = try body()
        XCTFail("expected a DataError", file: file, line: line)
    } catch let error as DataError {
        if let kind { XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line) }
        for m in mentions {
            XCTAssertTrue(error.description.contains(m), "'\(m)' not in: \(error)", file: file, line: line)
        }
        return error
    } catch {
        XCTFail("expected a DataError, got \(error)", file: file, line: line)
    }
    return nil
}

// Compares long text output with a checked-in expected file (Golden/NAME beside the calling test
// file). BRITTLE_UPDATE_GOLDEN=1 rewrites the file instead (never under CI); a mismatch fails
// with the first differing lines, numbered, and the command to accept the change.
// Not for binary output or for text that varies between runs (times, paths).
import Foundation
import XCTest

/// Asserts that `text` equals the golden file `name` in the `Golden` directory beside the
/// calling test file.
public func assertMatchesGolden(_ text: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    let golden = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Golden/" + name).path
    let environment = ProcessInfo.processInfo.environment
    let update = "BRITTLE_UPDATE_GOLDEN=1 swift test --filter <this test>"
    if environment["BRITTLE_UPDATE_GOLDEN"] == "1" {
        guard environment["CI"] == nil else {
            return XCTFail("BRITTLE_UPDATE_GOLDEN is set under CI: golden files are updated by hand", file: file, line: line)
        }
        do {
            try FileManager.default.createDirectory(atPath: (golden as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: golden), options: .atomic)
        } catch {
            XCTFail("cannot write \(golden): \(error)", file: file, line: line)
        }
        return
    }
    guard let expected = try? String(contentsOfFile: golden, encoding: .utf8) else {
        return XCTFail("no golden file \(golden); create it with \(update)", file: file, line: line)
    }
    guard text != expected else { return }
    XCTFail("output differs from \(golden) (if the change is intended: \(update)):\n"
                + goldenDiff(expected: expected, actual: text), file: file, line: line)
}

/// The differing lines of two texts, numbered: "-" expected, "+" actual (at most 20 pairs).
public func goldenDiff(expected: String, actual: String) -> String {
    let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var out: [String] = []
    for i in 0..<max(a.count, b.count) where out.count < 40 {
        let x = i < a.count ? String(a[i]) : nil, y = i < b.count ? String(b[i]) : nil
        guard x != y else { continue }
        out.append("\(i + 1) - \(x ?? "<no line>")")
        out.append("\(i + 1) + \(y ?? "<no line>")")
    }
    return out.joined(separator: "\n")
}

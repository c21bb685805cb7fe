// The base of the per-command CLI test classes (TrainCLITests, EvaluateCLITests, ...): a fresh
// CLISandbox per test, `brittle(...)` to run the real binary in it, and the checks every command
// shares (a success, a clean failure that prints no result, a percentage read off stdout).
// Not a test class itself: it declares no tests.
import BrittleExperiments
import BrittleTestSupport
import Foundation
import XCTest

class CLITestCase: XCTestCase {
    /// The current test's sandbox (scratch directory, TMPDIR and data directory of the child).
    var box: CLISandbox!

    override func setUpWithError() throws {
        box = try CLISandbox()
        ProgressBar.enabled = false
    }

    override func tearDown() { box = nil }

    /// `name` inside the sandbox.
    func path(_ name: String) -> String { box.path(name) }

    func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

    /// Runs `brittle arguments` in the sandbox; kills the child and fails after `timeout` seconds.
    func brittle(_ arguments: [String], timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line)
        throws -> CLIRun
    {
        try box.run(arguments, timeout: timeout, file: file, line: line)
    }

    /// Asserts a normal, successful exit.
    func assertSuccess(_ run: CLIRun, file: StaticString = #filePath, line: UInt = #line) {
        box.assertSuccess(run, file: file, line: line)
    }

    /// Asserts a clean failure: non-zero exit (not a signal), an "Error:" on stderr that
    /// contains every string of `mentions`, no crash report and no result on stdout.
    func assertCleanFailure(_ run: CLIRun, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        box.assertCleanFailure(run, mentions: mentions, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("Error:"), "no error message:\n\(run.transcript)", file: file, line: line)
        XCTAssertFalse(run.stdout.contains("accuracy"), "printed a result:\n\(run.transcript)", file: file, line: line)
    }

    /// Whitespace runs collapsed to one space (help text is wrapped to the terminal width).
    func flattened(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
    }

    /// The "NN.NN" after `label` in `text` ("test accuracy: 71.80%" -> "71.80").
    func percentage(after label: String, in text: String, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard let r = text.range(of: label) else {
            XCTFail("no '\(label)' in:\n\(text)", file: file, line: line)
            return nil
        }
        let rest = text[r.upperBound...].drop(while: { $0 == " " })
        guard let end = rest.firstIndex(of: "%") else {
            XCTFail("no '%' after '\(label)' in:\n\(text)", file: file, line: line)
            return nil
        }
        let value = String(rest[..<end])
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertTrue(parts.count == 2 && parts[1].count == 2 && Double(value) != nil,
                      "'\(value)' is not a percentage with two decimals", file: file, line: line)
        return value
    }

    func fashionMNISTOrSkip() throws { try requireFashionMNIST() }
}

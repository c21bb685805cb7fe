// Runs the real `brittle` binary as a user would, in a scratch directory with its own TMPDIR
// and data directory, and checks what a success and a refusal must look like: exit status 0,
// or 1 (not a signal) with a message naming the problem, no crash report, nothing left in
// TMPDIR. Every end-to-end test runs `brittle` through here. Not for other tools (ProcessRunner).
import Foundation
import XCTest

/// One finished run of `brittle`.
public typealias CLIRun = ProcessResult

/// A scratch directory with its own TMPDIR and BRITTLE_DATA_DIR for the child processes.
public final class CLISandbox {
    /// The scratch directory (removed when the sandbox is released).
    public let root: String
    /// The children's TMPDIR, inside `root`.
    public let tmp: String
    private let directory: TemporaryDirectory

    public init() throws {
        directory = try TemporaryDirectory("sandbox")
        root = directory.path
        tmp = root + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    }

    /// `name` inside the scratch directory.
    public func path(_ name: String) -> String { root + "/" + name }

    /// The built `brittle` (see BuiltBinaries).
    public static func executable(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try BuiltBinaries.brittle(file: file, line: line)
    }

    /// Starts `brittle arguments` with the sandbox's TMPDIR and data directory, help wrapped at
    /// 100 columns, plus `environment`, in `directory` (default: the scratch directory, so a
    /// command that writes into the current directory never writes into the checkout).
    public func start(_ arguments: [String], environment extra: [String: String] = [:], directory: String? = nil,
                      timeout: TimeInterval = 120) throws -> RunningProcess {
        var env = ["TMPDIR": tmp, "BRITTLE_DATA_DIR": root + "/data", "COLUMNS": "100"]
        env.merge(extra) { $1 }
        return try ProcessRunner.start(try Self.executable(), arguments, environment: env,
                                       directory: directory ?? root, timeout: timeout)
    }

    /// Runs `brittle arguments` to the end (see `start`); a run past `timeout` seconds is killed
    /// and fails the test.
    public func run(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
                    timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line) throws -> CLIRun {
        try start(arguments, environment: environment, directory: directory, timeout: timeout).finish(file: file, line: line)
    }

    /// What the children left in TMPDIR.
    public var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] }

    /// Asserts a normal, successful exit.
    public func assertSuccess(_ run: CLIRun, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.reason, .exit, "killed by a signal:\n\(run.transcript)", file: file, line: line)
        XCTAssertEqual(run.status, 0, "non-zero exit:\n\(run.transcript)", file: file, line: line)
    }

    /// Asserts a clean refusal: exit status 1, stderr mentions every string of `mentions`,
    /// no crash report, no raw control character, nothing left in TMPDIR.
    public func assertRefused(
        _ run: CLIRun, mentions: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(run.status, 1, "not exit status 1:\n\(run.transcript)", file: file, line: line)
        assertCleanFailure(run, mentions: mentions, file: file, line: line)
        XCTAssertFalse(run.stderr.unicodeScalars.contains { $0.value == 0x1B }, "raw ESC on stderr", file: file, line: line)
        XCTAssertEqual(leftovers, [], "left behind in TMPDIR:\n\(run.transcript)", file: file, line: line)
    }

    /// Asserts a clean failure: non-zero exit (not a signal), no crash report, stderr mentions
    /// every string of `mentions`.
    public func assertCleanFailure(
        _ run: CLIRun, mentions: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(run.reason, .exit, "killed by a signal:\n\(run.transcript)", file: file, line: line)
        XCTAssertNotEqual(run.status, 0, "exit 0 on bad input:\n\(run.transcript)", file: file, line: line)
        for crash in ["Fatal error", "Stack dump", "Illegal instruction", "Segmentation fault", "Precondition failed"] {
            XCTAssertFalse(run.stderr.contains(crash), "crashed (\(crash)):\n\(run.transcript)", file: file, line: line)
        }
        for m in mentions {
            XCTAssertTrue(run.stderr.contains(m), "stderr does not mention '\(m)':\n\(run.transcript)", file: file, line: line)
        }
    }
}

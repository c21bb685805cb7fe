// Tests of the shared test support itself (BrittleTestSupport): the process runner drains both
// pipes (no deadlock on a full stderr), kills a child that outlives its timeout, sets the
// environment and working directory it is given and nothing of the developer's BRITTLE_*; the
// golden-file diff names the differing lines. The suite's other tests lean on these.
import BrittleTestSupport
import Foundation
import XCTest

final class TestSupportTests: XCTestCase {
    func testBothPipesDrainConcurrentlySoAFullStderrDoesNotBlock() throws {
        // 1 MiB to stderr before anything to stdout: far more than a pipe buffer (64 KiB).
        let script = "head -c 1048576 /dev/zero | tr '\\0' e >&2; head -c 1048576 /dev/zero | tr '\\0' o"
        // A deadlocked runner would hang the suite: wait for it on another thread, with a watchdog.
        final class Outcome: @unchecked Sendable { var result: Result<ProcessResult, Error>? }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            outcome.result = Result { try ProcessRunner.run("/bin/sh", ["-c", script], timeout: 30) }
            done.signal()
        }
        guard done.wait(timeout: .now() + 60) == .success, let result = outcome.result else {
            return XCTFail("the runner deadlocked: a child filling stderr blocked it for 60 s")
        }
        let r = try result.get()
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stderr.count, 1 << 20)
        XCTAssertEqual(r.stdout.count, 1 << 20)
        XCTAssertTrue(r.stderr.allSatisfy { $0 == "e" } && r.stdout.allSatisfy { $0 == "o" })
    }

    func testAChildPastItsTimeoutIsKilledAndReported() throws {
        let started = try ProcessRunner.start("/bin/sh", ["-c", "echo begun; exec sleep 60"], timeout: 1)
        let pid = started.process.processIdentifier
        XCTAssertThrowsError(try started.finish(reportingTimeout: false)) { error in
            XCTAssertTrue(error is ProcessTimeout, "\(error)")
            XCTAssertTrue("\(error)".contains("timed out after 1 s"), "\(error)")
            XCTAssertTrue("\(error)".contains("begun"), "the output so far is in the report: \(error)")
        }
        XCTAssertFalse(started.process.isRunning)
        XCTAssertEqual(kill(pid, 0), -1, "the child is still alive")
    }

    func testEnvironmentAndDirectoryAreExactlyWhatTheTestSays() throws {
        let dir = try TemporaryDirectory("runner")
        setenv("BRITTLE_ISA", "avx512", 1)
        defer { unsetenv("BRITTLE_ISA") }
        let r = try ProcessRunner.run("/bin/sh", ["-c", "pwd; env"], environment: ["BRITTLE_THREADS": "3"], directory: dir.path)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(URL(fileURLWithPath: lines.first ?? "").resolvingSymlinksInPath().path,
                       URL(fileURLWithPath: dir.path).resolvingSymlinksInPath().path)
        XCTAssertTrue(lines.contains("BRITTLE_THREADS=3"), r.stdout)
        XCTAssertFalse(lines.contains { $0.hasPrefix("BRITTLE_ISA=") }, "the developer's BRITTLE_ISA leaked:\n\(r.stdout)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("PATH=") }, "PATH is inherited")
    }

    func testAMissingToolIsAPrerequisiteNamingTheFix() {
        XCTAssertThrowsError(try ProcessRunner.tool("brittle-no-such-tool", install: "apt-get install -y nothing")) { error in
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTAssertTrue(error is MissingPrerequisite, "under CI a missing tool must fail the test: \(error)")
                XCTAssertTrue("\(error)".contains("brittle-no-such-tool") && "\(error)".contains("apt-get install -y nothing"), "\(error)")
            } else {
                XCTAssertTrue(error is XCTSkip, "locally a missing tool skips the test: \(error)")
            }
        }
    }

    func testAMissingPrerequisiteSkipsLocallyAndFailsUnderCI() {
        let ci = missingPrerequisite("gzip is not installed (apt-get install -y gzip)", underCI: true)
        XCTAssertTrue(ci is MissingPrerequisite, "\(ci)")
        XCTAssertTrue("\(ci)".contains("apt-get install -y gzip") && "\(ci)".contains("scripts/install-deps.sh"), "\(ci)")
        XCTAssertTrue(missingPrerequisite("gzip is not installed", underCI: false) is XCTSkip)
    }

    func testTemporaryDirectoryIsRemovedWithEverythingInIt() throws {
        var dir: TemporaryDirectory? = try TemporaryDirectory("fixture")
        let path = try XCTUnwrap(dir?.path)
        try FileManager.default.createDirectory(atPath: path + "/a/b", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path + "/a/b/f"))
        dir = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testGoldenDiffNumbersTheDifferingLines() {
        let diff = goldenDiff(expected: "same\nold\nsame\n", actual: "same\nnew\nsame\nextra\n")
        XCTAssertEqual(diff, "2 - old\n2 + new\n4 - \n4 + extra\n5 - <no line>\n5 + ")
    }
}

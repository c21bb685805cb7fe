// The one way the tests run a child process (the built binaries, tar, python3, swift build...):
// stdout and stderr drained concurrently (a child filling one pipe never blocks), environment
// and working directory set explicitly, and a timeout that kills the child's process group and
// fails the test, so a hang is a failure with the output so far, never a stuck suite.
// Not a shell: arguments are passed as they are.
import Foundation
import XCTest

/// One finished child process.
public struct ProcessResult: Sendable {
    /// The executable and its arguments.
    public var commandLine: String
    /// The exit status, or the signal number when `reason` is `.uncaughtSignal`.
    public var status: Int32
    /// Whether the child exited or was killed by a signal.
    public var reason: Process.TerminationReason
    /// Everything written to stdout.
    public var stdout: String
    /// Everything written to stderr.
    public var stderr: String

    /// The whole transcript, for failure messages.
    public var transcript: String {
        "\(commandLine)\n-- exit \(status) (\(reason == .exit ? "exit" : "signal"))\n-- stdout:\n\(stdout)\n-- stderr:\n\(stderr)"
    }
}

/// The child ran past its timeout and was killed.
public struct ProcessTimeout: Error, CustomStringConvertible {
    /// The command and what it wrote before it was killed.
    public var description: String
}

/// A tool exited non-zero (or by a signal) on what the test gave it.
public struct ToolFailure: Error, CustomStringConvertible {
    /// The tool's transcript.
    public var description: String
}

/// A started child process; `finish` waits for it (up to the timeout given to `start`).
public final class RunningProcess: @unchecked Sendable {
    /// The child, e.g. to send it a signal.
    public let process: Process
    private let commandLine: String
    private let timeout: TimeInterval
    private let exited = DispatchSemaphore(value: 0)
    private let drained = DispatchGroup()
    private var out = Data(), err = Data()

    fileprivate init(_ process: Process, commandLine: String, timeout: TimeInterval) throws {
        self.process = process
        self.commandLine = commandLine
        self.timeout = timeout
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        let outHandle = outPipe.fileHandleForReading, errHandle = errPipe.fileHandleForReading
        DispatchQueue.global().async(group: drained) { self.out = outHandle.readDataToEndOfFile() }
        DispatchQueue.global().async(group: drained) { self.err = errHandle.readDataToEndOfFile() }
    }

    /// Waits for the child; on timeout kills it (and its process group), fails the test with
    /// the output so far (unless `reportingTimeout` is false: the runner's own tests) and
    /// throws `ProcessTimeout`.
    public func finish(reportingTimeout: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws
        -> ProcessResult
    {
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            let pid = process.processIdentifier
            if getpgid(pid) == pid { kill(-pid, SIGKILL) }
            kill(pid, SIGKILL)
            _ = exited.wait(timeout: .now() + 10)
            // A grandchild may still hold the pipes open; do not wait for it forever.
            _ = drained.wait(timeout: .now() + 10)
            let message = "timed out after \(Int(timeout)) s and was killed:\n\(result().transcript)"
            if reportingTimeout { XCTFail(message, file: file, line: line) }
            throw ProcessTimeout(description: message)
        }
        _ = drained.wait(timeout: .now() + 30)
        return result()
    }

    private func result() -> ProcessResult {
        ProcessResult(commandLine: commandLine, status: process.isRunning ? -1 : process.terminationStatus,
                      reason: process.isRunning ? .uncaughtSignal : process.terminationReason,
                      stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// Starts and runs child processes for the tests.
public enum ProcessRunner {
    /// Variables of the developer's shell that change what `brittle` does; a child never
    /// inherits them, so a test sees the same program everywhere. Pass one in `environment`
    /// to set it.
    public static let clearedVariables = ["BRITTLE_ISA", "BRITTLE_PLUGIN_PATH", "BRITTLE_THREADS", "BRITTLE_RECIPES_DIR",
                                          "BRITTLE_DATA_DIR", "BRITTLE_FUZZ_TARGET", "BRITTLE_FUZZ_VERBOSE"]

    /// Starts `executable arguments` with this process's environment minus `clearedVariables`,
    /// plus `environment`, in `directory` (default: the current directory).
    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        timeout: TimeInterval = 120
    ) throws -> RunningProcess {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for name in clearedVariables { env.removeValue(forKey: name) }
        env.merge(environment) { $1 }
        p.environment = env
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let commandLine = ([executable] + arguments).joined(separator: " ")
        return try RunningProcess(p, commandLine: commandLine, timeout: timeout)
    }

    /// Runs `executable arguments` to the end (see `start`); on timeout the test fails and
    /// this throws.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line
    ) throws -> ProcessResult {
        try start(executable, arguments, environment: environment, directory: directory, timeout: timeout)
            .finish(file: file, line: line)
    }

    /// The full path of `tool` on PATH, or nil.
    public static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The full path of `tool`, or the missing-prerequisite error (skip locally, fail in CI)
    /// naming `install` as the fix.
    public static func tool(_ tool: String, install: String) throws -> String {
        guard let path = which(tool) else { throw missingPrerequisite("\(tool) is not on PATH (\(install))") }
        return path
    }

    /// Runs `tool` (looked up on PATH) and returns its result. A missing tool is a missing
    /// prerequisite (skip locally, fail in CI, naming `install`); a tool that exits non-zero on
    /// what the test gave it is a test FAILURE with its stderr, never "not available".
    @discardableResult
    public static func runTool(
        _ tool: String, _ arguments: [String], install: String, environment: [String: String] = [:],
        directory: String? = nil, timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line
    ) throws -> ProcessResult {
        let result = try run(try self.tool(tool, install: install), arguments, environment: environment,
                             directory: directory, timeout: timeout, file: file, line: line)
        guard result.reason == .exit, result.status == 0 else {
            XCTFail("\(tool) failed on the test's input:\n\(result.transcript)", file: file, line: line)
            throw ToolFailure(description: result.transcript)
        }
        return result
    }
}

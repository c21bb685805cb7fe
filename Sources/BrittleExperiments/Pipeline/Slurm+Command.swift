// How the Slurm client runs sbatch/squeue/scontrol/scancel: Foundation.Process with both pipes
// drained concurrently (a chatty tool never blocks on a full pipe) and a timeout that kills a tool
// stuck on an unreachable controller. Not a general process library and not a shell: arguments
// are passed as they are. (The tests' ProcessRunner links XCTest, so the library cannot reuse it.)
import Foundation

/// One finished Slurm command.
struct SlurmCommandResult: Sendable {
    /// The tool and its arguments, for messages.
    var commandLine: String
    /// The exit status (the signal number if the tool was killed).
    var status: Int32
    /// Everything written to stdout.
    var stdout: String
    /// Everything written to stderr.
    var stderr: String
}

extension Slurm {
    /// How long one Slurm command may take. Slurm's own MessageTimeout is 10 s with retries; a
    /// minute means the controller is gone rather than slow.
    static let commandTimeout: TimeInterval = 60

    /// Runs `tool` (a name in `binDirectory`) with `arguments`; throws if it cannot start or
    /// times out, returns its result whatever its exit status.
    func run(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) throws -> SlurmCommandResult {
        let path = binDirectory + "/" + tool
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        let commandLine = ([tool] + arguments).joined(separator: " ")
        do {
            try process.run()
        } catch {
            throw SlurmError(problem: "\(path) does not start (\(error))",
                             fix: "Check the Slurm install: bash scripts/install-deps.sh")
        }
        let drained = DispatchGroup()
        let output = OutputBox()
        let outHandle = outPipe.fileHandleForReading, errHandle = errPipe.fileHandleForReading
        DispatchQueue.global().async(group: drained) { output.setOut(outHandle.readDataToEndOfFile()) }
        DispatchQueue.global().async(group: drained) { output.setErr(errHandle.readDataToEndOfFile()) }
        if exited.wait(timeout: .now() + Self.commandTimeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
            throw SlurmError(
                problem: "`\(commandLine)` did not answer within \(Int(Self.commandTimeout)) s",
                fix: "Check that the Slurm controller runs (sinfo; for the local cluster: sudo bash scripts/slurm-local.sh status)")
        }
        _ = drained.wait(timeout: .now() + 10)
        let (out, err) = output.values
        return SlurmCommandResult(commandLine: commandLine, status: process.terminationStatus,
                                  stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs `tool` and throws a `SlurmError` carrying its stderr unless it exits 0.
    @discardableResult
    func runChecked(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> SlurmCommandResult
    {
        let result = try run(tool, arguments, environment: environment)
        guard result.status == 0 else { throw SlurmError.commandFailed(result) }
        return result
    }
}

/// The two pipes' bytes, written by the reader threads and read after they finish.
private final class OutputBox: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func setOut(_ data: Data) { lock.lock(); out = data; lock.unlock() }
    func setErr(_ data: Data) { lock.lock(); err = data; lock.unlock() }
    var values: (Data, Data) { lock.lock(); defer { lock.unlock() }; return (out, err) }
}

/// A Slurm command that failed or a Slurm setup that cannot work, naming the fix.
public struct SlurmError: ProblemAndFix {
    /// What went wrong (the command and what it printed, where there was one).
    public var problem: String
    /// How to make it work.
    public var fix: String

    /// A Slurm problem `problem`, repaired by `fix`.
    public init(problem: String, fix: String) {
        self.problem = problem
        self.fix = fix
    }

    /// `result` exited non-zero.
    static func commandFailed(_ result: SlurmCommandResult) -> SlurmError {
        let said = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return SlurmError(
            problem: "`\(result.commandLine)` failed with exit status \(result.status)" + (said.isEmpty ? "" : ": \(said)"),
            fix: "Check that the Slurm cluster answers (sinfo) and that the job's options fit it (partition, account, time limit)")
    }
}

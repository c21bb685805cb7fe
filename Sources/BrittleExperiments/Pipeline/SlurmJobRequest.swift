// One job to submit to Slurm: the command (an argv, exec'd by the batch script so Slurm's signals
// reach it rather than a shell), where it runs and logs, what it waits for and what it asks for.
// Also the batch script and sbatch options it turns into. Not the submission itself (Slurm.submit)
// and not job arrays: one request is one job.
import Foundation

/// A batch job for `Slurm.submit`.
public struct SlurmJobRequest: Sendable, Equatable {
    /// The job name (`--job-name`); also names the batch script file beside the log.
    public var name: String
    /// The program and its arguments. The batch script `exec`s it, so it IS the batch step's
    /// process: `--signal=B:...` and `scancel` signals reach it directly.
    public var command: [String]
    /// The directory the job runs in (`--chdir`).
    public var workingDirectory: String
    /// The log (stdout and stderr, `--output`); `%j` is replaced by the job id. Its directory is
    /// created if missing and must be a plain path (no `%` patterns).
    public var logPath: String
    /// Job ids this one runs after, only if they all complete successfully (`afterok`). A
    /// dependent of a failed job is cancelled by Slurm (`--kill-on-invalid-dep=yes`), never run.
    public var dependencies: [String]
    /// CPUs for the one task (`--cpus-per-task`).
    public var cpusPerTask: Int
    /// The partition (`--partition`), or the cluster's default.
    public var partition: String?
    /// The account (`--account`), or the user's default.
    public var account: String?
    /// The time limit in any sbatch form ("30", "1:00:00", "2-0"), or the partition's.
    public var timeLimit: String?
    /// Further sbatch options, passed as they are before the script (e.g. `--mem=4G`).
    public var extraArguments: [String]
    /// A signal for the command `seconds` before the time limit (`--signal=B:SIG@N`), e.g.
    /// ("USR1", 300) so it can checkpoint and requeue itself (see PreemptionSignal). Slurm may
    /// send it up to a minute earlier than asked.
    public var signalBeforeEnd: (signal: String, seconds: Int)?
    /// Whether Slurm may requeue the job (`--requeue`; else `--no-requeue`).
    public var requeue: Bool
    /// Variables exported by the batch script before the command starts (on top of the
    /// submitter's environment, which sbatch passes on).
    public var environment: [String: String]

    /// A request for `command` named `name`; everything else defaults to one CPU, the cluster's
    /// defaults and no dependencies.
    public init(
        name: String, command: [String], workingDirectory: String, logPath: String, dependencies: [String] = [],
        cpusPerTask: Int = 1, partition: String? = nil, account: String? = nil, timeLimit: String? = nil,
        extraArguments: [String] = [], signalBeforeEnd: (signal: String, seconds: Int)? = nil, requeue: Bool = false,
        environment: [String: String] = [:]
    ) {
        self.name = name
        self.command = command
        self.workingDirectory = workingDirectory
        self.logPath = logPath
        self.dependencies = dependencies
        self.cpusPerTask = cpusPerTask
        self.partition = partition
        self.account = account
        self.timeLimit = timeLimit
        self.extraArguments = extraArguments
        self.signalBeforeEnd = signalBeforeEnd
        self.requeue = requeue
        self.environment = environment
    }

    /// Field by field (written out because the `signalBeforeEnd` tuple is not Equatable).
    public static func == (a: SlurmJobRequest, b: SlurmJobRequest) -> Bool {
        a.name == b.name && a.command == b.command && a.workingDirectory == b.workingDirectory
            && a.logPath == b.logPath && a.dependencies == b.dependencies && a.cpusPerTask == b.cpusPerTask
            && a.partition == b.partition && a.account == b.account && a.timeLimit == b.timeLimit
            && a.extraArguments == b.extraArguments && a.signalBeforeEnd?.signal == b.signalBeforeEnd?.signal
            && a.signalBeforeEnd?.seconds == b.signalBeforeEnd?.seconds && a.requeue == b.requeue
            && a.environment == b.environment
    }

    /// Where the batch script is written: beside the log, named after the job. sbatch copies the
    /// script when it submits, so a later request of the same name may overwrite the file.
    public var scriptPath: String {
        let directory = (logPath as NSString).deletingLastPathComponent
        let safe = String(name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return (directory.isEmpty ? "." : directory) + "/" + (safe.isEmpty ? "job" : safe) + ".sbatch"
    }

    /// The batch script: exports, then `exec` of the command (no shell stays in between).
    public var batchScript: String {
        var lines = ["#!/bin/bash", "# Batch script of Slurm job \"\(name)\", written by Brittle's Slurm client."]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
            lines.append("export \(key)=\(Self.shellQuoted(value))")
        }
        lines.append("exec " + command.map(Self.shellQuoted).joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The sbatch options (without the script path).
    public var sbatchArguments: [String] {
        var args = ["--parsable", "--job-name=\(name)", "--output=\(logPath)", "--chdir=\(workingDirectory)",
                    "--cpus-per-task=\(cpusPerTask)", requeue ? "--requeue" : "--no-requeue"]
        if let partition { args.append("--partition=\(partition)") }
        if let account { args.append("--account=\(account)") }
        if let timeLimit { args.append("--time=\(timeLimit)") }
        if !dependencies.isEmpty {
            args += ["--dependency=afterok:" + dependencies.joined(separator: ":"), "--kill-on-invalid-dep=yes"]
        }
        if let signalBeforeEnd { args.append("--signal=B:\(signalBeforeEnd.signal)@\(signalBeforeEnd.seconds)") }
        return args + extraArguments
    }

    /// Checks what sbatch would reject less clearly, naming the field to fix.
    func validate() throws {
        func bad(_ problem: String, _ fix: String) -> SlurmError {
            SlurmError(problem: "Slurm job \"\(name)\": \(problem)", fix: fix)
        }
        if command.isEmpty { throw bad("the command is empty", "Give the program and its arguments in `command`") }
        if cpusPerTask < 1 { throw bad("cpusPerTask is \(cpusPerTask)", "Ask for at least one CPU") }
        if let key = environment.keys.first(where: { !Self.isVariableName($0) }) {
            throw bad("\"\(key)\" is not a shell variable name", "Use letters, digits and _ (not starting with a digit)")
        }
        if let id = dependencies.first(where: { $0.isEmpty || !$0.allSatisfy(\.isNumber) }) {
            throw bad("dependency \"\(id)\" is not a job id", "Pass the ids Slurm.submit returned")
        }
        if (logPath as NSString).deletingLastPathComponent.contains("%") {
            throw bad("the log's directory \(logPath) has a % pattern", "Put %j only in the file name")
        }
    }

    static func isVariableName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// `s` in single quotes, safe for bash whatever it holds.
    static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

// A small client for Slurm's command-line tools: submit a batch job (sbatch), read job states
// (squeue), cancel (scancel) and requeue (scontrol). It runs the real tools, so whatever cluster
// they talk to (/etc/slurm/slurm.conf; scripts/slurm-local.sh for a local one) is the one used.
// Not an executor: what to submit, when to poll and what to do with a state is the caller's.
import Foundation

/// Slurm's command-line tools, found once.
public struct Slurm: Sendable {
    /// The directory holding sbatch, squeue, scontrol and scancel.
    public let binDirectory: String

    /// The tools in `binDirectory`, or else the first directory on PATH (then /usr/bin) that
    /// holds sbatch. Throws, naming the install step, when sbatch or a sibling is missing, and
    /// naming the local cluster's start when there is no slurm.conf (SLURM_CONF or Debian's).
    public init(binDirectory: String? = nil) throws {
        let tools = ["sbatch", "squeue", "scontrol", "scancel"]
        let candidates: [String]
        if let binDirectory {
            candidates = [binDirectory]
        } else {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
            candidates = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/sbatch") }) else {
            throw SlurmError(
                problem: "sbatch is not installed (looked in \(candidates.joined(separator: ":")))",
                fix: "Install Slurm's tools: bash scripts/install-deps.sh (Debian: apt-get install slurm-client), "
                    + "and for a local cluster run sudo bash scripts/slurm-local.sh start")
        }
        if let missing = tools.first(where: { !FileManager.default.isExecutableFile(atPath: found + "/" + $0) }) {
            throw SlurmError(problem: "\(found) has sbatch but not \(missing)",
                             fix: "Install the whole Slurm client: apt-get install slurm-client")
        }
        // Without a configuration every tool retries for a minute before it fails; say so now.
        let environment = ProcessInfo.processInfo.environment
        let configs = environment["SLURM_CONF"].map { [$0] } ?? ["/etc/slurm/slurm.conf", "/run/slurm/conf/slurm.conf"]
        guard configs.contains(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw SlurmError(
                problem: "no Slurm configuration (\(configs.joined(separator: " or ")) is missing), so no cluster to talk to",
                fix: "Start the local cluster (sudo bash scripts/slurm-local.sh start) or set SLURM_CONF to the cluster's slurm.conf")
        }
        self.binDirectory = found
    }

    /// Submits `request` and returns its job id. The batch script is written to
    /// `request.scriptPath` (beside the log) and given to `sbatch --parsable`.
    public func submit(_ request: SlurmJobRequest) throws -> String {
        try request.validate()
        let logDirectory = (request.logPath as NSString).deletingLastPathComponent
        let script = request.scriptPath
        do {
            if !logDirectory.isEmpty {
                try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
            }
            try request.batchScript.write(toFile: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        } catch {
            throw SlurmError(problem: "cannot write the batch script \(script) (\(error.localizedDescription))",
                             fix: "Make the log directory writable, or give the job another logPath")
        }
        let result = try runChecked("sbatch", request.sbatchArguments + [script])
        // --parsable prints "id" or "id;cluster".
        let line = result.stdout.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let id = String(line.split(separator: ";").first ?? "")
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmError(problem: "sbatch printed no job id: \(result.stdout)\(result.stderr)",
                             fix: "Check the job's options against the cluster (sbatch --test-only)")
        }
        return id
    }

    /// The state of each job in `ids`. One squeue call over every state the controller still
    /// holds (finished jobs stay MinJobAge seconds), so a finished job still has its exit code;
    /// a job the controller no longer knows is `.gone`.
    public func states(of ids: [String]) throws -> [String: SlurmJobState] {
        guard !ids.isEmpty else { return [:] }
        let result = try run("squeue", ["--noheader", "--states=all", "--jobs=" + ids.joined(separator: ","),
                                        "--Format=JobID:|,State:|,Reason:|,exit_code:"])
        var states = Dictionary(uniqueKeysWithValues: Set(ids).map { ($0, SlurmJobState.gone) })
        if result.status != 0 {
            // squeue fails only when none of the ids is known; then they are all gone.
            guard result.stderr.contains("Invalid job id") else { throw SlurmError.commandFailed(result) }
            return states
        }
        for line in result.stdout.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 4 else {
                throw SlurmError(problem: "squeue printed a line this client cannot read: \(line)",
                                 fix: "Report it with `squeue --version`; the client expects JobID|State|Reason|exit_code")
            }
            guard states[fields[0]] != nil else { continue }
            states[fields[0]] = SlurmJobState(squeueState: fields[1], reason: fields[2],
                                              waitStatus: Int(fields[3].trimmingCharacters(in: .whitespaces)) ?? 0)
        }
        return states
    }

    /// The state of one job (see `states(of:)`).
    public func state(of id: String) throws -> SlurmJobState {
        try states(of: [id])[id] ?? .gone
    }

    /// Cancels the jobs (`scancel`); a job that has already ended or is unknown is left alone.
    public func cancel(_ ids: [String]) throws {
        guard !ids.isEmpty else { return }
        try runChecked("scancel", ids)
    }

    /// Requeues job `id` (`scontrol requeue`): Slurm stops it and queues it again. It waits
    /// about two minutes (reason BeginTime) before it may start again, and then runs its batch
    /// script from the beginning with SLURM_RESTART_COUNT one higher.
    public func requeue(_ id: String) throws {
        try runChecked("scontrol", ["requeue", id])
    }

    /// Requeues the job this process runs in (SLURM_JOB_ID), e.g. after PreemptionSignal asked
    /// it to stop and it saved a checkpoint. Slurm then ends this process; exit soon after.
    /// Throws outside a Slurm job.
    public static func requeueCurrentJob(binDirectory: String? = nil) throws {
        guard let id = ProcessInfo.processInfo.environment["SLURM_JOB_ID"], !id.isEmpty else {
            throw SlurmError(problem: "not running inside a Slurm job (SLURM_JOB_ID is not set), so there is nothing to requeue",
                             fix: "Call requeueCurrentJob only from a job submitted with sbatch")
        }
        try Slurm(binDirectory: binDirectory).requeue(id)
    }
}

// Where a reproduction's or a sweep's stages run (`--executor local|processes|slurm` and what
// each takes), shared by `reproduce` and `sweep`; and how a finished execution is reported (the
// failed stages with their logs, or the Slurm jobs to follow). Not the executors themselves.
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import Foundation

struct ExecutorOptions: ParsableArguments {
    @Option(help: "Where stages run: local (this process), processes (concurrent stage processes, --jobs), slurm (one batch job per stage).")
    var executor: ExecutorKind = .local

    @Option(help: "processes: stages at once; each gets its share of --threads.")
    var jobs: Int = 2

    @Option(help: "slurm: partition of the stage jobs (default: the cluster's).") var partition: String?
    @Option(help: "slurm: account to charge.") var account: String?
    @Option(help: "slurm: time limit of each stage job, as sbatch takes it (e.g. 2:00:00).") var time: String?

    @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue, help: "slurm: an argument passed to every sbatch as is (repeatable), e.g. --sbatch-arg=--qos=low.")
    var sbatchArguments: [String] = []

    @Option(help: "slurm: seconds before its time limit at which a stage job is warned (SIGUSR1) and requeues itself, keeping its finished epochs.")
    var warning: Int = 120

    @Flag(help: "slurm: follow the jobs to the end and write the report (without it: submit, print the job ids and return).")
    var wait = false

    func validate() throws {
        if executor == .processes, jobs < 1 { throw OptionError("--jobs must be at least 1, got \(jobs)") }
        if executor != .slurm, wait || partition != nil || account != nil || time != nil || !sbatchArguments.isEmpty {
            throw OptionError("--wait, --partition, --account, --time and --sbatch-arg go with --executor slurm")
        }
        if warning < 1 { throw OptionError("--warning must be at least 1 second, got \(warning)") }
    }

    /// The settings of the chosen executor.
    var settings: ExecutionSettings {
        var s = ExecutionSettings()
        s.kind = executor
        s.jobs = jobs
        s.wait = wait
        s.slurm.partition = partition
        s.slurm.account = account
        s.slurm.timeLimit = time
        s.slurm.extraArguments = sbatchArguments
        s.slurm.warningSeconds = warning
        if let poll = ProcessInfo.processInfo.environment["BRITTLE_SLURM_POLL"].flatMap(Double.init), poll > 0 { s.slurm.pollSeconds = poll }
        return s
    }

    /// Threads each stage computes with: all of --threads, or its share with --jobs.
    var threadsPerStage: Int { executor == .processes ? max(1, Parallel.threads / jobs) : Parallel.threads }

    /// Whether results can be assembled now (false: Slurm jobs were submitted and not followed).
    func reportNow(_ outcome: ExecutionOutcome) -> Bool { executor != .slurm || wait || outcome.submitted.isEmpty }

    /// Prints what a submission without --wait left running.
    func printSubmitted(_ outcome: ExecutionOutcome, out: String) {
        let ids = Set(outcome.submitted.values).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        print("submitted \(ids.count) stage jobs: \(ids.joined(separator: " "))")
        print("follow them: brittle reproduce status \(out)")
        print("when they are done: brittle reproduce report \(out)")
    }
}

extension ExecutorKind: ExpressibleByArgument {}

/// Stages failed: the run's figures are partial.
struct StagesFailed: Error, CustomStringConvertible {
    let outcome: ExecutionOutcome
    let out: String

    var description: String {
        var lines = ["\(outcome.failed.count) stage(s) failed" + (outcome.blocked.isEmpty ? "" : ", blocking \(outcome.blocked.count) that read them") + ":"]
        for f in outcome.failed {
            lines.append("  \(f.stage): exit status \(f.exitStatus.map(String.init) ?? "?"), log \(f.log ?? "above"): \(f.message.prefix(300))")
        }
        lines.append("Fix the cause, then run the same command again: finished stages are kept, only the rest runs "
                     + "(`brittle reproduce status \(out)` lists every stage).")
        return lines.joined(separator: "\n")
    }
}

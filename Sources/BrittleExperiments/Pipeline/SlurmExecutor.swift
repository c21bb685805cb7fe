// The Slurm executor: every unfinished stage of the plan is one batch job running `brittle stage
// run` on plan.json and the stage's key, chained to its upstream stages' jobs with
// `--dependency=afterok` (and `--kill-on-invalid-dep=yes`, so the dependents of a failed stage
// leave the queue instead of waiting forever). Jobs are recorded in OUT/jobs.json: running the
// same command again resubmits only stages that are neither finished nor queued. Each job asks
// for `--signal=B:USR1@N` and `--requeue`: the stage turns the warning into a requeue and
// resumes from its last finished epoch. `--wait` follows the jobs to the end.
import Foundation

/// Runs a plan's stages as Slurm batch jobs.
public struct SlurmExecutor {
    public let directory: RunDirectory
    public let settings: SlurmSettings
    let log: (String) -> Void

    public init(directory: RunDirectory, settings: SlurmSettings, log: @escaping (String) -> Void = note) {
        self.directory = directory
        self.settings = settings
        self.log = log
    }

    /// Submits the unfinished stages of `plan`; with `wait`, follows them until none is queued
    /// or running.
    public func execute(_ plan: ReproductionPlan, wait: Bool) throws -> ExecutionOutcome {
        let slurm = try Slurm()
        let cache = directory.cache
        try FileManager.default.createDirectory(atPath: directory.logDirectory, withIntermediateDirectories: true)
        var jobs = directory.jobs()
        let live = try liveJobs(jobs, slurm: slurm)
        var outcome = ExecutionOutcome()
        for stage in plan.stages {
            if cache.isFinished(stage) { continue }
            if let job = live[stage.key] {
                outcome.submitted[stage.key] = job
                log("[queued] \(stage.name): job \(job) from an earlier invocation")
                continue
            }
            // A previous failure is retried, as the local executor would.
            cache.clearFailure(stage)
            // Stages come upstream first, so every unfinished upstream stage has a job by now.
            let upstreamJobs = stage.upstream.compactMap { k -> String? in
                guard let s = plan.stage(k), !cache.isFinished(s) else { return nil }
                return outcome.submitted[k]
            }
            let logPattern = (directory.logDirectory as NSString).appendingPathComponent("\(stage.directoryName)-%j.log")
            let request = SlurmJobRequest(
                name: "brittle-\(stage.name)",
                command: [currentExecutable()] + StageCommand.arguments(planFile: directory.planFile, stage: stage, threads: plan.threads),
                workingDirectory: directory.path, logPath: logPattern, dependencies: upstreamJobs, cpusPerTask: plan.threads,
                partition: settings.partition, account: settings.account, timeLimit: settings.timeLimit,
                extraArguments: settings.extraArguments,
                signalBeforeEnd: (signal: "USR1", seconds: settings.warningSeconds), requeue: true,
                environment: ["BRITTLE_STAGE_LOG": logPattern])
            let id = try slurm.submit(request)
            let logFile = logPattern.replacingOccurrences(of: "%j", with: id)
            jobs[stage.key] = SubmittedJob(jobID: id, stage: stage.name, log: logFile, submitted: Date())
            try directory.writeJobs(jobs)
            outcome.submitted[stage.key] = id
            outcome.ran.insert(stage.key)
            log("[submitted] \(stage.name): job \(id)" + (upstreamJobs.isEmpty ? "" : " after \(upstreamJobs.joined(separator: ","))"))
        }
        if wait { try follow(plan, slurm: slurm, outcome: &outcome) }
        outcome.complete = GraphWalk(plan: plan, cache: cache).unfinished.isEmpty
        return outcome
    }

    /// Jobs of jobs.json still queued or running (stage key -> job id).
    func liveJobs(_ jobs: [String: SubmittedJob], slurm: Slurm) throws -> [String: String] {
        guard !jobs.isEmpty else { return [:] }
        let states = try slurm.states(of: jobs.values.map(\.jobID))
        var live: [String: String] = [:]
        for (key, job) in jobs where states[job.jobID]?.isActive == true { live[key] = job.jobID }
        return live
    }

    /// Polls the submitted jobs until none is queued or running; records the failures of jobs
    /// that ended without finishing their stage (cancelled, timed out, killed).
    func follow(_ plan: ReproductionPlan, slurm: Slurm, outcome: inout ExecutionOutcome) throws {
        let cache = directory.cache
        var pending = outcome.submitted
        var reported = Set<String>()
        let jobs = directory.jobs()
        log("waiting for \(pending.count) jobs (`brittle reproduce status \(directory.path)` shows them from another shell)")
        var failedKeys = Set<String>()
        while !pending.isEmpty {
            let states = try slurm.states(of: Array(pending.values))
            // Upstream first: a dependent that Slurm cancelled because a stage it reads failed
            // is blocked, not failed (its job never ran).
            for stage in plan.stages {
                guard let id = pending[stage.key] else { continue }
                let key = stage.key
                let state = states[id] ?? .gone
                if state.isActive { continue }
                pending[key] = nil
                if cache.isFinished(stage) {
                    log("[done] \(stage.name) (job \(id))")
                    continue
                }
                if GraphWalk(plan: plan, cache: cache).blocked(by: failedKeys).contains(key) { continue }
                failedKeys.insert(key)
                let logFile = jobs[key]?.log
                if cache.failure(stage) == nil {
                    cache.recordFailure(stage, message: "Slurm job \(id) ended \(state) without finishing the stage", exitStatus: state.exitCode,
                                        log: logFile)
                }
                if reported.insert(key).inserted, var f = cache.failure(stage) {
                    f.log = f.log ?? logFile
                    outcome.failed.append(f)
                    log("[FAILED] \(stage.name): job \(id) \(state); log \(logFile ?? "?")")
                }
            }
            if !pending.isEmpty { usleep(UInt32(settings.pollSeconds * 1_000_000)) }
        }
        outcome.blocked = plan.stages.filter { GraphWalk(plan: plan, cache: cache).blocked(by: failedKeys).contains($0.key) }.map(\.name)
        for name in outcome.blocked { log("[blocked] \(name): a stage it reads failed") }
    }
}

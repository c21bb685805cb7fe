// The processes executor: independent stages of the plan as concurrent `brittle stage run`
// children, at most `jobs` at a time, each with its share of the threads, each writing its own
// log under OUT/logs. A stage starts when every stage it reads has finished; a failed child is
// reported with its log and exit status and blocks only its dependents. The children share the
// stage cache, so a crash loses only the running stages (and training keeps its epochs).
import Foundation

/// Runs a plan's stages as concurrent child processes.
public struct ProcessesExecutor {
    public let cache: StageCache
    /// plan.json (the children read it).
    public let planFile: String
    public let logDirectory: String
    public let jobs: Int
    /// The `brittle` executable the children run.
    public let executable: String
    let log: (String) -> Void

    public init(cache: StageCache, planFile: String, logDirectory: String, jobs: Int, executable: String = currentExecutable(),
                log: @escaping (String) -> Void = note) {
        self.cache = cache
        self.planFile = planFile
        self.logDirectory = logDirectory
        self.jobs = max(1, jobs)
        self.executable = executable
        self.log = log
    }

    /// Runs every unfinished stage of `plan`, `jobs` at a time, `plan.threads` threads each.
    public func execute(_ plan: ReproductionPlan) throws -> ExecutionOutcome {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        var outcome = ExecutionOutcome()
        let walk = GraphWalk(plan: plan, cache: cache)
        var failed = Set<String>(), started = Set<String>()
        var running: [(stage: PlannedStage, process: Process, log: String, start: Date)] = []
        for s in plan.stages where cache.isFinished(s) { log("[cached] \(s.name)") }
        while true {
            let blocked = walk.blocked(by: failed)
            for s in walk.ready(excluding: started.union(failed).union(blocked)) where running.count < jobs {
                let logFile = (logDirectory as NSString).appendingPathComponent("\(s.directoryName).log")
                let p = try launch(s, plan: plan, logFile: logFile)
                started.insert(s.key)
                running.append((s, p, logFile, Date()))
                log("[stage] \(s.name) (pid \(p.processIdentifier), log \(logFile))")
            }
            if running.isEmpty { break }
            usleep(100_000)
            for (i, r) in running.enumerated().reversed() where !r.process.isRunning {
                running.remove(at: i)
                let status = r.process.terminationReason == .uncaughtSignal ? 128 + r.process.terminationStatus : r.process.terminationStatus
                if status == 0, cache.isFinished(r.stage) {
                    outcome.ran.insert(r.stage.key)
                    log("[done] \(r.stage.name) in \(formatDuration(Date().timeIntervalSince(r.start)))")
                } else {
                    failed.insert(r.stage.key)
                    if cache.failure(r.stage) == nil {
                        cache.recordFailure(r.stage, message: "the stage process exited with status \(status)", exitStatus: status, log: r.log)
                    }
                    var f = cache.failure(r.stage)!
                    f.exitStatus = status
                    f.log = r.log
                    outcome.failed.append(f)
                    log("[FAILED] \(r.stage.name): exit status \(status), log \(r.log)")
                }
            }
        }
        outcome.blocked = plan.stages.filter { walk.blocked(by: failed).contains($0.key) }.map(\.name)
        for name in outcome.blocked { log("[blocked] \(name): a stage it reads failed") }
        outcome.complete = walk.unfinished.isEmpty
        return outcome
    }

    private func launch(_ stage: PlannedStage, plan: ReproductionPlan, logFile: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: logFile) else {
            throw ReproductionError("cannot write \(logFile): check that \(logDirectory) is writable")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = StageCommand.arguments(planFile: planFile, stage: stage, threads: plan.threads)
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        // A failing child records its log in its failure marker (what `status` shows later).
        p.environment = ProcessInfo.processInfo.environment.merging(["BRITTLE_STAGE_LOG": logFile]) { $1 }
        try p.run()
        try? handle.close()
        return p
    }
}

/// The running `brittle` executable (children and Slurm jobs run the same binary).
public func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// The command line of `brittle stage run` for a stage.
public enum StageCommand {
    public static func arguments(planFile: String, stage: PlannedStage, threads: Int) -> [String] {
        ["stage", "run", "--plan", planFile, "--stage", stage.key, "--threads", "\(threads)"]
    }
}

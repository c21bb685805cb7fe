// One stage of a plan run as its own process: what `brittle stage run` does for the processes
// and Slurm executors (and by hand). It refuses to run code other than the code the plan was
// made with (the stage's key names it), skips a finished stage, and records a failure for
// `status` and the executors. Idempotent: run it twice, the second does nothing.
import BrittlePlugins
import Foundation

/// Runs one stage of a plan file.
public enum StageJob {
    /// Runs stage `ref` (key, key prefix or directory name) of the plan at `planFile`, its
    /// stages under the plan's directory. Returns whether it computed anything.
    @discardableResult
    public static func run(planFile: String, stage ref: String, registry: Registry, log: @escaping (String) -> Void = note) throws -> Bool {
        let plan = try ReproductionPlan.read(planFile)
        let stage = try plan.find(ref)
        let directory = try RunDirectory((planFile as NSString).deletingLastPathComponent)
        try checkCode(stage, registry: registry)
        if directory.cache.isFinished(stage) {
            log("[cached] \(stage.name): already finished")
            return false
        }
        log("[stage] \(stage.name) (key \(stage.key.prefix(16)), on \(StageCache.host))")
        let start = Date()
        do {
            try StageRunner(cache: directory.cache, registry: registry, log: log).run(stage, in: plan)
        } catch {
            // The log path as sbatch was given it: its %j is this job's id.
            let env = ProcessInfo.processInfo.environment
            let logFile = env["BRITTLE_STAGE_LOG"].map { $0.replacingOccurrences(of: "%j", with: env["SLURM_JOB_ID"] ?? "%j") }
            directory.cache.recordFailure(stage, message: "\(error)", exitStatus: 1, log: logFile)
            throw error
        }
        log("[done] \(stage.name) in \(formatDuration(Date().timeIntervalSince(start)))")
        return true
    }

    /// Refuses to compute `stage` with code other than the code its key was made with.
    static func checkCode(_ stage: PlannedStage, registry: Registry) throws {
        let here = StageCode(brittle: CodeIdentity.brittle, plugins: try CodeIdentity.plugins(Array(stage.code.plugins.keys), registry: registry))
        guard here == stage.code else {
            var what: [String] = []
            if here.brittle != stage.code.brittle { what.append("Brittle \(here.brittle.prefix(12)) here, \(stage.code.brittle.prefix(12)) in the plan") }
            for (id, v) in stage.code.plugins.sorted(by: { $0.key < $1.key }) where here.plugins[id] != v {
                what.append("\(here.plugins[id] ?? id) here, \(v) in the plan")
            }
            throw ReproductionError("stage \(stage.name) was planned with other code (\(what.joined(separator: "; "))): this job runs a different build. "
                                    + "Run the same `brittle reproduce` command again with this build to re-plan (finished stages of unchanged code are kept)")
        }
    }
}

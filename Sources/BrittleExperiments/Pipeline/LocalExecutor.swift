// The local executor: every stage of the plan in this process, upstream first, with the thread
// count of the command. A failed stage is reported (and recorded for `status`) and blocks only
// the stages that read it; the others still run. Ctrl-C keeps finished stages and epochs.
import BrittleIO
import Foundation

/// Runs a plan's stages in this process.
public struct LocalExecutor {
    public let runner: StageRunner
    let log: (String) -> Void

    public init(runner: StageRunner, log: @escaping (String) -> Void = note) {
        self.runner = runner
        self.log = log
    }

    /// Runs every unfinished stage of `plan`. Errors in the user's setup (memory budget, data,
    /// a model that does not fit the data) would fail every stage alike: they stop the run.
    public func execute(_ plan: ReproductionPlan) throws -> ExecutionOutcome {
        var outcome = ExecutionOutcome()
        let walk = GraphWalk(plan: plan, cache: runner.cache)
        var failed = Set<String>()
        for stage in plan.stages {
            if runner.isFinished(stage) {
                log("[cached] \(stage.name) (took \(formatDuration(runner.cache.seconds(stage) ?? .nan)))")
                continue
            }
            if walk.blocked(by: failed).contains(stage.key) {
                outcome.blocked.append(stage.name)
                log("[blocked] \(stage.name): a stage it reads failed")
                continue
            }
            log("[stage] \(stage.name)")
            let start = Date()
            do {
                try runner.run(stage, in: plan)
                outcome.ran.insert(stage.key)
                log("[done] \(stage.name) in \(formatDuration(Date().timeIntervalSince(start)))")
            } catch where LocalExecutor.stopsTheRun(error) {
                throw error
            } catch {
                failed.insert(stage.key)
                runner.cache.recordFailure(stage, message: "\(error)", exitStatus: 1, log: nil)
                outcome.failed.append(runner.cache.failure(stage)!)
                log("[FAILED] \(stage.name): \(error)")
            }
        }
        outcome.complete = walk.unfinished.isEmpty
        return outcome
    }

    static func stopsTheRun(_ error: Error) -> Bool {
        error is MemoryBudgetError || error is SetupError || error is ModelMismatchError || error is DataError
    }
}

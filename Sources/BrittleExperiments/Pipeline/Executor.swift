// What the executors share: which executor, its settings, what one execution did, and the walk
// over the graph that says which stages are done, ready, failed or blocked by a failed upstream
// stage. The executors themselves: LocalExecutor (this process), ProcessesExecutor (concurrent
// `brittle stage run` children), SlurmExecutor (one batch job per stage).
import Foundation

/// Where stages run.
public enum ExecutorKind: String, CaseIterable, Codable, Sendable {
    /// In this process, one stage after another.
    case local
    /// Independent stages as concurrent `brittle stage run` processes.
    case processes
    /// Every stage a Slurm batch job, chained by `--dependency=afterok`.
    case slurm
}

/// How `sbatch` is asked (the cluster's own names: partition, account, time limit).
public struct SlurmSettings: Codable, Sendable, Equatable {
    public var partition: String?
    public var account: String?
    /// Per-stage time limit in any form sbatch takes (e.g. 2:00:00).
    public var timeLimit: String?
    /// Passed to every sbatch as given (e.g. --qos=low, --constraint=avx2).
    public var extraArguments: [String] = []
    /// Seconds before the time limit (or preemption) at which Slurm warns a stage with SIGUSR1;
    /// the stage then requeues itself, keeping its finished epochs.
    public var warningSeconds: Int = 120
    /// Seconds between two looks at the queue while waiting.
    public var pollSeconds: Double = 5

    public init() {}
}

/// What one execution did.
public struct ExecutionOutcome: Sendable {
    /// Keys of the stages computed by this execution (the rest were finished already).
    public var ran: Set<String> = []
    public var failed: [StageFailure] = []
    /// Stages not run because a stage they read failed.
    public var blocked: [String] = []
    /// Slurm job of each submitted stage (key -> job id).
    public var submitted: [String: String] = [:]
    /// Every stage of the plan has finished.
    public var complete = false
}

/// The state of the graph on disk.
struct GraphWalk {
    let plan: ReproductionPlan
    let cache: StageCache

    /// Stages whose upstream includes a failed stage (directly or not).
    func blocked(by failed: Set<String>) -> Set<String> {
        var out = Set<String>()
        for s in plan.stages where s.upstream.contains(where: { failed.contains($0) || out.contains($0) }) { out.insert(s.key) }
        return out
    }

    /// Not finished, not failed or blocked, and every upstream stage finished.
    func ready(excluding: Set<String>) -> [PlannedStage] {
        plan.stages.filter { s in
            !excluding.contains(s.key) && !cache.isFinished(s)
                && s.upstream.allSatisfy { k in plan.stage(k).map(cache.isFinished) ?? false }
        }
    }

    var unfinished: [PlannedStage] { plan.stages.filter { !cache.isFinished($0) } }
}

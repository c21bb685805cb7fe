// A reproduction or sweep from the command line's point of view: plan the runs into one graph
// (loading each dataset once to draw D_sub), write plan.json, hand the graph to the executor the
// user chose, and assemble each run's results from the finished stages. The commands
// (`reproduce`, `sweep`) stay thin; this is the one copy of the sequence.
import BrittleGEMM
import BrittlePlugins
import Foundation

/// How a plan is executed.
public struct ExecutionSettings: Sendable {
    public var kind: ExecutorKind = .local
    /// Concurrent stage processes (processes executor).
    public var jobs: Int = 1
    public var slurm = SlurmSettings()
    /// Slurm: follow the jobs to the end (else submit and return).
    public var wait = false

    public init() {}
}

/// One `brittle reproduce` / `brittle sweep` invocation over a run directory.
public final class PipelineSession {
    public let directory: RunDirectory
    public let registry: Registry
    let log: (String) -> Void
    private var trainCounts: [String: Int] = [:]

    public init(outputDirectory: String, registry: Registry, log: @escaping (String) -> Void = note) throws {
        directory = try RunDirectory(outputDirectory)
        self.registry = registry
        self.log = log
    }

    /// The graph of `runs`; each stage computes with `threads` threads.
    public func plan(_ runs: [(id: String, config: ReproductionConfig, experiments: [ReproductionExperiment])],
                     threads: Int) throws -> ReproductionPlan {
        var planner = ReproductionPlanner(registry: registry) { [self] d in
            let id = d.dataset + "\u{0}" + (d.dataDir ?? "")
            if let n = trainCounts[id] { return n }
            let n = try DataSource(dataset: d.dataset, dataDirectory: d.dataDir, testLimit: d.testLimit).train().count
            trainCounts[id] = n
            return n
        }
        for r in runs { try planner.add(r.config, experiments: r.experiments, id: r.id) }
        return planner.plan(threads: threads)
    }

    /// Writes plan.json and runs the unfinished stages of `plan` as `settings` say.
    public func execute(_ plan: ReproductionPlan, settings: ExecutionSettings) throws -> ExecutionOutcome {
        try directory.write(plan)
        switch settings.kind {
        case .local:
            return try LocalExecutor(runner: StageRunner(cache: directory.cache, registry: registry, log: log), log: log).execute(plan)
        case .processes:
            return try ProcessesExecutor(cache: directory.cache, planFile: directory.planFile, logDirectory: directory.logDirectory,
                                         jobs: settings.jobs, log: log).execute(plan)
        case .slurm:
            return try SlurmExecutor(directory: directory, settings: settings.slurm, log: log).execute(plan, wait: settings.wait)
        }
    }

    /// The results of `run` from the finished stages.
    public func results(_ run: PlannedRun, plan: ReproductionPlan, outcome: ExecutionOutcome? = nil,
                        seconds: Double? = nil) throws -> ReproductionResults {
        try ReproductionResults.assemble(run, plan: plan, cache: directory.cache, ranNow: outcome?.ran ?? [], seconds: seconds)
    }
}

// A sweep over a run directory: the grid's configurations planned as one graph (stages shared
// between points are one node, computed once), the grid itself kept in OUT/sweep-grid.json so
// `brittle sweep report OUT` can re-render, and the table and report written from the runs'
// results. The executor is the reproduction's (PipelineSession); this only maps runs to points.
import BrittleIO
import Foundation

/// What a sweep directory records about its grid (sweep-grid.json).
public struct SweepSpec: Codable, Sendable {
    public var experiment: String
    public var grid: SweepGrid
    public var seeds: [UInt64]
    /// For each planned run (in plan order): its grid point's index and its seed.
    public var runs: [SweepRunRef]
    /// The `brittle` arguments that planned the sweep (nil in sweep directories from before it
    /// was recorded), kept for `brittle sweep report`.
    public var command: String?

    public struct SweepRunRef: Codable, Sendable {
        public var point: Int
        public var seed: UInt64
    }

    static func file(_ directory: RunDirectory) -> String { directory.file("sweep-grid.json") }

    /// Writes sweep-grid.json.
    public func write(to directory: RunDirectory) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(SweepSpec.file(directory), data: e.encode(self))
    }

    /// Reads a sweep directory's sweep-grid.json.
    public static func read(_ directory: RunDirectory) throws -> SweepSpec {
        guard let data = FileManager.default.contents(atPath: file(directory)) else {
            throw ReproductionError("\(directory.path) is not a sweep directory (no sweep-grid.json): give the --out of `brittle sweep`")
        }
        do { return try JSONDecoder().decode(SweepSpec.self, from: data) } catch {
            throw ReproductionError("\(file(directory)) is damaged (\(error)); run the `brittle sweep` command again")
        }
    }
}

extension PipelineSession {
    /// The sweep's graph: one run per grid point and seed, in the grid's order.
    public func planSweep(_ grid: SweepGrid, experiment: String, experiments: [ReproductionExperiment], seeds: [UInt64],
                          base: ReproductionConfig, threads: Int) throws -> (ReproductionPlan, SweepSpec) {
        let configurations = try grid.configurations(seeds: seeds, base: base)
        let plan = try self.plan(configurations.map { (id: "\($0.point.label) seed \($0.seed)", config: $0.config, experiments: experiments) },
                                 threads: threads)
        let spec = SweepSpec(experiment: experiment, grid: grid, seeds: seeds,
                             runs: configurations.map { SweepSpec.SweepRunRef(point: $0.point.index, seed: $0.seed) })
        return (plan, spec)
    }

    /// `brittle sweep report`: the table again from the finished stages, keeping the sweep's own
    /// command (sweep-grid.json) and how it ran (the earlier sweep.json, when a run wrote one),
    /// and saying it was re-rendered by `command`.
    @discardableResult
    public func rewriteSweep(_ plan: ReproductionPlan, spec: SweepSpec, command: String) throws -> SweepTable {
        let earlier = FileManager.default.contents(atPath: directory.file("sweep.json")).flatMap { try? SweepTable.decode($0) }
        var execution = earlier?.execution.flatMap { $0.executor == Self.rerendered ? nil : $0 }
            ?? self.execution(plan, executor: Self.rerendered)
        execution.rerenderedBy = command
        return try write(plan, spec: spec, execution: execution, command: spec.command ?? command)
    }

    /// The executor named in a table no run wrote (a sweep submitted without waiting).
    static let rerendered = "(re-rendered)"

    /// The sweep table from the finished stages (a partial sweep leaves out unfinished runs'
    /// missing figures), written with its report and figures into the run directory.
    @discardableResult
    public func writeSweep(_ plan: ReproductionPlan, spec: SweepSpec, executor: String, outcome: ExecutionOutcome? = nil,
                           seconds: Double? = nil, command: String) throws -> SweepTable {
        try write(plan, spec: spec, outcome: outcome,
                  execution: execution(plan, executor: executor, outcome: outcome, seconds: seconds), command: command)
    }

    /// How the graph ran: its stages, and those found finished before `outcome` ran any.
    private func execution(_ plan: ReproductionPlan, executor: String, outcome: ExecutionOutcome? = nil,
                           seconds: Double? = nil) -> SweepExecution {
        let cached = plan.stages.filter { directory.cache.isFinished($0) && !(outcome?.ran.contains($0.key) ?? false) }.count
        return SweepExecution(executor: executor, stages: plan.stages.count, cachedStages: cached, seconds: seconds)
    }

    private func write(_ plan: ReproductionPlan, spec: SweepSpec, outcome: ExecutionOutcome? = nil,
                       execution: SweepExecution, command: String) throws -> SweepTable {
        var runs: [SweepRun] = []
        for (run, ref) in zip(plan.runs, spec.runs) {
            runs.append(SweepRun(point: spec.grid.points[ref.point], seed: ref.seed, results: try results(run, plan: plan, outcome: outcome)))
        }
        let table = SweepTable(grid: spec.grid, experiment: spec.experiment, seeds: spec.seeds, runs: runs, execution: execution)
        try SweepReport.write(table, to: directory.path, command: command)
        return table
    }
}

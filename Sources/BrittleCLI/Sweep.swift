// `brittle sweep`: a grid of reproduction settings times seeds as one stage graph (shared stages
// computed once), on any executor, summarised in sweep.json, sweep.md and a figure per headline
// figure with the seed spread; `brittle sweep report OUT` re-renders them. The work is in
// BrittleExperiments (PipelineSession, SweepGrid, SweepTable, SweepReport).
import ArgumentParser
import BrittleExperiments
import BrittleIO
import BrittlePlugins
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a reproduction over a grid of settings and seeds; tabulate and plot each headline figure.",
        subcommands: [SweepRunCommand.self, SweepReportCommand.self],
        defaultSubcommand: SweepRunCommand.self)
}

struct SweepRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep (the default subcommand: `brittle sweep EXPERIMENT --grid ...` runs it).",
        discussion: """
            Every grid point x seed is one reproduction of EXPERIMENT; all of them form one graph \
            in OUT/plan.json, so stages they share (e.g. the source models when only a set's budget \
            changes) are computed once. Writes OUT/sweep.json, sweep.md and one PNG per headline \
            figure in OUT/figures (e.g. clean-d_r.png: the figure against the first swept setting, \
            seed min-max as error bars; the x axis is logarithmic when the setting's values are \
            positive and span a factor of 10 or more).
            Grid values: comma-separated; a list-valued key takes ;-separated lists \
            (--grid det_epsilons=1;2,4;8) or a JSON array of lists.
            Examples:
              brittle sweep non-robust-features --preset quick --grid rand_epsilon=0.5,1,2 --seeds 0,1,2
              brittle sweep non-robust-features --grid set_size=1000,2000 --grid rand_epsilon=1,2 --executor slurm --wait
            """)

    @Argument(help: "robust-features, non-robust-features, transfer or all.") var experiment: String

    @Option(name: .customLong("grid"), help: "A swept setting, key=v1,v2,... (repeatable; the first is the figures' x axis).")
    var grids: [String] = []

    @Option(help: "Seeds of every grid point, comma-separated (default: the preset's).") var seeds: String?

    @Option(help: "Preset: smoke, quick, reference or paper.") var preset: String = "quick"
    @Option(name: .customLong("set"), help: "Override a setting for every point, key=value (repeatable).") var settings: [String] = []
    @Option(help: "JSON file of settings to override (applied before --set).") var config: String?
    @Option(help: "Output directory (default runs/sweep-PRESET); its stages/ cache is reused.") var out: String?
    @Flag(help: "Write OUT/plan.json and exit without running anything.") var planOnly = false

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var plugins: PluginOptions
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var bundleLimit: MaxSizeOptions
    @OptionGroup var execution: ExecutorOptions

    var outputDirectory: String { out ?? "runs/sweep-\(preset)" }

    func validate() throws {
        guard ReproduceRun.experimentNames.contains(experiment) else {
            throw ValidationError("unknown experiment '\(experiment)'; known: \(ReproduceRun.experimentNames.joined(separator: ", "))")
        }
        guard !grids.isEmpty else { throw ValidationError("give at least one --grid key=v1,v2 (e.g. --grid rand_epsilon=1,2)") }
        try validateOutputDirectory(outputDirectory)
        do { _ = try plan() } catch let e as ReproductionError { throw OptionError(e.description) }
    }

    /// The base configuration, the grid and the seeds, validated.
    func plan() throws -> (base: ReproductionConfig, grid: SweepGrid, seeds: [UInt64]) {
        let base = try ReproductionConfig.resolve(preset: preset, configFile: config, settings: settings)
        var seedList = base.seeds
        if let seeds {
            seedList = try seeds.split(separator: ",").map { s -> UInt64 in
                guard let v = UInt64(s.trimmingCharacters(in: .whitespaces)) else {
                    throw ReproductionError("--seeds \(seeds): '\(s)' is not a seed; give non-negative integers, e.g. --seeds 0,1,2")
                }
                return v
            }
            guard !seedList.isEmpty, Set(seedList).count == seedList.count else {
                throw ReproductionError("--seeds \(seeds): give distinct seeds, e.g. --seeds 0,1,2")
            }
        }
        let grid = try SweepGrid(parsing: grids, base: base)
        _ = try grid.configurations(seeds: seedList, base: base)
        return (base, grid, seedList)
    }

    func run() throws {
        let registry = try startComputing(threads, memory, bundleLimit, plugins)
        let (base, grid, seedList) = try plan()
        let experiments = experiment == "all" ? ReproductionExperiment.allCases : [ReproductionExperiment(rawValue: experiment)!]
        TemporaryPaths.setInterruptMessage("\ninterrupted: run the same command again to resume (finished stages and epochs are kept)\n")
        let session = try PipelineSession(outputDirectory: outputDirectory, registry: registry)
        let start = Date()
        do {
            var (plan, spec) = try session.planSweep(grid, experiment: experiment, experiments: experiments, seeds: seedList, base: base,
                                                     threads: execution.threadsPerStage)
            spec.command = CommandLine.arguments.dropFirst().joined(separator: " ")
            try spec.write(to: session.directory)
            if planOnly {
                try session.directory.write(plan)
                print(PlanSummary.render(plan, cache: session.directory.cache))
                return
            }
            note("sweep \(experiment): \(grid.points.count) points x \(seedList.count) seeds = \(plan.runs.count) runs, \(plan.stages.count) distinct stages, executor \(execution.executor.rawValue) -> \(outputDirectory)")
            let outcome = try session.execute(plan, settings: execution.settings)
            guard execution.reportNow(outcome) else { return execution.printSubmitted(outcome, out: outputDirectory) }
            let table = try session.writeSweep(plan, spec: spec, executor: execution.executor.rawValue, outcome: outcome,
                                               seconds: Date().timeIntervalSince(start), command: CommandLine.arguments.dropFirst().joined(separator: " "))
            guard outcome.failed.isEmpty else { throw StagesFailed(outcome: outcome, out: outputDirectory) }
            print("sweep: \(table.points.count) points x \(table.seeds.count) seeds; \(session.directory.file("sweep.md"))")
        } catch let error as StagesFailed {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: session.directory.file("sweep-grid.json"))
            session.directory.removeWhatARefusedRunMade()
            throw error
        }
    }
}

struct SweepReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Re-render sweep.json, sweep.md and the figures from a sweep directory's finished stages.")

    @Argument(help: "The sweep directory (--out of `brittle sweep`).") var out: String
    @OptionGroup var plugins: PluginOptions

    func run() throws {
        plugins.load(quiet: true)
        let directory = try RunDirectory.existing(out)
        let session = try PipelineSession(outputDirectory: directory.path, registry: .shared)
        let table = try session.rewriteSweep(try directory.readPlan(), spec: try SweepSpec.read(directory),
                                             command: CommandLine.arguments.dropFirst().joined(separator: " "))
        print("sweep: \(table.points.count) points x \(table.seeds.count) seeds; \(directory.file("sweep.md"))")
    }
}

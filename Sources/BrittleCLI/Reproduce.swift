// `brittle reproduce`: the paper's experiments end to end (Ilyas et al. 2019, "Adversarial
// Examples Are Not Bugs, They Are Features") with presets, overrides, cached and resumable
// stages, a report and an experiment bundle; and `--from-bundle` to re-check a shared run.
// The pipeline itself lives in BrittleExperiments/Reproduction.
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import BrittlePlugins
import BrittleIO
import Foundation

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproduce the paper's experiments (robust and non-robust features, transfer) with a report.",
        subcommands: [ReproduceRun.self, ReproduceStatus.self, ReproduceReport.self, ReproduceCompare.self, ReproduceGaussian.self],
        defaultSubcommand: ReproduceRun.self)
}

struct ReproduceRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Reproduce the paper's experiments (the default subcommand: `brittle reproduce all` runs it).",
        discussion: """
            EXPERIMENT is robust-features (Figure 2: D, adversarial training, D_R, D_NR, D_sub), \
            non-robust-features (Table 1: D_rand, D_det, D_sub and controls), transfer (Figure 3), or all.
            Presets: smoke (every stage, tiny, under a minute; its figures mean nothing), quick \
            (Fashion-MNIST, 3 set seeds and the attack ensemble; under an hour on 2 cores), reference (the protocol of the reference \
            run the report quotes, every row beside its reference figure; hours), paper (all 60k images, 1000 inversion steps, \
            the D_det budget sweep, 2 seeds; hours). seeds replicate the whole pipeline, set_seeds the models trained \
            on each constructed set (tables show mean, range and 95% interval). Override any setting with --set key=value or a JSON \
            --config file; `--show-config` prints them all.
            The run is a graph of stages (OUT/plan.json; --plan-only writes it and stops), cached \
            in OUT/stages by a hash of their work, inputs and code: rerunning skips what is done, \
            a killed run (Ctrl-C) resumes where it stopped, a changed setting or a code fix reruns \
            only what depends on it. --executor processes runs independent stages at once; \
            --executor slurm makes every stage a batch job (README: "Running on a cluster"). \
            Writes OUT/report.md, results.json, config.json, figures/ and experiment.tar.zst \
            (the whole run: share it; `--from-bundle` re-checks it). \
            `brittle reproduce status OUT` shows every stage; `brittle reproduce report OUT` \
            re-renders the report from the finished stages.
            Examples:
              brittle reproduce all --preset quick --out runs/reproduce
              brittle reproduce non-robust-features --set rand_epsilon=1.0 --set det_epsilons=1,2
              brittle reproduce all --preset paper --executor slurm --partition gpu --time 4:00:00 --wait
              brittle reproduce --from-bundle runs/reproduce/experiment.tar.zst
            """)

    @Argument(help: "robust-features, non-robust-features, transfer or all.")
    var experiment: String?

    @Option(help: "Preset: smoke, quick, reference or paper.") var preset: String = "quick"

    @Option(name: .customLong("set"), help: "Override a setting, key=value (repeatable), e.g. set_size=3000, det_epsilons=1,2,4.")
    var settings: [String] = []

    @Option(help: "JSON file of settings to override (applied before --set).") var config: String?

    @Option(help: "Output directory (default runs/reproduce-PRESET); its stages/ cache is reused.") var out: String?

    @Flag(help: "Skip writing the experiment bundle.") var noBundle = false

    @Flag(help: "Print the configuration the options give, and exit.") var showConfig = false

    @Flag(help: "Write OUT/plan.json (stages, keys, dependencies, estimated cost) and exit without running anything.")
    var planOnly = false

    @Option(help: "Re-check an experiment bundle: verify it, re-evaluate its models, compare the figures.")
    var fromBundle: String?

    @Option(help: "With --from-bundle: largest difference (in accuracy points) that still matches.")
    var tolerance: Double = 0.5

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var plugins: PluginOptions
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var bundleLimit: MaxSizeOptions
    @OptionGroup var execution: ExecutorOptions

    static let experimentNames = ReproductionExperiment.allCases.map(\.rawValue) + ["all"]

    func validate() throws {
        if let fromBundle {
            guard FileManager.default.fileExists(atPath: fromBundle) else { throw ValidationError("--from-bundle \(fromBundle): no such file") }
            if experiment != nil { throw ValidationError("--from-bundle re-checks a finished run: give no EXPERIMENT") }
            guard tolerance >= 0 else { throw ValidationError("--tolerance must be non-negative, got \(tolerance)") }
            return
        }
        guard let experiment else {
            throw ValidationError("give an EXPERIMENT: \(ReproduceRun.experimentNames.joined(separator: ", ")) (or --from-bundle FILE)")
        }
        guard ReproduceRun.experimentNames.contains(experiment) else {
            throw ValidationError("unknown experiment '\(experiment)'; known: \(ReproduceRun.experimentNames.joined(separator: ", "))")
        }
        guard ReproductionConfig.presetNames.contains(preset) else {
            throw ValidationError("unknown --preset '\(preset)'; known: \(ReproductionConfig.presetNames.joined(separator: ", "))")
        }
        if let config, !FileManager.default.fileExists(atPath: config) { throw ValidationError("--config \(config): no such file") }
        try validateOutputDirectory(outputDirectory)
        do { _ = try resolvedConfig() } catch let e as ReproductionError { throw OptionError(e.description) }
    }

    var outputDirectory: String { out ?? "runs/reproduce-\(preset)" }

    /// The preset, then the config file, then each --set, validated.
    func resolvedConfig() throws -> ReproductionConfig {
        try ReproductionConfig.resolve(preset: preset, configFile: config, settings: settings)
    }

    func run() throws {
        let registry = try startComputing(threads, memory, bundleLimit, plugins)
        if let fromBundle { return try recheck(fromBundle, registry: registry) }
        let c = try resolvedConfig()
        if showConfig {
            print(String(decoding: try c.encoded(), as: UTF8.self))
            return
        }
        try checkPlugins(c, registry: registry)
        let experiments = experiment == "all" ? ReproductionExperiment.allCases : [ReproductionExperiment(rawValue: experiment!)!]
        installInterruptMessage()
        let session = try PipelineSession(outputDirectory: outputDirectory, registry: registry)
        let start = Date()
        do {
            let plan = try session.plan([(id: "", config: c, experiments: experiments)], threads: execution.threadsPerStage)
            if planOnly {
                try session.directory.write(plan)
                print(PlanSummary.render(plan, cache: session.directory.cache))
                print("plan: \(session.directory.planFile)")
                return
            }
            note("reproduce \(experiments.map(\.rawValue).joined(separator: ", ")), preset \(c.preset), seeds \(c.seeds), \(plan.stages.count) stages, "
                 + "executor \(execution.executor.rawValue), \(plan.threads) threads per stage -> \(outputDirectory)")
            let outcome = try session.execute(plan, settings: execution.settings)
            guard execution.reportNow(outcome) else { return execution.printSubmitted(outcome, out: outputDirectory) }
            let results = try session.results(plan.runs[0], plan: plan, outcome: outcome, seconds: Date().timeIntervalSince(start))
            let command = CommandLine.arguments.dropFirst().joined(separator: " ")
            do {
                try ReproductionReport.write(results, outputDirectory: session.directory.path, registry: registry, command: command,
                                             bundle: !noBundle && outcome.complete)
            } catch where !outcome.failed.isEmpty {
                // The failed stages are the news (and may be why the report cannot render).
                note("could not write the partial report: \(error)")
            }
            guard outcome.failed.isEmpty else { throw StagesFailed(outcome: outcome, out: outputDirectory) }
            printClaims(results)
        } catch let error as StagesFailed {
            throw error
        } catch {
            session.directory.removeWhatARefusedRunMade()
            throw error
        }
    }

    /// Every plugin the run needs must be loaded before hours of work start.
    func checkPlugins(_ c: ReproductionConfig, registry: Registry) throws {
        for spec in Set(c.transferArchitectures + [c.architecture]) {
            do {
                let (id, parameters) = try parsePluginSpec(spec, kind: "architecture")
                _ = try registry.architecture(id).configuration(parameters)
            } catch { throw ValidationError("\(error)") }
        }
        for id in ["pgd-l2", c.relabelAttack] { do { _ = try registry.attack(id) } catch { throw ValidationError("\(error)") } }
        for id in ["invert-representation", "adversarial-relabel"] {
            do { _ = try registry.construction(id) } catch { throw ValidationError("\(error)") }
        }
    }

    func printClaims(_ results: ReproductionResults) {
        print("")
        for claim in results.claims {
            let mark = claim.holds.map { $0 ? "holds          " : "DOES NOT HOLD  " } ?? "reported       "
            print("\(mark) \(claim.id): \(claim.detail)")
        }
        print("\nreport: \((outputDirectory as NSString).appendingPathComponent("report.md")) (\(formatDuration(results.seconds)))")
    }

    func recheck(_ path: String, registry: Registry) throws {
        let (results, figures) = try ReproductionVerify.verify(bundle: path, tolerance: Float(tolerance / 100), registry: registry)
        print("preset \(results.config.preset), \(results.models.count) models; recorded with \(results.threads) threads, re-measured with \(Parallel.threads)")
        print("model                 seed  metric              recorded   measured   diff")
        var bad = 0
        for f in figures {
            if !f.matches { bad += 1 }
            print(String(format: "%@ %4d  %@ %8.2f%% %8.2f%% %+6.2f %@",
                         f.model.padding(toLength: 21, withPad: " ", startingAt: 0), Int(f.seed),
                         f.metric.padding(toLength: 18, withPad: " ", startingAt: 0), 100 * f.recorded, 100 * f.measured,
                         100 * (f.measured - f.recorded), f.matches ? "" : "MISMATCH"))
        }
        if bad > 0 {
            throw ValidationError("\(bad) of \(figures.count) figures differ from the bundle's results.json by more than \(tolerance) points")
        }
        print("all \(figures.count) figures match (tolerance \(tolerance) points)")
    }
}

/// On Ctrl-C: say how to resume, then exit (finished stages are kept; the running stage's
/// partial output is discarded by the next run; training resumes from its last epoch).
private func installInterruptMessage() {
    TemporaryPaths.setInterruptMessage(
        "\ninterrupted: run the same command again to resume (finished stages and epochs are kept)\n")
}

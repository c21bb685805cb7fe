// `brittle reproduce status OUT` and `brittle reproduce report OUT`: what a run directory's
// stages are doing (done, running, queued with its Slurm job, failed with its log, blocked), and
// its report re-rendered from the finished stages (a finished or a partial run). Both read the
// run directory only; neither computes a stage.
import ArgumentParser
import BrittleExperiments
import BrittlePlugins
import Foundation

struct ReproduceStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every stage of a run directory: done, running, queued (Slurm job), failed (log), blocked, not started.")

    @Argument(help: "The run directory (--out of `brittle reproduce` or `brittle sweep`).") var out: String

    func run() throws {
        let status = try RunStatus.read(try RunDirectory.existing(out))
        print(status.render())
    }
}

struct ReproduceReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Re-render results.json, report.md and figures from a run directory's finished stages (a partial run too).")

    @Argument(help: "The run directory (--out of `brittle reproduce`).") var out: String

    @Flag(help: "Skip writing the experiment bundle (it is written only when every stage has finished).")
    var noBundle = false

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        plugins.load(quiet: true)
        let directory = try RunDirectory.existing(out)
        let plan = try directory.readPlan()
        guard plan.runs.count == 1 else {
            throw ValidationError("\(out) holds a sweep of \(plan.runs.count) runs: render it with `brittle sweep report \(out)`")
        }
        let results = try ReproductionResults.assemble(plan.runs[0], plan: plan, cache: directory.cache)
        let complete = results.missingStages?.isEmpty ?? true
        try ReproductionReport.write(results, outputDirectory: directory.path, registry: Registry.shared,
                                     command: CommandLine.arguments.dropFirst().joined(separator: " "), bundle: complete && !noBundle)
        print("report: \(directory.file("report.md"))" + (complete ? "" : " (partial: \(results.missingStages!.count) stages not finished)"))
    }
}

struct ReproduceCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two run directories stage by stage: which finished stages computed the same files.",
        discussion: """
        Stages are matched by cache key (the same stage with the same inputs and code); each file a \
        stage wrote is compared by content, bundles entry by entry after verifying them. Wall-clock \
        figures (seconds, images per second), the stage record (host, time) and each run's own \
        directory in the paths its files name are left out. Exit status 0 when every stage finished \
        in both runs (and results.json, where both have one) agrees; 1 when one differs.
        """)

    @Argument(help: "A run directory (--out of `brittle reproduce` or `brittle sweep`).") var first: String
    @Argument(help: "The run directory to compare it with.") var second: String

    func run() throws {
        let comparison = try RunComparison.compare(try RunDirectory.existing(first), try RunDirectory.existing(second))
        guard comparison.identical.count + comparison.differing.count > 0 else {
            throw ReproductionError("no stage finished in both \(first) and \(second): their plans share no stage "
                                    + "(another configuration or another build of Brittle), or one has not run yet; "
                                    + "compare a run with a re-run of the same command")
        }
        print(comparison.render(first, second))
        if !comparison.agrees { throw ExitCode(1) }
    }
}

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

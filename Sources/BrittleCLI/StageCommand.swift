// `brittle stage run --plan OUT/plan.json --stage KEY`: one stage of a plan, in this process:
// what the processes and Slurm executors start for each stage. Under Slurm, the job's early
// warning (SIGUSR1, from --signal) requeues the job: the stage resumes from its last epoch.
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import Foundation

struct StageCommandGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Run one stage of a reproduction's plan (what the processes and Slurm executors start).",
        subcommands: [StageRun.self])
}

struct StageRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one stage of OUT/plan.json (skipped if finished; its upstream stages must be finished).",
        discussion: """
            Example: brittle stage run --plan runs/r/plan.json --stage 3f2a9c0d1e2b4a5c
            The stage's key names the code it was planned with: a different build refuses to run it.
            """)

    @Option(help: "The plan.json of a run directory.") var plan: String
    @Option(help: "The stage: its key, the key's first 16 digits, or its directory name.") var stage: String

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var plugins: PluginOptions
    @OptionGroup var memory: MemoryOptions

    func run() throws {
        threads.apply()
        try memory.apply()
        // The plugin libraries the plan was made with, where this node sees them.
        var p = plugins
        let libraries = (try? ReproductionPlan.read(plan).pluginLibraries) ?? []
        p.pluginPaths += libraries.filter { FileManager.default.fileExists(atPath: $0) && !p.pluginPaths.contains($0) }
        p.load()
        PreemptionRequeue.installIfUnderSlurm()
        try StageJob.run(planFile: plan, stage: stage, registry: .shared)
    }
}

// brittle-bench: performance benchmarks of the Brittle kit, one subcommand per workload.
// Not a test: it only measures and compares (OpenBLAS is the reference for the GEMM).
import ArgumentParser

struct BrittleBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brittle-bench",
        abstract: "Benchmarks of the Brittle compute kit.",
        discussion: """
            Results on shared VMs are noisy: every subcommand interleaves the contenders and \
            keeps the best of several batches.
            """,
        subcommands: [GEMMBench.self, TrainBench.self, AttackBench.self, BundleBench.self])
}

BrittleBenchCommand.main()

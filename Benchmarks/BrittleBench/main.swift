// brittle-bench: performance benchmarks of the Brittle kit, one subcommand per workload.
// Not a test: it only measures and compares (OpenBLAS is the reference for the GEMM).
// A BRITTLE_ISA this CPU cannot honour is refused before any subcommand starts.
import ArgumentParser
import BrittleGEMM
import Foundation

struct BrittleBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brittle-bench",
        abstract: "Benchmarks of the Brittle compute kit.",
        discussion: """
            Results on shared VMs are noisy: every subcommand interleaves the contenders and \
            keeps the best of several batches. BRITTLE_ISA=avx2|avx512 forces the GEMM kernel path.
            """,
        subcommands: [GEMMBench.self, TrainBench.self, AttackBench.self, InvertBench.self, EpochBench.self, BundleBench.self, ProfileBench.self, EnsembleBench.self])
}

do {
    try GEMMDispatch.validateEnvironment()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}
BrittleBenchCommand.main()

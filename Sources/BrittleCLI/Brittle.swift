// The `brittle` command: the entry point users meet, and the one place errors become
// "Error: ..." with exit status 1. Each subcommand is a small struct in its own file; none of
// the work lives here: it is in BrittleExperiments and the kit.
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import BrittleIO
import Foundation

@main
struct Brittle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brittle",
        abstract: "A workbench for adversarial-robustness research.",
        discussion: """
            Brittle trains image classifiers, attacks them and rebuilds the datasets of \
            "Adversarial Examples Are Not Bugs, They Are Features" (Ilyas et al., NeurIPS 2019).

            First steps:
              brittle train --arch cnn-small --epochs 10 --out runs/cnn   train on Fashion-MNIST
              brittle evaluate --model runs/cnn                           test accuracy of a model
              brittle reproduce all --preset quick                        the paper on Fashion-MNIST

            Fashion-MNIST is read from /usr/share/datasets/fashion-mnist \
            (apt-get install -y dataset-fashion-mnist). Threads: --threads or BRITTLE_THREADS.
            """,
        version: brittleVersion,
        subcommands: [Train.self, Evaluate.self, AttackCommand.self, Plugins.self, DatasetsCommand.self, BundleCommand.self, Reproduce.self, SweepCommand.self, StageCommandGroup.self])

    /// Temporary files never outlive a run: a signal removes this run's, and the start sweeps
    /// what a killed run (kill -9, a crash) left in the temporary directory. Every refusal of
    /// bad input exits with status 1, a usage error (ArgumentParser's 64) included.
    static func main() {
        TemporaryPaths.installSignalCleanup()
        TemporaryPaths.sweepStale()
        do {
            // A BRITTLE_ISA this CPU cannot honour: "Error: ..." naming the fix, exit status 1.
            try GEMMDispatch.validateEnvironment()
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // Help and --version (0), failures of `run` (1) and explicit ExitCodes keep theirs.
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(1)
        }
    }
}


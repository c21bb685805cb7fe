// `brittle-bench attack`: PGD throughput (images/s) on cnn-small through the host's attack
// runner, as `brittle evaluate` runs it. Anchor for PGD-10, Linf eps 0.1, batch 128, 2 threads:
// PyTorch 2.15 + torchattacks at about 227 images/s on this machine kind (issue #4).
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

struct AttackBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Attack throughput (images/s) of an attack plugin on an architecture.")

    @Option(help: "Architecture id.") var arch: String = "cnn-small"
    @Option(help: "Attack id.") var attack: String = "pgd-linf"
    @Option(help: "Epsilon.") var epsilon: Double = 0.1
    @Option(help: "Attack steps.") var steps: Int = 10
    @Option(help: "Batch size.") var batchSize: Int = 128
    @Option(help: "Worker threads.") var threads: Int = 2
    @Option(help: "Timed batches; the best one counts.") var repeats: Int = 5

    func run() throws {
        Parallel.threads = threads
        _ = PluginLoader.load(PluginLoader.searchPath(explicit: []))
        let archPlugin = try Registry.shared.architecture(arch)
        let model = try archPlugin.build(try archPlugin.configuration(), inputShape: [1, 28, 28], classCount: 10, seed: 0)
        let attackPlugin = try Registry.shared.attack(attack)
        let configured = try attackPlugin.makeAttack(try attackPlugin.configuration(["epsilon": "\(epsilon)", "steps": "\(steps)"]))
        var rng = SeededGenerator(seed: 3)
        let x = Initializer.uniform([batchSize, 1, 28, 28], bound: 0.5, rng: &rng) + Tensor(shape: [batchSize, 1, 28, 28], repeating: 0.5)
        let y = (0..<batchSize).map { $0 % 10 }
        let seeds = (0..<batchSize).map { UInt64($0) }
        let t = interleavedBestTimes([{ _ = runAttack(configured, on: model, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: seeds) }],
                                     repeats: repeats, minBatch: 1.0)
        let ips = Double(batchSize) / t[0]
        print("\(attack) (\(steps) steps, eps \(epsilon)) on \(arch), batch \(batchSize), \(threads) threads: \(fmt(t[0] * 1e3, 1)) ms per batch = \(fmt(ips, 0)) images/s")
        if attack == "pgd-linf" && steps == 10 && batchSize == 128 && arch == "cnn-small" {
            print("vs PyTorch 2.15 + torchattacks anchor (~227 images/s): \(fmt(ips / 227, 2))x " + (ips >= 227 ? "(bar holds)" : "(bar does NOT hold)"))
        }
    }
}

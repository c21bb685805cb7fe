// `brittle-bench attack`: PGD throughput (images/s) on cnn-small through the host's attack
// runner, as `brittle evaluate` runs it. For PGD-Linf on cnn-small, the same loop in PyTorch
// (forward, loss, input gradient, sign step, projection, the best iterate kept per example) runs
// in the same invocation (PyTorchReference.swift) and the ratio is printed (target 1.5x).
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
    @OptionGroup var torch: PyTorchOptions

    func run() throws {
        Parallel.threads = threads
        print(machineSummary())
        _ = PluginLoader.load(PluginLoader.searchPath(explicit: []))
        let archPlugin = try Registry.shared.architecture(arch)
        let model = try archPlugin.build(try archPlugin.configuration(), inputShape: [1, 28, 28], classCount: 10, seed: 0)
        let attackPlugin = try Registry.shared.attack(attack)
        let configured = try attackPlugin.makeAttack(try attackPlugin.configuration(["epsilon": "\(epsilon)", "steps": "\(steps)"]))
        var rng = SeededGenerator(seed: 3)
        let x = Initializer.uniform([batchSize, 1, 28, 28], bound: 0.5, rng: &rng) + Tensor(shape: [batchSize, 1, 28, 28], repeating: 0.5)
        let y = (0..<batchSize).map { $0 % 10 }
        let seeds = (0..<batchSize).map { UInt64($0) }
        let body = { _ = runAttack(configured, on: model, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: seeds) }
        let t = interleavedBestTimes([body], repeats: repeats, minBatch: 1.0)
        let ips = Double(batchSize) / t[0]
        print("\(attack) (\(steps) steps, eps \(epsilon)) on \(arch), batch \(batchSize), \(threads) threads: \(fmt(t[0] * 1e3, 1)) ms per batch = \(fmt(ips, 0)) images/s")
        guard attack == "pgd-linf" && arch == "cnn-small" else { return }
        try torch.compare("attack", ["--threads", "\(threads)", "--batch-size", "\(batchSize)", "--steps", "\(steps)",
                                     "--epsilon", "\(epsilon)", "--repeats", "\(repeats)", "--min-batch", "1.0"],
                          images: batchSize, brittleSeconds: t[0], what: "same attack loop", target: 1.5) {
            interleavedBestTimes([body], repeats: repeats, minBatch: 1.0)[0]
        }
    }
}

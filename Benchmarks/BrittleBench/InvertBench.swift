// `brittle-bench invert`: the D_R / D_NR construction's inner loop, through the real
// `invert-representation` construction plugin: images per second of one inversion step (forward to
// the representation, pullback to the input, normalised L2 step, clamp, best iterate kept) on
// cnn-small. The same loop in PyTorch runs in the same invocation (target 1.5x).
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

struct InvertBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invert",
        abstract: "Representation-inversion step throughput (images/s) of invert-representation on cnn-small.")

    @Option(help: "Images optimised together (the transform's batch-size).") var batchSize: Int = 250
    @Option(help: "Inversion steps per timed run.") var steps: Int = 10
    @Option(help: "Worker threads.") var threads: Int = 2
    @Option(help: "Timed runs; the best one counts.") var repeats: Int = 5
    @OptionGroup var torch: PyTorchOptions

    func validate() throws {
        guard batchSize >= 2, steps >= 1, threads >= 1, repeats >= 1 else {
            throw ValidationError("--batch-size must be at least 2; --steps, --threads and --repeats at least 1")
        }
    }

    func run() throws {
        Parallel.threads = threads
        print(machineSummary())
        _ = PluginLoader.load(PluginLoader.searchPath(explicit: []))
        let arch = try Registry.shared.architecture("cnn-small")
        let model = try arch.build(try arch.configuration(), inputShape: [1, 28, 28], classCount: 10, seed: 0)
        let plugin = try Registry.shared.construction("invert-representation")
        let configuration = try plugin.configuration(["iterations": "\(steps)", "batch-size": "\(batchSize)"])
        let inversion = try plugin.makeConstruction(configuration, registry: .shared)
        var rng = SeededGenerator(seed: 5)
        let images = Initializer.uniform([batchSize, 1, 28, 28], bound: 0.5, rng: &rng) + Tensor(shape: [batchSize, 1, 28, 28], repeating: 0.5)
        let data = LabeledDataset(images: images, labels: (0..<batchSize).map { $0 % 10 },
                                  classNames: (0..<10).map(String.init), name: "random")
        let oracles = ConstructionModel(model), context = ConstructionContext(seed: 1)
        let body = { _ = try? inversion.construct(from: data, using: oracles, context: context) }
        let t = interleavedBestTimes([body], repeats: repeats, minBatch: 1.0)[0]
        let perStep = t / Double(steps)
        let ips = Double(batchSize) / perStep
        print("invert-representation on cnn-small, batch \(batchSize), \(steps) steps, \(threads) threads: "
              + "\(fmt(perStep * 1e3, 1)) ms per step = \(fmt(ips, 0)) images/s")
        try torch.compare("invert", ["--threads", "\(threads)", "--batch-size", "\(batchSize)", "--steps", "\(steps)",
                                     "--repeats", "\(repeats)", "--min-batch", "1.0"],
                          images: batchSize, brittleSeconds: perStep, what: "same inversion loop", target: 1.5) {
            interleavedBestTimes([body], repeats: repeats, minBatch: 1.0)[0] / Double(steps)
        }
    }
}

// `brittle-bench train`: images per second of a full training step (forward, backward, SGD
// update) of a reference architecture, and the step's effective GFLOP/s (GEMM flops counted
// by the kit) as a fraction of the GEMM speed measured in the same run on the step's largest
// product and on 1024^3. For cnn-small, PyTorch CPU runs the same step in the same invocation
// (PyTorchReference.swift) and the ratio is printed against the target (1.5x).
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation
import Synchronization

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training-step throughput (images/s) and effective GFLOP/s of an architecture.",
        discussion: """
            Uses real Fashion-MNIST batches (/usr/share/datasets/fashion-mnist) when installed, \
            random images otherwise (speed does not depend on the pixels).
            """)

    @Option(help: "Architecture id.") var arch: String = "cnn-small"
    @Option(help: "Mini-batch size.") var batchSize: Int = 128
    @Option(help: "Worker threads.") var threads: Int = 2
    @Option(help: "Timed batches of steps; the best one counts.") var repeats: Int = 5
    @Option(help: "Training steps per timed batch.") var steps: Int = 40
    @OptionGroup var torch: PyTorchOptions

    func validate() throws {
        guard batchSize >= 1, threads >= 1, repeats >= 1, steps >= 1 else {
            throw ValidationError("--batch-size, --threads, --repeats and --steps must be at least 1")
        }
    }

    func run() throws {
        Parallel.threads = threads
        ProgressBar.enabled = false
        print(machineSummary())
        let data: LabeledDataset
        if let d = try? FashionMNIST.load(split: .train) {
            data = d
        } else {
            print("Fashion-MNIST not installed: timing on random images")
            var rng = SeededGenerator(seed: 1)
            let n = batchSize * 8
            data = LabeledDataset(images: Initializer.uniform([n, 1, 28, 28], bound: 1, rng: &rng),
                                  labels: (0..<n).map { $0 % 10 }, classNames: (0..<10).map(String.init), name: "random")
        }
        // Architectures are plugins: load the in-tree ones from beside this executable.
        _ = PluginLoader.load(PluginLoader.searchPath(explicit: []))
        let plugin = try Registry.shared.architecture(arch)
        let model = try plugin.build(try plugin.configuration(), inputShape: data.imageShape, classCount: 10, seed: 0)
        let sgd = SGD(momentum: 0.9, weightDecay: 5e-4)
        let batches = data.count / batchSize
        var cursor = 0
        func step() {
            let idx = Array((cursor * batchSize)..<((cursor + 1) * batchSize))
            cursor = (cursor + 1) % batches
            let (x, y) = data.batch(idx)
            trainingStep(model, x, y, sgd: sgd, learningRate: 0.01)
        }
        for _ in 0..<3 { step() }  // warm-up: buffers, pack buffers, worker pool
        let f0 = gemmFlopCounter.load(ordering: .relaxed)
        step()
        let flopPerStep = Double(gemmFlopCounter.load(ordering: .relaxed) - f0)

        // The step's largest GEMM (cnn-small: conv2's weight product) and a square reference,
        // timed in the same run, interleaved with the training batches.
        let shapes: [(Int, Int, Int)] = arch == "cnn-small" ? [(64, batchSize * 196, 288), (1024, 1024, 1024)] : [(1024, 1024, 1024)]
        var buffers: [(UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)] = []
        for (m, n, k) in shapes {
            let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k); a.initialize(repeating: 0.01, count: m * k)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n); b.initialize(repeating: 0.02, count: k * n)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n); c.initialize(repeating: 0, count: m * n)
            buffers.append((a, b, c))
        }
        defer { for (a, b, c) in buffers { a.deallocate(); b.deallocate(); c.deallocate() } }
        var bodies: [() -> Void] = [{ for _ in 0..<steps { step() } }]
        for (i, (m, n, k)) in shapes.enumerated() {
            let (a, b, c) = buffers[i]
            bodies.append { sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n) }
        }
        let t = interleavedBestTimes(bodies, repeats: repeats, minBatch: 0.3)
        let stepSeconds = t[0] / Double(steps)
        let imagesPerSecond = Double(batchSize) / stepSeconds
        let effective = flopPerStep / stepSeconds / 1e9
        print("\(arch), batch \(batchSize), \(threads) threads, \(model.parameterCount) parameters, data: \(data.name)")
        print("GEMM work per training step: \(fmt(flopPerStep / 1e9, 3)) GFLOP (\(fmt(flopPerStep / Double(batchSize) / 1e6, 2)) MFLOP per image)")
        print("training step: \(fmt(stepSeconds * 1e3, 2)) ms = \(fmt(imagesPerSecond, 0)) images/s (best of \(repeats) x \(steps) steps)")
        print("effective: \(fmt(effective)) GFLOP/s")
        for (i, (m, n, k)) in shapes.enumerated() {
            let g = 2 * Double(m * n * k) / t[i + 1] / 1e9
            print("  = \(fmt(100 * effective / g))% of the GEMM's \(fmt(g)) GFLOP/s on \(m)x\(n)x\(k) in this run")
        }
        guard arch == "cnn-small" else { return }
        try torch.compare("train", ["--threads", "\(threads)", "--batch-size", "\(batchSize)", "--steps", "\(steps)",
                                    "--repeats", "\(repeats)"],
                          images: batchSize, brittleSeconds: stepSeconds, what: "same step", target: 1.5) {
            interleavedBestTimes([bodies[0]], repeats: repeats, minBatch: 0.3)[0] / Double(steps)
        }
    }
}

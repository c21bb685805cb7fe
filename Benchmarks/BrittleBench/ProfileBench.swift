// `brittle-bench profile`: runs one hot loop for a fixed number of iterations and nothing else,
// for a profiler to attach to (this VM has no hardware counters, so `perf record -e cpu-clock`
// samples it; `valgrind --tool=callgrind` counts its instructions). The loops are the ones the
// other subcommands time: a cnn-small training step (batch 128), a PGD step (loss and input
// gradient, evaluation mode, batch 128) and an inversion step (representation and its pullback
// to the input, batch 250). Example, as in docs/performance.md:
//   perf record -e cpu-clock -F 4000 -g .build/release/brittle-bench profile train --iterations 200
//   perf report --no-children --sort symbol
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import BrittleNN
import BrittlePlugins
import Foundation

struct ProfileBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Run a training, PGD or inversion step in a loop, for a profiler (no timing of its own).")

    enum Loop: String, ExpressibleByArgument, CaseIterable { case train, pgd, invert }

    @Argument(help: "The loop: train, pgd or invert.") var loop: Loop
    @Option(help: "Iterations of the loop.") var iterations: Int = 100
    @Option(help: "Worker threads.") var threads: Int = 2

    func validate() throws {
        guard iterations >= 1, threads >= 1 else { throw ValidationError("--iterations and --threads must be at least 1") }
    }

    func run() throws {
        Parallel.threads = threads
        _ = PluginLoader.load(PluginLoader.searchPath(explicit: []))
        let arch = try Registry.shared.architecture("cnn-small")
        let model = try arch.build(try arch.configuration(), inputShape: [1, 28, 28], classCount: 10, seed: 0)
        let batch = loop == .invert ? 250 : 128
        var rng = SeededGenerator(seed: 3)
        let x = Initializer.uniform([batch, 1, 28, 28], bound: 0.5, rng: &rng) + Tensor(shape: [batch, 1, 28, 28], repeating: 0.5)
        let y = (0..<batch).map { $0 % 10 }
        let sgd = SGD(momentum: 0.9, weightDecay: 5e-4)
        let t0 = now()
        for _ in 0..<iterations {
            switch loop {
            case .train:
                trainingStep(model, x, y, sgd: sgd, learningRate: 0.01)
            case .pgd:
                model.mode = .evaluation
                _ = model.lossAndInputGradient(x, labels: y)
            case .invert:
                model.mode = .evaluation
                let r = model.representation(x)
                _ = model.backward(representationGradient: r, parameterGradients: false)
            }
        }
        let seconds = now() - t0
        print("\(loop.rawValue): \(iterations) iterations, batch \(batch), \(threads) threads: "
              + "\(fmt(seconds / Double(iterations) * 1e3, 2)) ms per iteration = \(fmt(Double(batch * iterations) / seconds, 0)) images/s (a profile run, not a benchmark)")
    }
}

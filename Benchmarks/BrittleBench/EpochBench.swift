// `brittle-bench epoch`: one whole Fashion-MNIST epoch as a user runs it, `brittle train
// --epochs 1` (load, train cnn-small, test, write the model) against the same program in PyTorch
// (Benchmarks/pytorch/bench.py epoch), each as its own process, alternating: wall time and peak
// resident memory (wait4's rusage) of each, the best of the rounds, and their ratios
// (targets: 1.3x the speed, and less memory).
import ArgumentParser
import Foundation

struct EpochBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epoch",
        abstract: "One whole-process training epoch: brittle train --epochs 1 vs the same in PyTorch.",
        discussion: "Needs the Fashion-MNIST files (Debian's dataset-fashion-mnist) and the brittle executable beside this one.")

    @Option(help: "Worker threads of both (BRITTLE_THREADS / torch.set_num_threads).") var threads: Int = 2
    @Option(help: "Rounds (each runs both once); the best time counts.") var rounds: Int = 2
    @Option(help: "Directory of the Fashion-MNIST IDX files.") var dataDir: String = "/usr/share/datasets/fashion-mnist"
    @OptionGroup var torch: PyTorchOptions

    func validate() throws {
        guard threads >= 1, rounds >= 1 else { throw ValidationError("--threads and --rounds must be at least 1") }
    }

    func run() throws {
        print(machineSummary())
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let brittle = exe.appendingPathComponent("brittle").path
        guard FileManager.default.isExecutableFile(atPath: brittle) else {
            throw ValidationError("no brittle executable beside brittle-bench (\(brittle)); build it: swift build -c release")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-bench-epoch-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let (reference, why) = torch.reference()
        setenv("BRITTLE_THREADS", "\(threads)", 1)
        var best = (brittle: Double.infinity, brittleMemory: 0, torch: Double.infinity, torchMemory: 0)
        var torchLabel = ""
        for round in 1...rounds {
            let r = try runMeasured(brittle, ["train", "--epochs", "1", "--data-dir", dataDir, "--out", out.path])
            guard r.status == 0 else { throw ValidationError("brittle train failed (exit \(r.status)): \(r.stderr.suffix(600))") }
            let accuracy = r.stdout.split(separator: "\n").first { $0.contains("test accuracy") }.map(String.init) ?? ""
            print("round \(round): brittle train --epochs 1: \(fmt(r.seconds, 1)) s, peak \(r.peakBytes >> 20) MiB; \(accuracy)")
            if r.seconds < best.brittle { best.brittle = r.seconds }
            best.brittleMemory = max(best.brittleMemory, r.peakBytes)
            if let reference {
                let t = try reference.run("epoch", ["--threads", "\(threads)", "--data-dir", dataDir])
                torchLabel = PyTorchReference.label(t.json)
                let acc = (t.json["test_accuracy"] as? Double).map { "test accuracy: \(fmt($0 * 100, 2))%" } ?? ""
                print("round \(round): PyTorch epoch: \(fmt(t.seconds, 1)) s, peak \(t.peakBytes >> 20) MiB; \(acc)")
                if t.seconds < best.torch { best.torch = t.seconds }
                best.torchMemory = max(best.torchMemory, t.peakBytes)
            }
        }
        print("whole-process epoch: Brittle \(fmt(best.brittle, 1)) s, peak \(best.brittleMemory >> 20) MiB")
        guard reference != nil else {
            print("PyTorch reference: none (\(why)); no verdict")
            return
        }
        print("vs \(torchLabel) \(fmt(best.torch, 1)) s, peak \(best.torchMemory >> 20) MiB, same run: speed "
              + verdict(best.brittle, best.torch, target: 1.3, higherIsBetter: false)
              + "; memory \(fmt(Double(best.brittleMemory) / Double(max(best.torchMemory, 1)), 2)) of PyTorch's")
    }
}

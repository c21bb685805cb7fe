// The live PyTorch reference of `brittle-bench train | attack | invert | epoch`: the same workload
// run by Benchmarks/pytorch/bench.py in the same invocation, so both figures meet the same
// machine and the same neighbours. PyTorch is a benchmark reference only: when none is found,
// the Brittle figure is printed without a verdict (Benchmarks/pytorch/setup-venv.sh makes one).
import ArgumentParser
import Foundation

/// Where the PyTorch side comes from (shared by the subcommands that compare against it).
struct PyTorchOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Python with torch for the live reference (default: $BRITTLE_TORCH_PYTHON, else /tmp/brittle-torch-venv/bin/python).",
        valueName: "path"))
    var torchPython: String? = nil

    @Flag(help: "Skip the PyTorch reference.")
    var noTorch = false

    /// The comparison every images/s benchmark prints: runs `bench.py MODE ARGUMENTS`, then
    /// Brittle's measurement again (`again`: seconds per `images` images) so that a neighbour's
    /// load meets both sides, and prints the better Brittle round, PyTorch's rate and the verdict.
    func compare(_ mode: String, _ arguments: [String], images: Int, brittleSeconds: Double,
                 what: String, target: Double, again: () -> Double) throws {
        let (reference, why) = self.reference()
        guard let reference else {
            print("PyTorch reference: none (\(why)); no verdict")
            return
        }
        let r = try reference.run(mode, arguments)
        let brittle = Double(images) / min(brittleSeconds, again())
        let torchRate = r.json["images_per_second"] as? Double ?? .nan
        print("Brittle \(fmt(brittle, 0)) images/s (best of two rounds) vs \(PyTorchReference.label(r.json)) "
              + "\(fmt(torchRate, 0)) images/s, \(what), same run: " + verdict(brittle, torchRate, target: target))
    }

    /// The reference, or nil with the reason it is not available.
    func reference() -> (PyTorchReference?, String) {
        if noTorch { return (nil, "--no-torch") }
        let env = ProcessInfo.processInfo.environment
        let python = torchPython ?? env["BRITTLE_TORCH_PYTHON"] ?? "/tmp/brittle-torch-venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            return (nil, "no PyTorch at \(python) (make one: bash Benchmarks/pytorch/setup-venv.sh)")
        }
        guard let script = PyTorchReference.findScript() else {
            return (nil, "Benchmarks/pytorch/bench.py not found beside the build or the working directory")
        }
        return (PyTorchReference(python: python, script: script), "")
    }
}

struct PyTorchReference {
    var python: String
    var script: String

    /// Benchmarks/pytorch/bench.py, looked up from the executable's directory (an in-tree
    /// `.build/<triple>/release`) and from the working directory upwards.
    static func findScript() -> String? {
        if let s = ProcessInfo.processInfo.environment["BRITTLE_TORCH_SCRIPT"] { return s }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for start in [exe, URL(fileURLWithPath: FileManager.default.currentDirectoryPath)] {
            var dir = start
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("Benchmarks/pytorch/bench.py").path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// Runs `bench.py MODE ARGS...` and returns its JSON line, with the process's wall time and
    /// peak resident memory.
    func run(_ mode: String, _ arguments: [String]) throws -> (json: [String: Any], seconds: Double, peakBytes: Int) {
        let r = try runMeasured(python, [script, mode] + arguments)
        guard r.status == 0, let line = r.stdout.split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw ValidationError("PyTorch reference failed (exit \(r.status)): \(r.stderr.suffix(600))")
        }
        return (json, r.seconds, r.peakBytes)
    }

    /// "torch 2.15.0 (AVX2, 2 threads)" from a result line.
    static func label(_ json: [String: Any]) -> String {
        "PyTorch \(json["torch"] ?? "?") (\(json["isa"] ?? "?"), \(json["threads"] ?? "?") threads)"
    }
}

/// A child process's exit status, output, wall time and peak RSS (wait4's rusage: Foundation's
/// Process reaps its children itself, so it is not used here). Output goes through temporary
/// files, which cannot fill up and block the child as a pipe can.
func runMeasured(_ executable: String, _ arguments: [String]) throws
    -> (status: Int32, stdout: String, stderr: String, seconds: Double, peakBytes: Int)
{
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-bench-\(getpid())-\(UInt64(now() * 1e6))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outPath = dir.appendingPathComponent("stdout").path, errPath = dir.appendingPathComponent("stderr").path
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let t0 = now()
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard rc == 0 else { throw ValidationError("cannot start \(executable): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = now() - t0
    let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return (exitStatus, read(outPath), read(errPath), seconds, Int(usage.ru_maxrss) * 1024)
}

/// "Brittle / reference = 1.52x (target >= 1.5x: holds)".
func verdict(_ brittle: Double, _ reference: Double, target: Double, higherIsBetter: Bool = true) -> String {
    let ratio = higherIsBetter ? brittle / reference : reference / brittle
    return "\(fmt(ratio, 2))x (target >= \(fmt(target, 1))x: " + (ratio >= target ? "holds)" : "does NOT hold)")
}

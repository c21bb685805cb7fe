// End-to-end tests of the `brittle` executable: run the real built binary as a user would (a
// child process, stdout and stderr apart, with a timeout) and check its output and files.
// Not unit tests of the training code (TrainingTests.swift). Tests that train on Fashion-MNIST
// are skipped when /usr/share/datasets/fashion-mnist is not installed; the others write their
// own small IDX files.
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation
import XCTest

final class CLITests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("brittle-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        ProgressBar.enabled = false
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    // MARK: Running the executable

    typealias Run = CLIRun

    private final class Sink: @unchecked Sendable { var data = Data() }

    private struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// The built `brittle` executable, found beside the test bundle (`.build/<config>/`).
    private func executable() throws -> String {
        var candidates: [URL] = []
        if let override = ProcessInfo.processInfo.environment["BRITTLE_EXECUTABLE"] {
            candidates.append(URL(fileURLWithPath: override))
        }
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directories = PluginLoader.executableDirectory().map { [URL(fileURLWithPath: $0)] } ?? []
        directories += [
            argv0.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle(for: CLITests.self).bundleURL.deletingLastPathComponent(),
        ]
        for dir in directories {
            candidates.append(dir.appendingPathComponent("brittle"))
        }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: c.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return c.path
            }
        }
        XCTFail(
            "the `brittle` executable is missing (looked at \(candidates.map(\.path))): run "
                + "`swift build` (or `swift build --build-tests`) first, or set BRITTLE_EXECUTABLE")
        throw CocoaError(.executableNotLoadable)
    }

    /// Runs `brittle arguments`, draining stdout and stderr separately; kills the child and
    /// fails after `timeout` seconds.
    private func brittle(
        _ arguments: [String], timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "100"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        // Drain both pipes concurrently: a child that fills one pipe would otherwise block forever.
        let out = Sink(), err = Sink(), group = DispatchGroup()
        let outHandle = outPipe.fileHandleForReading, errHandle = errPipe.fileHandleForReading
        DispatchQueue.global().async(group: group) { out.data = outHandle.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { err.data = errHandle.readDataToEndOfFile() }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = finished.wait(timeout: .now() + 10)
            _ = group.wait(timeout: .now() + 10)
            let run = Run(arguments: arguments, status: -1, reason: .uncaughtSignal,
                          stdout: String(decoding: out.data, as: UTF8.self),
                          stderr: String(decoding: err.data, as: UTF8.self))
            XCTFail("timed out after \(timeout)s:\n\(run.transcript)", file: file, line: line)
            throw Timeout(description: "\(run.commandLine) timed out after \(timeout)s")
        }
        _ = group.wait(timeout: .now() + 30)
        return Run(arguments: arguments, status: process.terminationStatus, reason: process.terminationReason,
                   stdout: String(decoding: out.data, as: UTF8.self),
                   stderr: String(decoding: err.data, as: UTF8.self))
    }

    /// Asserts a normal, successful exit.
    private func assertSuccess(_ run: Run, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.reason, .exit, "killed by a signal:\n\(run.transcript)", file: file, line: line)
        XCTAssertEqual(run.status, 0, "non-zero exit:\n\(run.transcript)", file: file, line: line)
    }

    /// Asserts a clean failure: non-zero exit (not a signal), an "Error:" on stderr that
    /// contains every string of `mentions`, no crash report and no result on stdout.
    private func assertCleanFailure(
        _ run: Run, mentions: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(run.reason, .exit, "killed by a signal (crash):\n\(run.transcript)", file: file, line: line)
        XCTAssertNotEqual(run.status, 0, "exit 0 on bad input:\n\(run.transcript)", file: file, line: line)
        for crash in ["Fatal error", "Stack dump", "Segmentation fault", "Illegal instruction", "Precondition failed"] {
            XCTAssertFalse(run.stderr.contains(crash), "crashed (\(crash)):\n\(run.transcript)", file: file, line: line)
        }
        XCTAssertTrue(run.stderr.contains("Error:"), "no error message:\n\(run.transcript)", file: file, line: line)
        XCTAssertFalse(run.stdout.contains("accuracy"), "printed a result:\n\(run.transcript)", file: file, line: line)
        for m in mentions {
            XCTAssertTrue(run.stderr.contains(m), "stderr does not mention '\(m)':\n\(run.transcript)", file: file, line: line)
        }
    }

    /// Whitespace runs collapsed to one space (help text is wrapped to the terminal width).
    private func flattened(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
    }

    /// The "NN.NN" after `label` in `text` ("test accuracy: 71.80%" -> "71.80").
    private func percentage(after label: String, in text: String, file: StaticString = #filePath, line: UInt = #line)
        -> String?
    {
        guard let r = text.range(of: label) else {
            XCTFail("no '\(label)' in:\n\(text)", file: file, line: line)
            return nil
        }
        let rest = text[r.upperBound...].drop(while: { $0 == " " })
        guard let end = rest.firstIndex(of: "%") else {
            XCTFail("no '%' after '\(label)' in:\n\(text)", file: file, line: line)
            return nil
        }
        let value = String(rest[..<end])
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertTrue(parts.count == 2 && parts[1].count == 2 && Double(value) != nil,
                      "'\(value)' is not a percentage with two decimals", file: file, line: line)
        return value
    }

    private func fashionMNISTOrSkip() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missingPrerequisite("Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist)")
        }
    }

    private func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

    // MARK: Synthetic MNIST-style data

    /// Writes the four IDX files of a 10-class data set of 28x28 images into `dir`: class k
    /// is a bright 8x4 block at its own place on a 2x5 grid (jittered by a pixel) over noise.
    @discardableResult
    private func writeSyntheticDigits(
        in dir: String, train: Int = 200, test: Int = 100, seed: UInt64 = 1
    ) throws -> [String: [UInt8]] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: seed)
        func split(_ count: Int) -> (images: [UInt8], labels: [UInt8]) {
            var pixels = [UInt8](repeating: 0, count: count * 28 * 28)
            var labels: [UInt8] = []
            for i in 0..<count {
                let k = i % 10
                labels.append(UInt8(k))
                let base = i * 784
                for p in 0..<784 { pixels[base + p] = UInt8(rng.nextInt(below: 80)) }
                let top = 3 + 13 * (k / 5) + rng.nextInt(below: 3) - 1
                let left = 2 + 5 * (k % 5) + rng.nextInt(below: 3) - 1
                for r in top..<(top + 8) {
                    for c in left..<(left + 4) { pixels[base + r * 28 + c] = UInt8(180 + rng.nextInt(below: 76)) }
                }
            }
            return (pixels, labels)
        }
        let tr = split(train), te = split(test)
        let files: [String: [UInt8]] = [
            "train-images-idx3-ubyte": IDX.encodeImages(tr.images, count: train, rows: 28, cols: 28),
            "train-labels-idx1-ubyte": IDX.encodeLabels(tr.labels),
            "t10k-images-idx3-ubyte": IDX.encodeImages(te.images, count: test, rows: 28, cols: 28),
            "t10k-labels-idx1-ubyte": IDX.encodeLabels(te.labels),
        ]
        for (name, bytes) in files {
            try Data(bytes).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(name)))
        }
        return files
    }

    // MARK: Help

    func testHelpListsSubcommandsAndMentionsFashionMNIST() throws {
        let run = try brittle(["--help"])
        assertSuccess(run)
        let text = flattened(run.stdout)
        XCTAssertTrue(text.contains("SUBCOMMANDS:"), run.transcript)
        for sub in ["train", "evaluate"] {
            XCTAssertNotNil(text.range(of: "SUBCOMMANDS:.* \(sub) ", options: .regularExpression),
                            "subcommand \(sub) not listed:\n\(run.transcript)")
        }
        XCTAssertTrue(text.contains("Fashion-MNIST"), run.transcript)
    }

    func testTrainHelpDocumentsArchEpochsAndOut() throws {
        let run = try brittle(["train", "--help"])
        assertSuccess(run)
        let text = flattened(run.stdout)
        for option in ["--arch <arch>", "--epochs <epochs>", "--out <out>"] {
            XCTAssertTrue(text.contains(option), "train --help lacks \(option):\n\(run.transcript)")
        }
    }

    // MARK: Training and evaluation

    func testTrainMLPWritesRunDirectoryAndEvaluateReportsTheSameAccuracy() throws {
        try fashionMNISTOrSkip()
        let out = path("mlp")
        let train = try brittle([
            "train", "--arch", "mlp", "--arch-opt", "hidden=64", "--limit", "2000", "--test-limit", "500",
            "--epochs", "1", "--batch-size", "32", "--threads", "2", "--out", out,
        ])
        assertSuccess(train)
        let trained = try XCTUnwrap(percentage(after: "test accuracy:", in: train.stdout))
        XCTAssertGreaterThan(Double(trained)!, 50, "barely above chance (10%):\n\(train.transcript)")
        XCTAssertFalse(train.stdout.contains("epoch 1"), "progress belongs on stderr, not stdout:\n\(train.transcript)")
        XCTAssertTrue(exists(out + "/model.safetensors"), train.transcript)

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
        let metrics = try XCTUnwrap(json as? [String: Any])
        XCTAssertEqual(metrics["architecture"] as? String, "mlp")
        XCTAssertEqual(metrics["architectureOptions"] as? [String: String], ["hidden": "64"])
        XCTAssertEqual(metrics["trainImages"] as? Int, 2000)
        XCTAssertEqual(metrics["testImages"] as? Int, 500)
        let configuration = try XCTUnwrap(metrics["configuration"] as? [String: Any])
        XCTAssertEqual(configuration["epochs"] as? Int, 1)
        XCTAssertEqual(configuration["batchSize"] as? Int, 32)
        let epochs = try XCTUnwrap(metrics["epochs"] as? [[String: Any]])
        XCTAssertEqual(epochs.count, 1)
        XCTAssertEqual(epochs.first?["epoch"] as? Int, 1)
        XCTAssertNotNil(epochs.first?["trainLoss"] as? Double)
        let testAccuracy = try XCTUnwrap(metrics["testAccuracy"] as? Double)
        XCTAssertEqual(String(format: "%.2f", 100 * testAccuracy), trained, "metrics.json and stdout disagree")
        XCTAssertEqual(try XCTUnwrap(epochs.first?["testAccuracy"] as? Double), testAccuracy, accuracy: 1e-6)

        // A different thread count on purpose: GEMM results do not depend on it.
        let evaluate = try brittle(["evaluate", "--model", out, "--test-limit", "500", "--threads", "1"])
        assertSuccess(evaluate)
        XCTAssertEqual(percentage(after: "clean test accuracy:", in: evaluate.stdout), trained, evaluate.transcript)
        // The .safetensors file itself is accepted too.
        let byFile = try brittle(["evaluate", "--model", out + "/model.safetensors", "--test-limit", "500"])
        assertSuccess(byFile)
        XCTAssertEqual(percentage(after: "clean test accuracy:", in: byFile.stdout), trained, byFile.transcript)

        // The run packed as an experiment bundle evaluates directly, to the same figure...
        let bundle = path("mlp.tar.zst")
        assertSuccess(try brittle(["bundle", "pack", out, "-o", bundle]))
        let byBundle = try brittle(["evaluate", "--model", bundle, "--test-limit", "500"])
        assertSuccess(byBundle)
        XCTAssertEqual(percentage(after: "clean test accuracy:", in: byBundle.stdout), trained, byBundle.transcript)
        // ...and a corrupted one is refused with the problem named, not loaded.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        bytes[bytes.count / 2] ^= 0xFF
        let corrupt = path("corrupt.tar.zst")
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        let refused = try brittle(["evaluate", "--model", corrupt, "--test-limit", "500"])
        assertCleanFailure(refused, mentions: ["corrupt.tar.zst"])
    }

    func testSameSeedGivesIdenticalModelBytesAndAnotherSeedDoesNot() throws {
        try fashionMNISTOrSkip()
        func model(seed: Int, _ name: String) throws -> Data {
            let out = path(name)
            let run = try brittle([
                "train", "--arch", "cnn-small", "--arch-opt", "channels1=4", "--arch-opt", "channels2=8",
                "--arch-opt", "hidden=16", "--limit", "512", "--test-limit", "100", "--epochs", "1",
                "--batch-size", "64", "--seed", String(seed), "--threads", "2", "--out", out,
            ])
            assertSuccess(run)
            return try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors"))
        }
        let a = try model(seed: 3, "a"), b = try model(seed: 3, "b"), c = try model(seed: 4, "c")
        XCTAssertGreaterThan(a.count, 1000)
        XCTAssertTrue(a == b, "same seed and thread count, different model.safetensors bytes")
        XCTAssertEqual(a.count, c.count, "same architecture, different file sizes")
        XCTAssertFalse(a == c, "seeds 3 and 4 gave the same model bytes: the seed is ignored")
    }

    func testTrainOnOwnMNISTStyleDirectoryReachesHighAccuracy() throws {
        let data = path("digits")
        try writeSyntheticDigits(in: data)
        let out = path("run")
        let train = try brittle([
            "train", "--dataset", "mnist", "--data-dir", data, "--arch", "mlp", "--arch-opt", "hidden=32",
            "--epochs", "5", "--batch-size", "20", "--threads", "2", "--out", out,
        ])
        assertSuccess(train)
        let acc = try XCTUnwrap(percentage(after: "test accuracy:", in: train.stdout))
        XCTAssertGreaterThan(Double(acc)!, 90, train.transcript)
        XCTAssertTrue(train.stdout.contains("(100 images)"), "not the 100 test images of the directory:\n\(train.transcript)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
        let metrics = try XCTUnwrap(json as? [String: Any])
        XCTAssertEqual(metrics["trainImages"] as? Int, 200)
        XCTAssertEqual(metrics["testImages"] as? Int, 100)
        XCTAssertEqual((metrics["epochs"] as? [Any])?.count, 5)
        XCTAssertTrue((metrics["dataset"] as? String ?? "").contains("mnist"), "\(metrics["dataset"] ?? "nil")")

        let evaluate = try brittle(["evaluate", "--model", out, "--dataset", "mnist", "--data-dir", data])
        assertSuccess(evaluate)
        XCTAssertEqual(percentage(after: "clean test accuracy:", in: evaluate.stdout), acc, evaluate.transcript)
    }

    // MARK: Bad input

    func testUnknownArchitectureListsKnownIds() throws {
        let out = path("out")
        let run = try brittle(["train", "--arch", "transformer", "--epochs", "1", "--out", out])
        assertCleanFailure(run, mentions: ["transformer"] + TestPlugins.architectureIDs)
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    func testUnknownArchitectureOptionNamesKeyAndAllowedOnes() throws {
        let out = path("out")
        let run = try brittle([
            "train", "--arch", "cnn-small", "--arch-opt", "depth=3", "--epochs", "1", "--limit", "10",
            "--test-limit", "10", "--out", out,
        ])
        assertCleanFailure(run, mentions: ["depth", "channels1", "channels2", "hidden"])
        XCTAssertFalse(exists(out), "left an output directory behind")
        let malformed = try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden", "--epochs", "1", "--out", out])
        assertCleanFailure(malformed, mentions: ["--arch-opt", "key=value"])
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    /// issue #4 as a user runs it: `attack` files, `evaluate --attack` files, adversarial training.
    func testAttackEvaluateAndAdversarialTrainingWriteWhatTheySay() throws {
        try fashionMNISTOrSkip()
        let run = path("mlp")
        assertSuccess(try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden=64", "--limit", "3000", "--test-limit", "200",
                                   "--epochs", "2", "--out", run]))

        // Targeted Linf attack: float32 arrays, the budget respected, targets (y + 1) mod 10, a grid.
        let adv = path("adv")
        let attacked = try brittle(["attack", "--model", run, "--attack", "pgd-linf", "--attack-opt", "epsilon=0.05",
                                    "--attack-opt", "steps=5", "--targeted", "next", "--test-limit", "20", "--out", adv])
        assertSuccess(attacked)
        XCTAssertTrue(attacked.stdout.contains("targeted success"), attacked.transcript)
        let x = try NPY.readTensor(path: adv + "/original.npy"), xa = try NPY.readTensor(path: adv + "/adversarial.npy")
        XCTAssertEqual(xa.shape, [20, 1, 28, 28])
        XCTAssertLessThanOrEqual(zip(x.scalars, xa.scalars).map { abs($0 - $1) }.max()!, 0.05 + 1e-6, "Linf budget")
        XCTAssertTrue(xa.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertNotEqual(x, xa)
        let labels = try NPY.readIntegers(path: adv + "/labels.npy").values
        XCTAssertEqual(try NPY.readIntegers(path: adv + "/targets.npy").values, labels.map { ($0 + 1) % 10 })
        let png = try Data(contentsOf: URL(fileURLWithPath: adv + "/examples.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "examples.png is not a PNG")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: adv + "/attack.json"))) as? [String: Any]
        XCTAssertEqual(record?["targeted"] as? String, "next")
        XCTAssertNotNil(record?["successDefinition"] as? String)

        // Robust evaluation: a table, robustness.json with one row per epsilon, and the curve.
        let ev = path("eval")
        let evaluated = try brittle(["evaluate", "--model", run, "--attack", "pgd-l2", "--eps", "0.5,2", "--steps", "5",
                                     "--test-limit", "100", "--out", ev])
        assertSuccess(evaluated)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ev + "/robustness.json"))) as? [String: Any]
        let rows = try XCTUnwrap(json?["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 2)
        let robust = rows.compactMap { ($0["result"] as? [String: Any])?["robustAccuracy"] as? Double }
        let clean = try XCTUnwrap(json?["cleanAccuracy"] as? Double)
        XCTAssertEqual(robust.count, 2)
        XCTAssertLessThanOrEqual(robust[0], clean)
        XCTAssertLessThanOrEqual(robust[1], robust[0], "robust accuracy rose with epsilon")
        XCTAssertTrue(FileManager.default.fileExists(atPath: ev + "/robustness.png"))

        // Adversarial training with FGSM: the per-epoch monitor is recorded (and watches PGD too).
        let at = path("adv-train")
        let trained = try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden=32", "--limit", "1000", "--test-limit", "100",
                                   "--epochs", "1", "--adversarial", "fgsm", "--attack-opt", "epsilon=0.1", "--monitor", "50", "--out", at])
        assertSuccess(trained)
        XCTAssertTrue(trained.stderr.contains("held-out"), trained.transcript)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: at + "/metrics.json"))) as? [String: Any]
        XCTAssertEqual((metrics?["adversarial"] as? [String: Any])?["attack"] as? String, "fgsm")
        let monitor = try XCTUnwrap(metrics?["robustMonitor"] as? [[String: Any]])
        XCTAssertEqual(monitor.count, 1)
        XCTAssertEqual((monitor[0]["robustAccuracy"] as? [String: Any])?.count, 2, "FGSM training must also watch PGD")
    }

    func testOutputPathThatIsAFileIsRejectedBeforeAnyWork() throws {
        let file = path("a-file")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: file))
        let run = try brittle(["train", "--arch", "mlp", "--epochs", "1", "--out", file])
        assertCleanFailure(run, mentions: ["--out", file, "existing file"])
        XCTAssertFalse(run.stderr.contains("NSCocoaErrorDomain"), "raw Foundation error:\n\(run.transcript)")
        XCTAssertFalse(run.stderr.contains("training"), "started training before rejecting --out:\n\(run.transcript)")
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "keep me", "the file was touched")
    }

    func testMalformedArchOptionShowsTrainUsage() throws {
        let run = try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden", "--out", path("out")])
        assertCleanFailure(run, mentions: ["--arch-opt takes key=value"])
        XCTAssertTrue(run.stderr.contains("brittle train"), "usage is not the train command's:\n\(run.transcript)")
    }

    func testStepScheduleDecaysInAOneEpochRun() throws {
        // Milestones are fractions of the run: a 1-epoch run starts at the base rate (was 0.01x).
        let out = path("step")
        let run = try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden=16", "--limit", "256", "--test-limit", "50",
                               "--epochs", "1", "--batch-size", "64", "--schedule", "step", "--lr", "0.1", "--out", out])
        assertSuccess(run)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("step/metrics.json")))) as? [String: Any]
        let last = ((metrics?["epochs"] as? [[String: Any]])?.last?["learningRate"] as? Double) ?? -1
        // 4 batches: fractions 0, 0.25, 0.5, 0.75 -> the last batch is past both milestones (0.1 * 0.01).
        XCTAssertEqual(last, 0.001, accuracy: 1e-7, "learning rate of the last batch")
    }

    func testZeroEpochsIsRejected() throws {
        let out = path("out")
        let run = try brittle(["train", "--arch", "mlp", "--epochs", "0", "--out", out])
        assertCleanFailure(run, mentions: ["--epochs"])
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    func testMissingDataDirectoryNamesItAndThePackage() throws {
        let out = path("out")
        let run = try brittle(["train", "--arch", "mlp", "--data-dir", "/nonexistent/brittle-data", "--out", out])
        assertCleanFailure(run, mentions: ["/nonexistent/brittle-data", "dataset-fashion-mnist"])
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    func testMNISTWithoutDataDirectoryIsRejected() throws {
        let out = path("out")
        let run = try brittle(["train", "--dataset", "mnist", "--arch", "mlp", "--out", out])
        assertCleanFailure(run, mentions: ["--data-dir"])
        XCTAssertFalse(exists(out), "left an output directory behind")
        let evaluate = try brittle(["evaluate", "--dataset", "mnist", "--model", out])
        assertCleanFailure(evaluate, mentions: ["--data-dir"])
    }

    func testEvaluateMissingModelNamesThePath() throws {
        let run = try brittle(["evaluate", "--model", "/nonexistent/run"])
        assertCleanFailure(run, mentions: ["/nonexistent/run"])
        let emptyDir = path("empty")
        try FileManager.default.createDirectory(atPath: emptyDir, withIntermediateDirectories: true)
        let empty = try brittle(["evaluate", "--model", emptyDir])
        assertCleanFailure(empty, mentions: [emptyDir + "/model.safetensors"])
    }

    func testEvaluateTruncatedCheckpointNamesTheFile() throws {
        let model = try TestPlugins.build("mlp", ["hidden": "8"], inputShape: [1, 28, 28], classes: 10, seed: 0)
        let run = path("run")
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let file = run + "/" + Checkpoint.fileName
        try Checkpoint.save(model, to: file)
        let whole = try Data(contentsOf: URL(fileURLWithPath: file))
        let headerLength = Int(whole.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        // Inside the length field, inside the JSON header, inside the tensor data, one byte short.
        for keep in [4, 8 + headerLength / 2, 8 + headerLength + 100, whole.count - 1] {
            try whole.prefix(keep).write(to: URL(fileURLWithPath: file))
            let result = try brittle(["evaluate", "--model", run, "--test-limit", "10"])
            assertCleanFailure(result, mentions: [file])
        }
        // A file that is not a checkpoint at all.
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: file))
        assertCleanFailure(try brittle(["evaluate", "--model", file, "--test-limit", "10"]), mentions: [file])
    }

    func testTruncatedIDXFileIsNamed() throws {
        let data = path("digits")
        let files = try writeSyntheticDigits(in: data, train: 50, test: 20)
        let images = data + "/train-images-idx3-ubyte"
        try Data(files["train-images-idx3-ubyte"]!.dropLast(100)).write(to: URL(fileURLWithPath: images))
        let out = path("out")
        let run = try brittle(["train", "--dataset", "mnist", "--data-dir", data, "--arch", "mlp", "--epochs", "1", "--out", out])
        assertCleanFailure(run, mentions: [images, "truncated"])
        XCTAssertFalse(exists(out), "left an output directory behind")

        // The same for a truncated gzip stream (test labels), when gzip is at hand.
        guard let gzip = ["/usr/bin/gzip", "/bin/gzip"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return }
        try Data(files["train-images-idx3-ubyte"]!).write(to: URL(fileURLWithPath: images))
        let labels = data + "/t10k-labels-idx1-ubyte"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gzip)
        p.arguments = ["-f", labels]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let gz = try Data(contentsOf: URL(fileURLWithPath: labels + ".gz"))
        try gz.prefix(gz.count / 2).write(to: URL(fileURLWithPath: labels + ".gz"))
        let trainRun = try brittle(["train", "--dataset", "mnist", "--data-dir", data, "--arch", "mlp", "--epochs", "1", "--out", out])
        assertCleanFailure(trainRun, mentions: [labels + ".gz"])
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    // MARK: reproduce (smoke preset)

    private func stageLines(_ run: Run, _ tag: String) -> [String] {
        run.stderr.split(separator: "\n").compactMap { line in
            line.hasPrefix(tag + " ") ? String(line.dropFirst(tag.count + 1).split(separator: " ").first ?? "") : nil
        }
    }

    /// The smoke preset end to end, as CI runs it: every stage, the report, results, figures
    /// and bundle; the bundle re-checked; a rerun computing nothing; a changed setting
    /// recomputing exactly the stages that depend on it.
    func testReproduceSmokeWritesReportBundleAndRerunsOnlyWhatChanged() throws {
        try fashionMNISTOrSkip()
        let out = path("repro")
        let arguments = ["reproduce", "all", "--preset", "smoke", "--out", out]
        let first = try brittle(arguments, timeout: 600)
        assertSuccess(first)
        for file in ["report.md", "results.json", "config.json", "figures/datasets.png", "figures/robust-accuracy.png",
                     "figures/transfer.png", "experiment.tar.zst"] {
            XCTAssertTrue(exists(out + "/" + file), "\(file) missing:\n\(first.transcript)")
        }
        for png in ["datasets", "robust-accuracy", "transfer"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/figures/\(png).png"))
            XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(png).png is not a PNG")
        }
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        for text in ["## Claims", "## Robust features", "## Non-robust features", "## Transfer", "D_R", "D_NR", "D_sub", "D_rand",
                     "D_det (eps 2)", "(y+1) share", "84.1%", "32.6%", "## Stages", "## Configuration", "\"set_size\" : 200"] {
            XCTAssertTrue(report.contains(text), "report.md lacks '\(text)'")
        }
        let results = try ReproductionReport.readResults(out + "/results.json")
        XCTAssertEqual(Set(results.models.map(\.name)),
                       ["standard", "robust", "d_r", "d_nr", "d_sub", "d_rand", "d_rand_any", "d_rand_robust", "d_det_eps2"])
        XCTAssertEqual(results.transfer.map(\.architecture), ["mlp", "cnn-small", "resnet-mini"])
        XCTAssertNotNil(results.sets("d_rand").first?.reported["targeted-success"])
        XCTAssertNotNil(results.sets("d_r").first?.reported["relative-distance"])
        XCTAssertEqual(results.sets("d_rand").first?.reported["target-equals-label"], 0, "D_rand's targets exclude y")
        XCTAssertTrue(results.models.allSatisfy { $0.evaluation.robust.count == 2 && $0.transferredAccuracy != nil })
        XCTAssertEqual(results.subsetIndices.first?.count, 200)
        XCTAssertFalse(first.stdout.isEmpty)

        // The bundle verifies, and re-evaluating its models gives the recorded figures.
        assertSuccess(try brittle(["bundle", "verify", out + "/experiment.tar.zst"]))
        let check = try brittle(["reproduce", "--from-bundle", out + "/experiment.tar.zst"], timeout: 300)
        assertSuccess(check)
        XCTAssertTrue(check.stdout.contains("figures match"), check.transcript)
        XCTAssertFalse(check.stdout.contains("MISMATCH"), check.transcript)

        // A rerun computes nothing and reports the same figures.
        let again = try brittle(arguments, timeout: 300)
        assertSuccess(again)
        XCTAssertEqual(stageLines(again, "[stage]"), [], "a rerun recomputed stages:\n\(again.stderr)")
        XCTAssertGreaterThan(stageLines(again, "[cached]").count, 20)
        let rerunResults = try ReproductionReport.readResults(out + "/results.json")
        XCTAssertEqual(rerunResults.models.map(\.evaluation), results.models.map(\.evaluation))

        // Changing the epochs on the constructed sets reruns their training and evaluation only.
        let changed = try brittle(arguments + ["--set", "set_epochs=1", "--no-bundle"], timeout: 300)
        assertSuccess(changed)
        let rerun = stageLines(changed, "[stage]")
        XCTAssertTrue(rerun.contains("train-d_r-cnn-small-s0") && rerun.contains("eval-train-d_det_eps2-cnn-small-s0")
                      && rerun.contains("train-d_rand-resnet-mini-s0"), "\(rerun)")
        XCTAssertEqual(rerun.filter { !($0.hasPrefix("train-") || $0.hasPrefix("eval-train-")) }, [],
                       "stages that do not depend on set_epochs were recomputed")
        XCTAssertTrue(stageLines(changed, "[cached]").contains("robust-cnn-small-s0"))

        // Bad settings fail before any work, naming the key.
        let bad = try brittle(["reproduce", "all", "--preset", "smoke", "--out", path("bad"), "--set", "set_sise=3"])
        assertCleanFailure(bad, mentions: ["set_sise", "set_size"])
        XCTAssertFalse(exists(path("bad")), "a rejected run left an output directory")
        assertCleanFailure(try brittle(["reproduce", "everything"]), mentions: ["everything", "robust-features"])
        assertCleanFailure(try brittle(["reproduce", "--from-bundle", out + "/results.json"]), mentions: ["results.json"])
    }

    /// Ctrl-C in the middle of a training stage: the message says how to resume, and the rerun
    /// resumes (from the last finished epoch) to exactly the figures of an uninterrupted run.
    func testReproduceInterruptedByCtrlCResumesToTheSameFigures() throws {
        try fashionMNISTOrSkip()
        let settings = ["--preset", "smoke", "--set", "robust_epochs=4", "--set", "robust_train_limit=400", "--no-bundle"]
        let reference = path("reference"), resumed = path("resumed")
        assertSuccess(try brittle(["reproduce", "robust-features", "--out", reference] + settings, timeout: 300))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = ["reproduce", "robust-features", "--out", resumed] + settings
        let log = path("interrupted.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Interrupt once the robust model has finished an epoch (its checkpoint exists).
        let deadline = Date().addingTimeInterval(240)
        var checkpoint: String?
        while checkpoint == nil, process.isRunning, Date() < deadline {
            checkpoint = (try? FileManager.default.contentsOfDirectory(atPath: resumed + "/stages"))?
                .first { $0.hasPrefix("robust-") && $0.hasSuffix(".resume.safetensors") }
            usleep(20_000)
        }
        XCTAssertNotNil(checkpoint, "the robust model never wrote an epoch checkpoint")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        try handle.close()
        let transcript = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 130, transcript)
        XCTAssertTrue(transcript.contains("run the same command again to resume"), transcript)
        XCTAssertFalse(exists(resumed + "/results.json"), "an interrupted run wrote results")

        let rerun = try brittle(["reproduce", "robust-features", "--out", resumed] + settings, timeout: 300)
        assertSuccess(rerun)
        XCTAssertTrue(rerun.stderr.contains("resuming after epoch"), rerun.stderr)
        XCTAssertTrue(stageLines(rerun, "[cached]").contains("standard-cnn-small-s0"), rerun.stderr)
        let stages = try FileManager.default.contentsOfDirectory(atPath: resumed + "/stages")
        XCTAssertEqual(stages.filter { $0.contains(".partial-") || $0.hasSuffix(".resume.safetensors") }, [], "leftovers: \(stages)")
        let a = try ReproductionReport.readResults(reference + "/results.json")
        let b = try ReproductionReport.readResults(resumed + "/results.json")
        XCTAssertEqual(b.models.map(\.name), a.models.map(\.name))
        XCTAssertEqual(b.models.map(\.evaluation), a.models.map(\.evaluation), "the resumed run's figures differ")
    }
}

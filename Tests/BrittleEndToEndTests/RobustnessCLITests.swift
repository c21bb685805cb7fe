// The memory budget and the CLI's rough edges through the real binary (issue 10): absurd or
// schema-maximal models refused quickly with the estimate, the budget and the fix; impossible
// limits, missing plugin paths, negative and contradicting epsilons refused; a failed
// `reproduce` leaving nothing behind. Each refusal: exit status 1, no signal, nothing in the
// child's TMPDIR, nothing created outside the sandbox (CLISandbox in BrittleTestSupport). Also the
// estimator against real allocations: every in-tree architecture's estimated parameter count
// equals the built model's, for several configurations.
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import Foundation
import XCTest

final class RobustnessCLITests: XCTestCase {
    private var box: CLISandbox!

    override func setUpWithError() throws { box = try CLISandbox() }
    override func tearDown() { box = nil }

    /// Everything under the sandbox except its TMPDIR, as relative paths.
    private func created() -> Set<String> {
        let all = (FileManager.default.enumerator(atPath: box.root)?.allObjects as? [String]) ?? []
        return Set(all.filter { $0 != "tmp" && !$0.hasPrefix("tmp/") })
    }

    /// Runs `arguments`, expecting a clean refusal mentioning `mentions` that creates nothing
    /// in the sandbox (besides what was there) and leaves nothing in TMPDIR. A refusal that has
    /// not come `within` seconds (work started instead) is killed by the runner and fails.
    @discardableResult
    private func refused(_ arguments: [String], mentions: [String], within seconds: Double = 60,
                         file: StaticString = #filePath, line: UInt = #line) throws -> CLIRun {
        let before = created()
        let run = try box.run(arguments, timeout: seconds, file: file, line: line)
        box.assertRefused(run, mentions: mentions, file: file, line: line)
        XCTAssertFalse(run.stderr.contains("Missing value"), "parsed as a missing value:\n\(run.transcript)", file: file, line: line)
        XCTAssertEqual(created().subtracting(before).sorted(), [], "created files on refusal:\n\(run.transcript)", file: file, line: line)
        return run
    }

    private func fashionMNISTOrSkip() throws { try requireFashionMNIST() }

    // MARK: The memory budget

    func testAbsurdMLPWidthIsRefusedByTheBudgetQuickly() throws {
        try fashionMNISTOrSkip()
        try refused(["train", "--arch", "mlp", "--arch-opt", "hidden=100000000", "--out", box.path("run")],
                    mentions: ["mlp", "hidden=100000000", "memory budget", "--max-memory", "smaller model"], within: 30)
    }

    func testCNNSmallAtItsSchemaMaximumIsRefusedByTheBudgetQuickly() throws {
        try fashionMNISTOrSkip()
        // The maxima the plugin itself declares, so a raised bound is tested too.
        let plugin = try TestPlugins.architecture("cnn-small")
        let options = plugin.parameters.flatMap { spec -> [String] in
            guard case .int(let r) = spec.kind else { return [] }
            return ["--arch-opt", "\(spec.name)=\(r.upperBound)"]
        }
        XCTAssertEqual(options.count, 6, "cnn-small's integer parameters changed: \(options)")
        try refused(["train", "--arch", "cnn-small"] + options + ["--out", box.path("run")],
                    mentions: ["cnn-small", "needs an estimated", "memory budget", "--max-memory"], within: 30)
    }

    func testCheckpointDescribingAHugeModelIsRefusedNotAllocated() throws {
        // A few hundred bytes whose metadata asks the architecture for 2 x 2^27-wide layers.
        let file = box.path("huge.safetensors")
        try Safetensors.write([(name: "x", tensor: Tensor(shape: [1], repeating: 0))], metadata: [
            "brittle.architecture": "mlp", "brittle.configuration": "{\"hidden\":\"134217728-134217728\"}",
            "brittle.input_shape": "1,28,28", "brittle.classes": "10", "format": "pt",
        ], to: file)
        try refused(["evaluate", "--model", file, "--dataset", "synthetic-features"],
                    mentions: ["mlp", "hidden=134217728-134217728", "memory budget", "--max-memory"], within: 30)
        try refused(["attack", "--model", file, "--attack", "fgsm", "--out", box.path("adv")],
                    mentions: ["mlp", "memory budget"], within: 30)
    }

    func testWidthsBeyondTheSchemaBoundAreASchemaError() throws {
        try refused(["train", "--dataset", "synthetic-features", "--arch", "mlp", "--arch-opt", "hidden=256-99999999999",
                     "--out", box.path("run")], mentions: ["mlp", "'hidden'", "1...134217728"])
        try refused(["train", "--dataset", "synthetic-features", "--arch", "cnn-small", "--arch-opt", "channels1=1025",
                     "--out", box.path("run")], mentions: ["cnn-small", "'channels1'", "1...1024"])
    }

    func testSmallModelUnderATinyBudgetIsRefusedAndPassesByDefault() throws {
        let common = ["train", "--dataset", "synthetic-features", "--arch", "cnn-small", "--limit", "256", "--test-limit", "64",
                      "--epochs", "1", "--threads", "2"]
        let out = box.path("run")
        try refused(common + ["--max-memory", "1M", "--out", out],
                    mentions: ["cnn-small", "more than the memory budget of 1.0 MiB", "--max-memory 1M", "Fix: raise the budget with --max-memory"])
        let ok = try box.run(common + ["--out", out])
        XCTAssertEqual(ok.reason, .exit, ok.transcript)
        XCTAssertEqual(ok.status, 0, ok.transcript)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/model.safetensors"), ok.transcript)
        XCTAssertEqual(box.leftovers, [], ok.transcript)
    }

    func testImpossibleMemoryBudgetsAreRejected() throws {
        for value in ["0", "-1", "-5G", "abc", "12Q", "1.5.3G", ""] {
            try refused(["train", "--dataset", "synthetic-features", "--max-memory", value, "--out", box.path("run")],
                        mentions: ["--max-memory", "512M"])
        }
        for command in [["evaluate", "--model", box.path("m")], ["attack", "--model", box.path("m"), "--attack", "fgsm", "--out", box.path("a")],
                        ["reproduce", "all", "--preset", "smoke", "--out", box.path("r")],
                        ["datasets", "build", "--transform", "adversarial-relabel", "--out", box.path("d.tar.zst")]] {
            try refused(command + ["--max-memory=-1"], mentions: ["--max-memory '-1' is negative"])
        }
    }

    // MARK: Rough edges

    func testImpossibleMaxSizesAreRejected() throws {
        let bundle = box.path("some.tar.zst")
        try Data("not read".utf8).write(to: URL(fileURLWithPath: bundle))
        for value in ["-1", "0", "abc", "-5G"] {
            try refused(["bundle", "verify", bundle, "--max-size", value], mentions: ["--max-size", "'\(value)'", "positive size"])
            try refused(["bundle", "inspect", bundle, "--max-size=\(value)"], mentions: ["--max-size", "positive size"])
            try refused(["bundle", "unpack", bundle, "-o", box.path("out"), "--max-size", value], mentions: ["--max-size", "positive size"])
        }
    }

    func testMissingPluginPathIsAnError() throws {
        let missing = box.path("no-such-plugins")
        for command in [["plugins", "list"], ["plugins", "info", "mlp"],
                        ["train", "--dataset", "synthetic-features", "--out", box.path("run")]] {
            try refused(command + ["--plugin-path", missing], mentions: ["--plugin-path \(missing): no such file or directory", "swift build"])
        }
        // An existing directory is still accepted.
        let ok = try box.run(["plugins", "list", "--plugin-path", box.tmp])
        XCTAssertEqual(ok.status, 0, ok.transcript)
    }

    func testNegativeEpsilonGetsTheRangeErrorNotMissingValue() throws {
        let model = box.path("model")
        for eps in [["--eps", "-1"], ["--eps=-1"], ["--eps", "0.5,-1"]] {
            try refused(["evaluate", "--model", model, "--attack", "pgd-l2"] + eps, mentions: ["--eps", "out of range", "non-negative"])
        }
        try refused(["evaluate", "--model", model, "--attack", "pgd-l2", "--eps", "x"], mentions: ["'x' is not a number"])
        try refused(["train", "--dataset", "synthetic-features", "--batch-size", "-1", "--out", box.path("run")],
                    mentions: ["--batch-size must be at least 1, got -1"])
    }

    func testAttackOptionContradictingEpsIsAnError() throws {
        let model = box.path("model")
        try refused(["evaluate", "--model", model, "--attack", "pgd-l2", "--eps", "0.5", "--attack-opt", "epsilon=1"],
                    mentions: ["--attack-opt epsilon=1 contradicts --eps 0.5", "give the epsilon once"])
        try refused(["evaluate", "--model", model, "--attack", "pgd-l2", "--eps", "1,2", "--attack-opt", "epsilon=1"],
                    mentions: ["contradicts --eps 1,2"])
        try refused(["evaluate", "--model", model, "--attack", "pgd-l2", "--steps", "3", "--attack-opt", "steps=4"],
                    mentions: ["--attack-opt steps=4 contradicts --steps 3"])
    }

    func testFailedReproduceLeavesNoEmptyDirectories() throws {
        // A bad --set value, a failure while loading the data, a failure in the first stage.
        let out = box.path("runs/reproduce")
        try refused(["reproduce", "all", "--preset", "smoke", "--set", "set_size=-3", "--out", out], mentions: ["set_size"])
        try refused(["reproduce", "all", "--preset", "smoke", "--set", "data_dir=\(box.path("no-data"))", "--out", out],
                    mentions: ["no-data"])
        try refused(["reproduce", "all", "--preset", "smoke", "--max-memory", "1M", "--out", out],
                    mentions: ["memory budget", "--max-memory"])
        // An existing OUT is kept, but not the stages/ the failed run made in it.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let run = try box.run(["reproduce", "all", "--preset", "smoke", "--max-memory", "1M", "--out", out])
        box.assertRefused(run, mentions: ["memory budget"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [], run.transcript)
    }

    // MARK: The estimator against real allocations

    func testEstimatedParameterCountsEqualBuiltModels() throws {
        let cases: [(String, [String: String], [Int], Int)] = [
            ("mlp", [:], [1, 28, 28], 10),
            ("mlp", ["hidden": "7"], [3, 8, 8], 2),
            ("mlp", ["hidden": "31-17-5"], [1, 28, 28], 10),
            ("cnn-small", [:], [1, 28, 28], 10),
            ("cnn-small", ["channels1": "3", "channels2": "5", "hidden": "11"], [3, 9, 13], 7),
            ("cnn-small", ["channels1": "8", "channels2": "4", "hidden": "16"], [1, 4, 4], 3),
            ("resnet-mini", [:], [1, 28, 28], 10),
            ("resnet-mini", ["width": "4", "blocks": "2"], [3, 10, 10], 5),
            ("resnet-mini", ["width": "3", "blocks": "3"], [1, 7, 9], 2),
        ]
        for (id, parameters, shape, classes) in cases {
            let plugin = try TestPlugins.architecture(id)
            let c = try plugin.configuration(parameters)
            let estimate = try XCTUnwrap(try plugin.costEstimate(c, inputShape: shape, classCount: classes), "\(id) gives no estimate")
            let model = try plugin.build(c, inputShape: shape, classCount: classes, seed: 1)
            let what = "\(id) \(parameters) on \(shape), \(classes) classes"
            XCTAssertEqual(estimate.parameters, model.parameterCount, what)
            XCTAssertEqual(estimate.buffers, model.namedBuffers.reduce(0) { $0 + $1.1.value.count }, what)
            // Activations: at least every layer output the forward pass really produces.
            let x = Tensor(shape: [1] + shape, repeating: 0.5)
            let representation = model.representation(x)
            XCTAssertGreaterThanOrEqual(estimate.activationsPerExample, 2 * x.count + representation.count, what)
        }
    }

    func testEstimateSaturatesInsteadOfTrapping() throws {
        let plugin = try TestPlugins.architecture("mlp")
        let c = try plugin.configuration(["hidden": Array(repeating: "134217728", count: 32).joined(separator: "-")])
        let cost = try XCTUnwrap(try plugin.costEstimate(c, inputShape: [1_000_000, 1_000, 1_000], classCount: 10))
        XCTAssertEqual(cost.parameters, Int.max)
        let e = MemoryBudget.estimate(cost, use: .training(batchSize: 128))
        XCTAssertEqual(e.totalBytes, Int64.max)
        XCTAssertThrowsError(try MemoryBudget(bytes: 1 << 40, source: "test").check(plugin, configuration: c, inputShape: [1, 28, 28],
                                                                                      classCount: 10, use: .training(batchSize: 128)))
    }

    func testPluginWithoutEstimateIsCheckedOnItsParametersAfterBuilding() throws {
        let registry = Registry()
        let plugin = NoEstimateArchitecture()
        try registry.register(plugin)
        let c = try plugin.configuration()
        let tiny = MemoryBudget(bytes: 1000, source: "test")
        // Nothing to check before building: the caller is told so.
        XCTAssertFalse(try tiny.check(plugin, configuration: c, inputShape: [1, 4, 4], classCount: 3, use: .training(batchSize: 8)))
        let model = try plugin.build(c, inputShape: [1, 4, 4], classCount: 3, seed: 0)
        XCTAssertEqual(model.parameterCount, 16 * 3 + 3)
        // 51 parameters x 3 copies x 4 bytes = 612 bytes: fits 1000, not 600.
        XCTAssertNoThrow(try tiny.check(model, use: .training(batchSize: 8), registry: registry))
        XCTAssertThrowsError(try MemoryBudget(bytes: 600, source: "test").check(model, use: .training(batchSize: 8), registry: registry)) {
            XCTAssertTrue("\($0)".contains("activations not estimated"), "\($0)")
        }
    }

    func testByteSizesParse() throws {
        XCTAssertEqual(try MemoryBudget.parseBytes("8G", flag: "--x"), 8 << 30)
        XCTAssertEqual(try MemoryBudget.parseBytes("512M", flag: "--x"), 512 << 20)
        XCTAssertEqual(try MemoryBudget.parseBytes("1.5k", flag: "--x"), 1536)
        XCTAssertEqual(try MemoryBudget.parseBytes("2GiB", flag: "--x"), 2 << 30)
        XCTAssertEqual(try MemoryBudget.parseBytes("1000000", flag: "--x"), 1_000_000)
        for bad in ["0", "-1", "", "G", "1e3", "nan", "inf", "9999999T", "0.1"] {
            XCTAssertThrowsError(try MemoryBudget.parseBytes(bad, flag: "--x"), bad)
        }
        let d = MemoryBudget.systemDefault()
        XCTAssertGreaterThan(d.bytes, 0)
        XCTAssertTrue(d.source.hasPrefix("3/4 of"), d.source)
    }
}

/// An architecture without a cost estimate (the default), as an external plugin may be.
private final class NoEstimateArchitecture: ArchitecturePlugin {
    let id = "no-estimate"
    let version = "1.0.0"
    let summary = "test double: linear model, no cost estimate"
    let parameters: [ParameterSpec] = []
    func build(_ c: Configuration, inputShape: [Int], classCount: Int, seed: UInt64) throws -> Classifier {
        var rng = SeededGenerator(seed: seed)
        return Classifier(features: Sequential([Flatten()]),
                          head: Sequential([Linear(inputShape.reduce(1, *), classCount, rng: &rng)]),
                          architecture: id, configuration: c.text, inputShape: inputShape, classCount: classCount)
    }
}

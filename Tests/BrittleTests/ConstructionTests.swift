// Tests of the paper's dataset constructions: the invert-representation (D_R / D_NR) and
// adversarial-relabel (D_rand / D_det) construction plugins on tiny models and data, and
// `brittle datasets build` end to end (real binary; skipped without Fashion-MNIST installed).
// Not the attacks themselves (AttackTests.swift) nor the bundle format (BundleTests.swift).
import BrittleArchive
import BrittleConformance
import BrittleDatasets
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation
import XCTest

final class ConstructionTests: XCTestCase {
    // MARK: Fixtures

    /// `n` images of 1x12x12 with smooth random content in [0, 1], labels i mod `classes`.
    func tinyData(_ n: Int = 20, classes: Int = 3, seed: UInt64 = 7) -> LabeledDataset {
        var rng = SeededGenerator(seed: seed)
        let images = Tensor(shape: [n, 1, 12, 12]) { p, count in
            for i in 0..<count { p[i] = rng.nextUniform() }
        }
        return LabeledDataset(images: images, labels: (0..<n).map { $0 % classes },
                              classNames: (0..<classes).map { "c\($0)" }, name: "tiny")
    }

    /// A small CNN (with batch norm) for 1x12x12 inputs.
    func tinyCNN(classes: Int = 3, seed: UInt64 = 3) throws -> Classifier {
        try TestPlugins.build("cnn-small", ["channels1": "4", "channels2": "4", "hidden": "16"],
                              inputShape: [1, 12, 12], classes: classes, seed: seed)
    }

    func tinyMLP(classes: Int = 3, seed: UInt64 = 3, inputShape: [Int] = [1, 12, 12]) throws -> Classifier {
        try TestPlugins.build("mlp", ["hidden": "24"], inputShape: inputShape, classes: classes, seed: seed)
    }

    /// Runs construction `id` with text parameters through the plugin API (the host's oracles over
    /// `model`); returns the output and the reported figures.
    func run(_ id: String, _ params: [String: String], on data: LabeledDataset, model: Classifier, seed: UInt64 = 11,
             registry: Registry = .shared) throws -> (data: LabeledDataset, reported: [String: Double]) {
        let plugin = try TestPlugins.construction(id)
        var reported: [String: Double] = [:]
        let construction = try plugin.makeConstruction(try plugin.configuration(params), registry: registry)
        let out = try construction.construct(from: data, using: ConstructionModel(model),
                                             context: ConstructionContext(seed: seed, report: { reported[$0] = $1 }))
        return (out, reported)
    }

    /// The host's path (`datasets build`, `reproduce`): the spec validated, the model optional.
    func runAsHost(_ spec: String, on data: LabeledDataset, model: Classifier?) throws -> LabeledDataset {
        try runConstruction(try ConstructionSpec(spec, registry: .shared), source: data, model: model, seed: 11).dataset
    }

    func example(_ t: Tensor, _ i: Int) -> ArraySlice<Float> {
        t.scalars[(i * t.itemSize)..<((i + 1) * t.itemSize)]
    }

    func l2(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    }

    // MARK: invert-representation

    func testInversionStartsFromAnotherImageAndReducesTheRepresentationDistance() throws {
        let data = tinyData(), model = try tinyCNN()
        model.mode = .training
        let (start, r0) = try run("invert-representation", ["iterations": "0"], on: data, model: model)
        // The start of example i is another image of the dataset, never x_i itself.
        for i in 0..<data.count {
            let s = example(start.images, i)
            XCTAssertNotEqual(s, example(data.images, i), "example \(i) starts from itself")
            XCTAssert((0..<data.count).contains { $0 != i && example(data.images, $0) == s }, "example \(i): start is not another image")
        }
        let (out, r) = try run("invert-representation", ["iterations": "50", "batch-size": "8"], on: data, model: model)
        XCTAssertEqual(model.mode, .training, "model mode not restored")
        let initial = try XCTUnwrap(r0["relative-distance"]), final = try XCTUnwrap(r["relative-distance"])
        XCTAssertEqual(r["initial-relative-distance"]!, initial, accuracy: 1e-9)
        XCTAssertLessThan(final, 0.8 * initial, "50 steps did not reduce the distance (\(initial) -> \(final))")
        XCTAssertNotNil(r["batch-0/relative-distance"]); XCTAssertNotNil(r["batch-2/relative-distance"])
        XCTAssertNil(r["batch-3/relative-distance"])
        XCTAssertEqual(out.labels, data.labels)
        XCTAssertEqual(out.images.shape, data.images.shape)
        XCTAssert(out.images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "output outside [0, 1]")
        // The reported distance is the real one.
        model.mode = .evaluation
        let g = model.representation(data.images), gr = model.representation(out.images)
        let measured = (0..<data.count).map { l2(example(gr, $0), example(g, $0)) / l2(example(g, $0), ArraySlice(repeating: 0, count: g.itemSize)) }
        XCTAssertEqual(measured.reduce(0, +) / Double(data.count), final, accuracy: 1e-4)
    }

    func testInversionIsDeterministicPerExampleAndSeeded() throws {
        let data = tinyData(), model = try tinyCNN()
        let p = ["iterations": "15", "batch-size": "10"]
        let a = try run("invert-representation", p, on: data, model: model).data
        let b = try run("invert-representation", p, on: data, model: model).data
        XCTAssertEqual(a.images, b.images, "not deterministic")
        let single = try run("invert-representation", ["iterations": "15", "batch-size": "1"], on: data, model: model).data
        for i in 0..<data.count {
            let d = l2(example(single.images, i), example(a.images, i))
            XCTAssertLessThan(d, 1e-4, "example \(i) depends on its batch (batch 1 vs 10: L2 difference \(d))")
        }
        let other = try run("invert-representation", p, on: data, model: model, seed: 12).data
        XCTAssertNotEqual(other.images, a.images, "the seed does not choose the starts")
        // Noise starts: in [0, 1], not an image of the dataset.
        let noise = try run("invert-representation", ["iterations": "0", "start": "noise"], on: data, model: model).data
        XCTAssert(noise.images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssert((0..<data.count).allSatisfy { example(noise.images, 0) != example(data.images, $0) })
    }

    func testInversionNeedsAModelAndAValidStep() throws {
        XCTAssertThrowsError(try runAsHost("invert-representation", on: tinyData(), model: nil)) {
            XCTAssert("\($0)".contains("invert-representation needs a model: pass --model"), "\($0)")
        }
        XCTAssertThrowsError(try run("invert-representation", ["step-size": "0"], on: tinyData(), model: try tinyMLP())) {
            XCTAssert("\($0)".contains("step-size"), "\($0)")
        }
        XCTAssertThrowsError(try TestPlugins.construction("invert-representation").configuration(["start": "zeros"])) {
            XCTAssert("\($0)".contains("other-image, noise"), "\($0)")
        }
    }

    // MARK: adversarial-relabel

    let attackParams = ["epsilon": "3", "steps": "20", "step-size": "0.5", "batch-size": "7"]

    func testRelabelTargetRules() throws {
        let data = tinyData(30), model = try tinyMLP()
        let next = try run("adversarial-relabel", attackParams.merging(["target-rule": "next"]) { $1 }, on: data, model: model).data
        XCTAssertEqual(next.labels, data.labels.map { ($0 + 1) % 3 })
        let (random, r) = try run("adversarial-relabel", attackParams, on: data, model: model)
        XCTAssert(zip(random.labels, data.labels).allSatisfy { $0 != $1 }, "rule random picked the true label")
        XCTAssertEqual(Set(random.labels), [0, 1, 2])
        XCTAssertEqual(r["target-equals-label"], 0)
        let (any, ra) = try run("adversarial-relabel", attackParams.merging(["target-rule": "random-any"]) { $1 }, on: data, model: model)
        let same = Agreement.count(any.labels, data.labels)
        XCTAssertGreaterThan(same, 0, "random-any never picked the true label in 30 draws over 3 classes")
        XCTAssertEqual(ra["target-equals-label"]!, Double(same) / 30, accuracy: 1e-12)
    }

    func testRelabelReachesTargetsInsideTheBallAndReportsHonestly() throws {
        let data = tinyData(), model = try tinyCNN()
        let (out, r) = try run("adversarial-relabel", attackParams, on: data, model: model)
        let success = try XCTUnwrap(r["targeted-success"])
        XCTAssert((0...1).contains(success))
        XCTAssertGreaterThan(success, 0, "no target reached at epsilon 3")
        // The reported rate is the model's own verdict on the returned images.
        let predictions = model.predict(out.images)
        XCTAssertEqual(success, Double(Agreement.count(predictions, out.labels)) / Double(data.count), accuracy: 1e-12)
        for i in 0..<data.count {
            XCTAssertLessThanOrEqual(l2(example(out.images, i), example(data.images, i)), 3 * (1 + 1e-6), "example \(i) outside the ball")
        }
        XCTAssert(out.images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "output outside [0, 1]")
        // Per example: batch-size 1 gives the same images, and the run is deterministic.
        let single = try run("adversarial-relabel", attackParams.merging(["batch-size": "1"]) { $1 }, on: data, model: model).data
        XCTAssertEqual(single.labels, out.labels)
        for i in 0..<data.count {
            XCTAssertLessThan(l2(example(single.images, i), example(out.images, i)), 1e-4, "example \(i) depends on its batch")
        }
        XCTAssertEqual(try run("adversarial-relabel", attackParams, on: data, model: model).data.images, out.images)
    }

    func testRelabelRejectsMissingModelUnknownAttackAndAttacksWithoutEpsilon() throws {
        let data = tinyData(), model = try tinyMLP()
        XCTAssertThrowsError(try runAsHost("adversarial-relabel", on: data, model: nil)) {
            XCTAssert("\($0)".contains("needs a model"), "\($0)")
        }
        XCTAssertThrowsError(try run("adversarial-relabel", ["attack": "no-such-attack"], on: data, model: model)) {
            XCTAssert("\($0)".contains("no-such-attack") && "\($0)".contains("pgd-l2"), "\($0)")
        }
        let registry = Registry()
        try registry.register(NoBudgetAttack())
        XCTAssertThrowsError(try run("adversarial-relabel", ["attack": "no-budget"], on: data, model: model, registry: registry)) {
            XCTAssert("\($0)".contains("takes no epsilon"), "\($0)")
        }
        // An attack without steps / step-size (fgsm) only gets epsilon.
        let (out, _) = try run("adversarial-relabel", ["attack": "fgsm", "epsilon": "0.5"], on: data, model: model)
        for i in 0..<data.count { XCTAssertLessThanOrEqual(l2(example(out.images, i), example(data.images, i)), 0.5 * (1 + 1e-6) * 12) }
        XCTAssertThrowsError(try run("adversarial-relabel", ["epsilon": "0.1", "step-size": "0.4"], on: data, model: model)) {
            XCTAssert("\($0)".contains("step"), "\($0)")  // pgd-l2 rejects a step above 2 x epsilon
        }
    }

    func testBothConstructionsPassConstructionConformance() throws {
        let model = try tinyMLP(inputShape: [1, 8, 8])
        for (id, params) in [("invert-representation", ["iterations": "5", "batch-size": "5"]),
                             ("adversarial-relabel", ["steps": "3", "step-size": "0.5", "batch-size": "5"])] {
            let failures = ConstructionConformance.check(try TestPlugins.construction(id), parameters: params, model: model)
            XCTAssertEqual(failures, [], "\(id):\n" + failures.joined(separator: "\n"))
            XCTAssertEqual(ConstructionConformance.check(try TestPlugins.construction(id), parameters: params), [],
                           "\(id) with the default conformance model")
        }
        XCTAssertTrue(try TestPlugins.construction("invert-representation").preservesLabels)
        XCTAssertFalse(try TestPlugins.construction("adversarial-relabel").preservesLabels)
    }

    // MARK: brittle datasets build (end to end)

    func testDatasetsBuildWritesAVerifiableBundleThatTrainsAndTestsOnTheOriginalTestSet() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") else {
            throw missingPrerequisite("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        let brittle = try executable()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-construct-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        var r = try sh(brittle, ["train", "--arch", "mlp", "--arch-opt", "hidden=32", "--epochs", "1", "--limit", "500",
                                 "--test-limit", "100", "--out", dir + "/std"])
        XCTAssertEqual(r.status, 0, r.err)

        // Validation comes first: a bad parameter fails fast and writes nothing.
        r = try sh(brittle, ["datasets", "build", "--transform", "adversarial-relabel:target-rule=sideways", "--model", dir + "/std",
                             "--out", dir + "/bad.tar.zst"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("target-rule") && r.err.contains("random, random-any, next"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad.tar.zst"))
        r = try sh(brittle, ["datasets", "build", "--transform", "invert-representation", "--limit", "4", "--out", dir + "/bad.tar.zst"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("pass --model"), r.err)

        let det = dir + "/det.tar.zst"
        r = try sh(brittle, ["datasets", "build", "--transform", "adversarial-relabel:target-rule=next,steps=10,step-size=0.5",
                             "--model", dir + "/std", "--limit", "40", "--seed", "3", "--out", det])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("targeted-success"), r.out)
        r = try sh(brittle, ["bundle", "verify", det])
        XCTAssertEqual(r.status, 0, r.err + r.out)

        let manifest = try BundleReader.manifest(of: det)
        XCTAssertEqual(manifest.kind, .dataset)
        let c = try XCTUnwrap(manifest.configuration["construction"])
        XCTAssertEqual(c["transform"]?["id"]?.stringValue, "adversarial-relabel")
        XCTAssertEqual(c["transform"]?["parameters"]?["target-rule"]?.stringValue, "next")
        XCTAssertEqual(c["transform"]?["parameters"]?["epsilon"]?.numberValue, 2)
        XCTAssertEqual(c["source"]?["dataset"]?.stringValue, "fashion-mnist")
        XCTAssertEqual(c["source"]?["count"]?.numberValue, 40)
        XCTAssertEqual(c["model"]?["architecture"]?.stringValue, "mlp")
        XCTAssertEqual(c["model"]?["sha256"]?.stringValue?.count, 64)
        XCTAssertEqual(c["seed"]?.numberValue, 3)
        XCTAssertEqual(manifest.seeds["transform"], 3)
        let success = try XCTUnwrap(c["reported"]?["targeted-success"]?.numberValue)
        XCTAssert((0...1).contains(success))
        XCTAssertEqual(Set(manifest.plugins.map(\.id)), ["adversarial-relabel", "mlp", "pgd-l2"])

        // The images are float32 in [0, 1], labels (y + 1) mod 10 of the first 40 training images.
        let built = try DatasetBundle.load(det, split: .train)
        let source = try FashionMNIST.load(directory: "/usr/share/datasets/fashion-mnist", split: .train).subset(Array(0..<40))
        XCTAssertEqual(built.labels, source.labels.map { ($0 + 1) % 10 })
        XCTAssertEqual(built.classNames, source.classNames)
        XCTAssert(built.images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertNotEqual(built.images, source.images)

        // Training on it: without a test set the error says how to get one; with one, the
        // original test set is used.
        r = try sh(brittle, ["train", "--dataset", det, "--arch", "mlp", "--arch-opt", "hidden=16", "--epochs", "1", "--out", dir + "/d"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("--test-dataset fashion-mnist"), r.err)
        r = try sh(brittle, ["train", "--dataset", det, "--test-dataset", "fashion-mnist", "--test-limit", "150", "--arch", "mlp",
                             "--arch-opt", "hidden=16", "--epochs", "1", "--out", dir + "/d"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("(150 images)"), r.out)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/d/metrics.json"))) as? [String: Any]
        XCTAssertEqual(metrics?["trainImages"] as? Int, 40)
        XCTAssertEqual(metrics?["testImages"] as? Int, 150)
        XCTAssertEqual(metrics?["testDataset"] as? String, "fashion-mnist:test", "metrics.json names the test set")
        // A test set of another shape is refused, naming both.
        r = try sh(brittle, ["train", "--dataset", det, "--test-dataset", "synthetic-features", "--arch", "mlp",
                             "--arch-opt", "hidden=16", "--epochs", "1", "--out", dir + "/mismatch"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("does not match the training set"), r.err)
        // `datasets show` on a train-only bundle describes it and says it has no test split.
        r = try sh(brittle, ["datasets", "show", det, "--grid", dir + "/det-grid.png"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("test: none in this bundle"), r.out)

        // D_R-style inversion through the CLI as well (few iterations).
        let dr = dir + "/dr.tar.zst"
        r = try sh(brittle, ["datasets", "build", "--transform", "invert-representation:iterations=20", "--model", dir + "/std",
                             "--limit", "12", "--out", dr, "--name", "tiny-dnr"])
        XCTAssertEqual(r.status, 0, r.err)
        let m2 = try BundleReader.manifest(of: dr)
        XCTAssertEqual(m2.configuration["dataset"]?.stringValue, "tiny-dnr")
        XCTAssertNotNil(m2.configuration["construction"]?["reported"]?["relative-distance"]?.numberValue)
        XCTAssertEqual(try DatasetBundle.load(dr, split: .train).labels, source.labels.prefix(12).map { $0 })
    }

    // MARK: Running the binary

    func executable() throws -> String {
        var candidates: [String] = []
        if let e = ProcessInfo.processInfo.environment["BRITTLE_EXECUTABLE"] { candidates.append(e) }
        if let d = PluginLoader.executableDirectory() { candidates.append(d + "/brittle") }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path + "/brittle")
        candidates.append(Bundle(for: ConstructionTests.self).bundleURL.deletingLastPathComponent().path + "/brittle")
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            // Fail, not skip: a missing binary must not silently drop the CLI tests.
            XCTFail("the brittle executable is not built (run `swift build` first); looked at \(candidates)")
            throw CocoaError(.fileNoSuchFile)
        }
        return found
    }

    private final class Sink: @unchecked Sendable { var data = Data() }

    /// Runs `exe args` (stdout and stderr drained concurrently); fails after `timeout` seconds.
    func sh(_ exe: String, _ args: [String], timeout: TimeInterval = 120) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        let outPipe = Pipe(), errPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        let out = Sink(), err = Sink(), group = DispatchGroup()
        let oh = outPipe.fileHandleForReading, eh = errPipe.fileHandleForReading
        DispatchQueue.global().async(group: group) { out.data = oh.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { err.data = eh.readDataToEndOfFile() }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            kill(p.processIdentifier, SIGKILL)
            XCTFail("brittle \(args.joined(separator: " ")) timed out after \(timeout)s")
        }
        group.wait()
        return (p.terminationStatus, String(decoding: out.data, as: UTF8.self), String(decoding: err.data, as: UTF8.self))
    }
}

/// An attack plugin without an epsilon parameter (adversarial-relabel must refuse it).
private final class NoBudgetAttack: AttackPlugin {
    let id = "no-budget"
    let version = "1.0.0"
    let summary = "test double: no epsilon"
    let parameters = [ParameterSpec("steps", .int(1...10), default: .int(1), help: "unused")]
    func makeAttack(_ configuration: Configuration) throws -> any Attack {
        throw ConfigurationError(plugin: id, parameter: nil, message: "never built")
    }
}

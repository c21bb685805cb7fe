// Plugin API v4 in-process: the handshake refuses a v3 plugin with both versions and the fix;
// each data-side family registers and is found by its own lookup; a construction sees the
// model's representation exactly through its oracle; the D_R inversion still computes what the
// pre-v4 inline loop did, bit for bit; and each new conformance check fails on a planted bug.
import BrittleConformance
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import Foundation
import XCTest

final class PluginFamilyTests: XCTestCase {
    // MARK: Handshake

    func testHandshakeRefusesAVersion3PluginNamingBothVersionsAndTheFix() throws {
        XCTAssertEqual(HostABI.apiVersion, 5)
        guard let cc = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first(where: FileManager.default.isExecutableFile) else {
            throw missingPrerequisite("a C compiler (cc) builds the stand-in v3 plugin")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-v3-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A library exporting the three entry symbols as a plugin built against API v3 with this
        // host's compiler would: only the API version differs.
        try """
            int brittle_plugin_api_version(void) { return 3; }
            const char *brittle_plugin_swift_version(void) { return "\(HostABI.compilerVersion)"; }
            int brittle_plugin_register(void *registry) { return 0; }
            """.write(toFile: dir + "/v3.c", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: cc)
        p.arguments = ["-shared", "-fPIC", "-o", dir + "/libOldTransforms.so", dir + "/v3.c"]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)

        let registry = Registry()
        let report = PluginLoader.load([dir], into: registry)
        XCTAssertEqual(report.loaded, [])
        let d = try XCTUnwrap(report.diagnostics.first, "the v3 plugin was accepted")
        XCTAssertEqual(d.kind, .versionMismatch)
        for needle in ["built against API v3 / Swift \(HostABI.compilerVersion), host has v\(HostABI.apiVersion)", "rebuild the plugin with this host's kit",
                       "TransformPlugin by AugmentationPlugin, InputLayerPlugin and ConstructionPlugin"] {
            XCTAssert(d.message.contains(needle), "'\(needle)' missing from: \(d.message)")
        }
    }

    // MARK: Families and lookups

    func testEachFamilyRegistersAndIsFoundByItsOwnLookup() throws {
        let registry = Registry()
        try registry.register(Invert())
        try registry.register(Scale())
        try registry.register(Identity())
        XCTAssertEqual(registry.all.map(\.family), [.augmentation, .inputLayer, .construction])
        XCTAssertEqual(registry.ids(.augmentation), ["invert"])
        XCTAssertEqual(registry.ids(.inputLayer), ["scale"])
        XCTAssertEqual(registry.ids(.construction), ["identity"])
        XCTAssert(try registry.augmentation("invert") is Invert)
        XCTAssert(try registry.inputLayer("scale") is Scale)
        XCTAssert(try registry.construction("identity") is Identity)
        // Another family's lookup refuses the id, naming its family and what it knows.
        XCTAssertThrowsError(try registry.construction("invert")) {
            XCTAssert("\($0)".contains("unknown construction 'invert' ('invert' is an augmentation plugin); known: identity"), "\($0)")
        }
        XCTAssertThrowsError(try registry.augmentation("scale")) { XCTAssert("\($0)".contains("is an input-layer plugin"), "\($0)") }
        // --transform on a training command takes augmentations and input layers, not constructions.
        guard case .augmentation = try registry.trainingTransform("invert") else { return XCTFail("invert is an augmentation") }
        guard case .inputLayer = try registry.trainingTransform("scale") else { return XCTFail("scale is an input layer") }
        XCTAssertThrowsError(try registry.trainingTransform("identity")) {
            XCTAssert("\($0)".contains("is a dataset construction") && "\($0)".contains("brittle datasets build --transform identity"), "\($0)")
        }
        XCTAssertThrowsError(try registry.trainingTransform("nope")) {
            XCTAssert("\($0)".contains("unknown transform 'nope'; known augmentations: invert; input layers: scale"), "\($0)")
        }
    }

    // MARK: The representation oracle

    func testAConstructionReadsTheModelsRepresentationThroughItsOracle() throws {
        // resnet-mini has batch norm: evaluation and training mode give different features.
        let model = try TestPlugins.build("resnet-mini", ["width": "4"], inputShape: [1, 8, 8], classes: 3, seed: 2)
        var rng = SeededGenerator(seed: 4)
        let source = LabeledDataset(images: Initializer.uniform([5, 1, 8, 8], bound: 1, rng: &rng), labels: [0, 1, 2, 0, 1],
                                    classNames: ["a", "b", "c"], name: "probe")
        let features = model.representation(source.images).shape[1]
        model.mode = .training  // the oracle must answer in evaluation mode regardless, and restore this
        let weights = Initializer.normal([5, features], std: 1, rng: &rng)
        let probe = RepresentationProbe(weights: weights)
        _ = try probe.construct(from: source, using: ConstructionModel(model), context: ConstructionContext(seed: 1))
        XCTAssertEqual(model.mode, .training, "the oracle did not restore the model's mode")
        XCTAssert(model.parameters.allSatisfy { $0.gradient.scalars.allSatisfy { $0 == 0 } }, "the oracle touched parameter gradients")

        // The same quantities from the model directly: g(x) in evaluation mode, and d<g(x), w>/dx.
        model.mode = .evaluation
        let g = model.features.forward(source.images, mode: .evaluation)
        let dx = model.backward(representationGradient: weights, parameterGradients: false)
        XCTAssertEqual(probe.representation, g)
        XCTAssertEqual(probe.seenByLossGradient, g)
        XCTAssertEqual(probe.inputGradient, dx)
    }

    // MARK: The D_R inversion against the pre-v4 loop

    func testInversionMatchesThePreviousInlineStepBitForBit() throws {
        let model = try TestPlugins.build("cnn-small", ["channels1": "4", "channels2": "4", "hidden": "16"],
                                          inputShape: [1, 12, 12], classes: 3, seed: 3)
        var rng = SeededGenerator(seed: 7)
        let data = LabeledDataset(images: Initializer.uniform([9, 1, 12, 12], bound: 1, rng: &rng) * 0.5 + Tensor(shape: [9, 1, 12, 12], repeating: 0.5),
                                  labels: (0..<9).map { $0 % 3 }, classNames: ["a", "b", "c"], name: "fixed")
        for best in ["true", "false"] {
            let plugin = try TestPlugins.construction("invert-representation")
            let configuration = try plugin.configuration(["iterations": "12", "batch-size": "4", "step-size": "0.3", "best": best])
            let built = try plugin.makeConstruction(configuration, registry: .shared)
                .construct(from: data, using: ConstructionModel(model), context: ConstructionContext(seed: 11))
            // The starts (another image, from stream(11, i)) come from the plugin with 0 iterations.
            let starts = try plugin.makeConstruction(try plugin.configuration(["iterations": "0", "batch-size": "4"]), registry: .shared)
                .construct(from: data, using: ConstructionModel(model), context: ConstructionContext(seed: 11)).images
            let reference = previousInversion(model, data.images, starts: starts, step: 0.3, iterations: 12, batchSize: 4, keepBest: best == "true")
            XCTAssertEqual(built.images.scalars.map(\.bitPattern), reference.scalars.map(\.bitPattern), "best=\(best): results changed")
            XCTAssertNotEqual(built.images, starts)
        }
    }

    /// The inversion loop as it was before plugin API v4 (inline normalised L2 step), on the model
    /// directly: the reference the plugin must still match.
    func previousInversion(_ model: Classifier, _ images: Tensor, starts: Tensor, step: Float, iterations: Int, batchSize: Int,
                           keepBest: Bool) -> Tensor {
        model.mode = .evaluation
        var output = images
        let N = images.batchSize, d = images.itemSize
        for b in 0..<((N + batchSize - 1) / batchSize) {
            let range = (b * batchSize)..<min(N, (b + 1) * batchSize), B = range.count
            let target = model.representation(images.slice(range)), D = target.itemSize
            var xr = starts.slice(range), best = xr
            var bestLoss = [Double](repeating: .infinity, count: B)
            func evaluate(_ x: Tensor) -> (loss: [Double], gradient: Tensor) {
                var diff = model.representation(x)
                var loss = [Double](repeating: 0, count: B)
                for i in 0..<B {
                    var ss = 0.0
                    for j in 0..<D {
                        let v = diff.scalars[i * D + j] - target.scalars[i * D + j]
                        ss += Double(v) * Double(v)
                        diff.scalars[i * D + j] = 2 * v
                    }
                    loss[i] = ss
                }
                return (loss, diff)
            }
            func consider(_ x: Tensor, _ loss: [Double]) {
                for i in 0..<B where !keepBest || loss[i] < bestLoss[i] {
                    bestLoss[i] = loss[i]
                    for j in 0..<d { best.scalars[i * d + j] = x.scalars[i * d + j] }
                }
            }
            for _ in 0..<iterations {
                let (loss, dg) = evaluate(xr)
                consider(xr, loss)
                let g = model.backward(representationGradient: dg, parameterGradients: false)
                for i in 0..<B {
                    var ss = 0.0
                    for j in 0..<d { ss += Double(g.scalars[i * d + j]) * Double(g.scalars[i * d + j]) }
                    let n = ss.squareRoot()
                    guard n > 0, n.isFinite else { continue }
                    let s = Float(Double(step) / n)
                    for j in 0..<d { xr.scalars[i * d + j] = min(max(xr.scalars[i * d + j] - s * g.scalars[i * d + j], 0), 1) }
                }
            }
            consider(xr, evaluate(xr).loss)
            for k in 0..<(B * d) { output.scalars[range.lowerBound * d + k] = best.scalars[k] }
        }
        return output
    }

    // MARK: The new conformance checks fail on planted bugs

    func testAugmentationConformanceCatchesPlantedBugs() {
        XCTAssertEqual(AugmentationConformance.check(Invert()), [])
        XCTAssert(AugmentationConformance.check(Invert(bug: .mutatesInput)).contains { $0.contains("input images were modified") })
        XCTAssert(AugmentationConformance.check(Invert(bug: .batchSeeded)).contains { $0.contains("depends on the rest of its batch") })
        XCTAssert(AugmentationConformance.check(Invert(bug: .unseeded)).contains { $0.contains("not deterministic") })
        XCTAssert(AugmentationConformance.check(Invert(bug: .dropsExample)).contains { $0.contains("augment failed") && $0.contains("keep every image") })
    }

    func testInputLayerConformanceCatchesPlantedBugs() {
        XCTAssertEqual(InputLayerConformance.check(Scale()), [])
        XCTAssert(InputLayerConformance.check(Scale(bug: .wrongPullback)).contains { $0.contains("finite differences") })
        XCTAssert(InputLayerConformance.check(Scale(bug: .trainable)).contains { $0.contains("trainable parameters") })
        XCTAssert(InputLayerConformance.check(Scale(bug: .batchMean)).contains { $0.contains("depends on its batch") })
        XCTAssert(InputLayerConformance.check(Scale(bug: .modeDependent)).contains { $0.contains("training mode differs") })
        XCTAssert(InputLayerConformance.check(Scale(bug: .mutatesInput)).contains { $0.contains("the input was modified") })
        XCTAssert(InputLayerConformance.check(Scale(bug: .reshapes)).contains { $0.contains("expects the input shape") })
    }

    func testConstructionConformanceCatchesPlantedBugs() {
        XCTAssertEqual(ConstructionConformance.check(Identity()), [])
        XCTAssert(ConstructionConformance.check(Identity(bug: .unseeded)).contains { $0.contains("not deterministic") })
        XCTAssert(ConstructionConformance.check(Identity(bug: .labelOutOfRange)).contains { $0.contains("labels outside") })
        XCTAssert(ConstructionConformance.check(Identity(bug: .relabels)).contains { $0.contains("though preservesLabels") })
        XCTAssert(ConstructionConformance.check(Identity(bug: .pixelsOutOfRange)).contains { $0.contains("not finite numbers in [0, 1]") })
        XCTAssert(ConstructionConformance.check(Identity(bug: .mutatesSource)).contains { $0.contains("source dataset was modified") })
    }
}

// MARK: - Test doubles (each with plantable bugs)

private var unseededCounter: UInt64 = 0

/// Augmentation: x -> 1 - x for examples whose stream draws below 1/2.
private final class Invert: AugmentationPlugin, Augmentation {
    enum Bug { case none, mutatesInput, batchSeeded, unseeded, dropsExample }
    let bug: Bug
    init(bug: Bug = .none) { self.bug = bug }
    let id = "invert", version = "1.0.0", summary = "test double", parameters: [ParameterSpec] = []
    func makeAugmentation(_ configuration: Configuration) throws -> any Augmentation { self }

    func augment(_ images: Tensor, seed: UInt64) -> Tensor {
        let n = images.batchSize, d = images.itemSize
        if bug == .dropsExample { return images.slice(0..<(n - 1)) }
        var out = images
        for i in 0..<n {
            unseededCounter &+= 1
            let index = bug == .batchSeeded ? UInt64(i + n) : bug == .unseeded ? unseededCounter : UInt64(i)
            var rng = SeededGenerator.stream(seed: seed, index: index)
            guard rng.nextUniform() < 0.5 else { continue }
            for j in (i * d)..<((i + 1) * d) { out.scalars[j] = 1 - out.scalars[j] }
        }
        if bug == .mutatesInput { images.withUnsafePointer { UnsafeMutablePointer(mutating: $0)[0] += 1 } }
        return out
    }
}

/// Input layer: y = 3x, with its pullback.
private final class Scale: InputLayerPlugin, Layer {
    enum Bug { case none, wrongPullback, trainable, batchMean, modeDependent, mutatesInput, reshapes }
    let bug: Bug
    let factor = Parameter(Tensor(shape: [1], scalars: [3]), decays: false)
    init(bug: Bug = .none) { self.bug = bug }
    let id = "scale", version = "1.0.0", summary = "test double", parameters: [ParameterSpec] = []
    func makeLayer(_ configuration: Configuration, channels: Int) throws -> Layer { self }

    var namedParameters: [(String, Parameter)] { bug == .trainable ? [("factor", factor)] : [] }
    func forward(_ x: Tensor, mode: Mode) -> Tensor {
        var y = x * 3
        if bug == .batchMean { y = y + Tensor(shape: x.shape, repeating: Float(x.scalars.reduce(0, +)) / Float(x.count)) }
        if bug == .modeDependent && mode == .training { y = y * 1.5 }
        if bug == .mutatesInput { x.withUnsafePointer { UnsafeMutablePointer(mutating: $0)[0] += 1 } }
        return bug == .reshapes ? y.reshaped([x.batchSize, x.itemSize]) : y
    }
    func backward(_ dy: Tensor, _ options: Backprop) -> Tensor { dy * (bug == .wrongPullback ? 1 : 3) }
}

/// Construction: returns the source (labels kept), touching nothing.
private final class Identity: ConstructionPlugin, DatasetConstruction {
    enum Bug { case none, unseeded, labelOutOfRange, relabels, pixelsOutOfRange, mutatesSource }
    let bug: Bug
    init(bug: Bug = .none) { self.bug = bug }
    let id = "identity", version = "1.0.0", summary = "test double", parameters: [ParameterSpec] = []
    let preservesLabels = true
    func makeConstruction(_ configuration: Configuration, registry: Registry) throws -> any DatasetConstruction { self }

    func construct(from source: LabeledDataset, using model: ConstructionModel, context: ConstructionContext) throws -> LabeledDataset {
        var out = source
        switch bug {
        case .none: break
        case .unseeded: unseededCounter &+= 1; out.images.scalars[0] = Float(unseededCounter % 7) / 7
        case .labelOutOfRange: out.labels[0] = model.classCount
        case .relabels: out.labels[0] = (out.labels[0] + 1) % model.classCount
        case .pixelsOutOfRange: out.images.scalars[0] = 2
        case .mutatesSource: source.images.withUnsafePointer { UnsafeMutablePointer(mutating: $0)[0] += 0.5 }
        }
        return out
    }
}

/// A construction that reads the representation oracle and records what it saw.
private final class RepresentationProbe: DatasetConstruction {
    let weights: Tensor
    var representation = Tensor(shape: [0]), seenByLossGradient = Tensor(shape: [0]), inputGradient = Tensor(shape: [0])
    init(weights: Tensor) { self.weights = weights }

    func construct(from source: LabeledDataset, using model: ConstructionModel, context: ConstructionContext) throws -> LabeledDataset {
        representation = model.representation.representation(of: source.images)
        inputGradient = model.representation.inputGradient(at: source.images) { g in
            seenByLossGradient = g
            return weights
        }
        return source
    }
}

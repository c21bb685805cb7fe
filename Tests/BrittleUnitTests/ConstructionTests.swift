// Tests of the paper's dataset constructions: the invert-representation (D_R / D_NR) and
// adversarial-relabel (D_rand / D_det) construction plugins on tiny models and data. `brittle
// datasets build` end to end: DatasetsBuildCLITests.
// Not the attacks themselves (AttackTests.swift) nor the bundle format (BundleTests.swift).
import BrittleArchive
import BrittleConformance
import BrittleDatasets
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import Foundation
import XCTest

final class ConstructionTests: XCTestCase {
    // MARK: Fixtures

    /// `n` images of 1x12x12 with smooth random content in [0, 1], labels i mod `classes`.
    func tinyData(_ n: Int = 20, classes: Int = 3, seed: UInt64 = 7) -> LabeledDataset {
        Fixtures.uniformData(n, shape: [1, 12, 12], classes: classes, seed: seed)
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

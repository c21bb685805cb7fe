// The in-tree attacks against closed forms and the properties of Documentation/attack-properties.md that
// are specific to PGD/FGSM (the generic ones run through AttackConformance for every attack).
import BrittleConformance
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class AttackTests: XCTestCase {
    func attack(_ id: String, _ params: [String: String]) throws -> any Attack {
        let p = try TestPlugins.attack(id)
        return try p.makeAttack(try p.configuration(params))
    }

    /// f(x) = W flatten(x) + b with 3 classes; inputs near 0.5 so one step stays in the box.
    func linearModel(seed: UInt64 = 1) -> Classifier {
        var rng = SeededGenerator(seed: seed)
        return Classifier(features: Sequential([Flatten()]), head: Sequential([Linear(16, 3, rng: &rng)]),
                          architecture: "linear", configuration: [:], inputShape: [1, 4, 4], classCount: 3)
    }

    // Documentation/attack-properties.md #5: one Linf step is x + eps*sign(g), one L2 step is x + eps*g/||g||.
    func testOneStepClosedFormsOnALinearModel() throws {
        let m = linearModel()
        var rng = SeededGenerator(seed: 2)
        let x = Initializer.uniform([4, 1, 4, 4], bound: 0.1, rng: &rng) + Tensor(shape: [4, 1, 4, 4], repeating: 0.5)
        let y = [0, 1, 2, 0]
        let g = ClassifierOracle(m).objective(x, goal: .untargeted(TrueLabels(y))).gradient
        let eps: Float = 0.05
        let fgsm = runAttack(try attack("fgsm", ["epsilon": "\(eps)"]), on: m, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: [1, 2, 3, 4])
        for i in 0..<x.count {
            let expected = x.scalars[i] + eps * (g.scalars[i] > 0 ? 1 : -1)
            XCTAssertEqual(fgsm.inputs.scalars[i], expected, accuracy: 1e-6, "FGSM coordinate \(i)")
        }
        let l2 = runAttack(try attack("pgd-l2", ["epsilon": "\(eps)", "steps": "1", "step-size": "\(eps)", "best": "false"]),
                           on: m, inputs: x, goal: .untargeted(TrueLabels(y)), exampleSeeds: [1, 2, 3, 4])
        for i in 0..<4 {
            let gi = g.scalars[(i * 16)..<((i + 1) * 16)]
            let n = gi.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in 0..<16 {
                XCTAssertEqual(l2.inputs.scalars[i * 16 + j], x.scalars[i * 16 + j] + eps * gi[gi.startIndex + j] / n, accuracy: 1e-6)
            }
        }
        // Targeted: the step goes DOWN the target's loss, i.e. against the untargeted direction for y = t.
        let t = runAttack(try attack("fgsm", ["epsilon": "\(eps)"]), on: m, inputs: x, goal: .targeted(TargetLabels(y)), exampleSeeds: [1, 2, 3, 4])
        for i in 0..<x.count {
            XCTAssertEqual(t.inputs.scalars[i], x.scalars[i] - eps * (g.scalars[i] > 0 ? 1 : -1), accuracy: 1e-6)
        }
    }

    // Documentation/attack-properties.md #11: the L2 random start is uniform IN the ball: E||delta|| = eps d/(d+1), all
    // inside, isotropic; the Linf start is uniform per coordinate.
    func testRandomStartsAreUniformInTheBall() {
        let d = 50, n = 4000
        let eps: Float = 1
        var rng = SeededGenerator(seed: 9)
        var delta = [Float](repeating: 0, count: d)
        var meanNorm = 0.0, maxNorm: Float = 0
        var meanVector = [Double](repeating: 0, count: d)
        for _ in 0..<n {
            delta.withUnsafeMutableBufferPointer { NormGeometry(.l2).randomStart($0.baseAddress!, d, epsilon: eps, rng: &rng) }
            let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
            meanNorm += Double(norm) / Double(n)
            maxNorm = max(maxNorm, norm)
            for j in 0..<d { meanVector[j] += Double(delta[j]) / Double(n) }
        }
        XCTAssertEqual(meanNorm, Double(d) / Double(d + 1), accuracy: 0.005, "mean radius (on the sphere it would be 1.0)")
        XCTAssertLessThanOrEqual(maxNorm, eps * (1 + 1e-6))
        XCTAssertLessThan(meanVector.map(abs).max()!, 0.01, "direction is not isotropic")
        var sum = 0.0, sumSquares = 0.0
        for _ in 0..<n {
            delta.withUnsafeMutableBufferPointer { NormGeometry(.linf).randomStart($0.baseAddress!, d, epsilon: 0.3, rng: &rng) }
            for v in delta { sum += Double(v); sumSquares += Double(v * v) }
        }
        XCTAssertEqual(sum / Double(n * d), 0, accuracy: 0.005)
        XCTAssertEqual(sumSquares / Double(n * d), 0.09 / 3, accuracy: 0.001, "Linf start variance eps^2/3")
    }

    // Documentation/attack-properties.md #2: projection clips (points inside unchanged, idempotent), never rescales to the sphere.
    func testProjectionIsAClipAndIdempotent() {
        for norm in Norm.allCases {
            let g = NormGeometry(norm)
            var inside: [Float] = [0.01, -0.02, 0.005]
            let copy = inside
            inside.withUnsafeMutableBufferPointer { g.project($0.baseAddress!, 3, epsilon: 0.5) }
            XCTAssertEqual(inside, copy, "\(norm): a point inside the ball moved")
            var outside: [Float] = [3, -4, 0]
            outside.withUnsafeMutableBufferPointer { g.project($0.baseAddress!, 3, epsilon: 1) }
            var again = outside
            again.withUnsafeMutableBufferPointer { g.project($0.baseAddress!, 3, epsilon: 1) }
            XCTAssertEqual(outside, again, "\(norm): projection is not idempotent")
            XCTAssertEqual(outside, norm == .l2 ? [0.6, -0.8, 0] : [1, -1, 0], "\(norm) projection")
        }
    }

    // Documentation/attack-properties.md #18 and #10 (epsilon): accuracy falls to chance as epsilon grows; an attack with
    // the whole box as budget succeeds on (almost) everything; robust accuracy is monotone in eps.
    func testRobustAccuracyFallsToZeroAsEpsilonGrows() throws {
        let m = try TestPlugins.build("cnn-small", ["channels1": "4", "channels2": "8", "hidden": "16"], inputShape: [1, 12, 12], classes: 10, seed: 3)
        var rng = SeededGenerator(seed: 4)
        let x = Initializer.uniform([40, 1, 12, 12], bound: 0.5, rng: &rng) + Tensor(shape: [40, 1, 12, 12], repeating: 0.5)
        let y = m.predict(x)
        for id in ["pgd-linf", "pgd-l2"] {
            let epsilons = id == "pgd-linf" ? ["0.01", "0.03", "0.1", "1"] : ["0.1", "0.3", "1", "12"]
            let robust = try epsilons.map { e -> Float in
                let r = evaluateRobustness(m, attack: try attack(id, ["epsilon": e, "steps": "20"]), images: x, labels: y)
                return r.robustAccuracy
            }
            XCTAssertEqual(robust, robust.sorted(by: >), "\(id): robust accuracy not monotone in epsilon: \(robust)")
            XCTAssertLessThanOrEqual(robust.last!, 0.05, "\(id): an unbounded attack leaves \(robust.last!) accuracy (gradient masking?)")
        }
    }

    func testInvalidHyperparametersFailAtConfigurationTime() throws {
        let pgd = try TestPlugins.attack("pgd-linf")
        for bad in [["epsilon": "-0.1"], ["steps": "0"], ["epsilon": "0.1", "step-size": "0.5"], ["lower-bound": "1", "upper-bound": "0"],
                    ["restarts": "0"]] {
            XCTAssertThrowsError(try pgd.makeAttack(try pgd.configuration(bad)), "\(bad) accepted")
        }
    }

    // Documentation/attack-properties.md #4 with bounds other than [0, 1], and #3 with x far from 0.
    func testBoundsOtherThanTheUnitBox() throws {
        let m = try TestPlugins.build("mlp", ["hidden": "8"], inputShape: [1, 4, 4], classes: 3, seed: 5)
        var rng = SeededGenerator(seed: 6)
        let x = Initializer.uniform([6, 1, 4, 4], bound: 1, rng: &rng)  // in [-1, 1]
        for id in ["fgsm", "pgd-linf", "pgd-l2"] {
            let a = try attack(id, ["epsilon": "0.3", "lower-bound": "-1", "upper-bound": "1", "random-start": "true"])
            let out = runAttack(a, on: m, inputs: x, goal: .untargeted(TrueLabels(m.predict(x))), exampleSeeds: Array(0..<6))
            XCTAssert(out.inputs.scalars.allSatisfy { $0 >= -1 && $0 <= 1 }, "\(id) left the [-1, 1] box")
            XCTAssert(out.inputs.scalars.contains { $0 < 0 }, "\(id) clamped to [0, 1] instead of [-1, 1]")
        }
    }
}

final class AdversarialTrainingTests: XCTestCase {
    // Documentation/attack-properties.md #19: FGSM training's collapse is reported, ordinary robust training is not.
    func testCatastrophicOverfittingRule() {
        XCTAssertNil(RobustMonitor.catastrophicOverfitting(fgsm: 0.55, pgd: 0.45, bestPGD: 0.45), "healthy epoch flagged")
        XCTAssertNil(RobustMonitor.catastrophicOverfitting(fgsm: 0.50, pgd: 0.40, bestPGD: 0.48), "a small dip is not a collapse")
        let w = RobustMonitor.catastrophicOverfitting(fgsm: 0.85, pgd: 0.02, bestPGD: 0.42)
        XCTAssert(w?.contains("catastrophic overfitting") == true && w?.contains("2.0%") == true, w ?? "no warning")
        // A model that is simply not robust (both low) is not "overfitting to FGSM".
        XCTAssertNil(RobustMonitor.catastrophicOverfitting(fgsm: 0.04, pgd: 0.01, bestPGD: 0.02))
    }

    // Each training batch is replaced by adversarial examples crafted against the current model
    // (host-projected), the rest of the batch kept when fraction < 1.
    func testAdversarialBatchesReplaceTheRequestedFraction() throws {
        let m = try TestPlugins.build("mlp", ["hidden": "8"], inputShape: [1, 4, 4], classes: 3, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let x = Initializer.uniform([10, 1, 4, 4], bound: 0.4, rng: &rng) + Tensor(shape: [10, 1, 4, 4], repeating: 0.5)
        let batch = LabeledDataset(images: x, labels: m.predict(x), classNames: ["a", "b", "c"], name: "t")
        let pgd = try TestPlugins.attack("pgd-linf")
        let a = try pgd.makeAttack(try pgd.configuration(["epsilon": "0.05", "steps": "3"]))
        let half = try adversarialBatches(model: m, attack: a, fraction: 0.5)(batch, 7)
        XCTAssertEqual(half.labels, batch.labels)
        let d = x.itemSize
        for i in 0..<10 {
            let moved = (0..<d).map { abs(half.images.scalars[i * d + $0] - x.scalars[i * d + $0]) }.max()!
            if i < 5 { XCTAssertLessThanOrEqual(moved, 0.05 + 1e-6) } else { XCTAssertEqual(moved, 0, "example \(i) should be clean") }
        }
        XCTAssert((0..<(5 * d)).contains { half.images.scalars[$0] != x.scalars[$0] }, "no example was attacked")
        XCTAssertEqual(m.mode, .evaluation)
    }
}

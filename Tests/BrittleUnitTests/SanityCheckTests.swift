// SanityChecks, the ensemble's AutoAttack-style flags: each raised by a model or ensemble built
// to trigger it (zero weights, a layer adding fresh noise per call, a softmax head, a score-only
// attack breaking what a weak gradient attack left, an attack that weakens with more steps) and
// not raised by a healthy one. Fast unit tests on a tiny linear model.
import BrittleExperiments
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class SanityCheckTests: XCTestCase {
    let model = EnsembleTests.linearModel()
    lazy var set = EnsembleTests.data(60, model: model)

    func ids(_ flags: [SanityFlag]) -> [String] { flags.map(\.id) }

    func withLayers(features: [Layer] = [], head: [Layer] = []) -> Classifier {
        Classifier(features: Sequential(features + [Flatten()]), head: Sequential(model.head.layers + head),
                   architecture: "linear", configuration: [:], inputShape: [1, 4, 4], classCount: 3)
    }

    func testHealthyModelRaisesNoModelFlag() {
        XCTAssertEqual(ids(SanityChecks.model(model, images: set.images, labels: set.labels)), [])
    }

    func testZeroWeightsRaiseZeroGradients() {
        let zero = withLayers()  // shares this test's model's head
        for p in zero.parameters { p.value = Tensor(shape: p.value.shape) }
        let flags = SanityChecks.model(zero, images: set.images, labels: set.labels, sample: 50)
        XCTAssertEqual(ids(flags), ["zero-gradients"])
        XCTAssertEqual(flags.first?.figures["zeroGradientExamples"], 50, "the sample is the first 50")
        XCTAssertTrue(flags.first?.message.contains("Fix:") == true)
        XCTAssertEqual(SanityChecks.model(zero, images: set.images, labels: set.labels, sample: 0), [], "sample 0 turns it off")
    }

    func testExamplesWithZeroGradientAreCountedOneByOne() {
        let flags = SanityChecks.model(withLayers(features: [DeadZoneLayer()]), images: set.images, labels: set.labels, sample: 40)
        let dead = (0..<40).filter { set.images.scalars[$0 * 16] < 0.5 }.count
        XCTAssertTrue(dead > 0 && dead < 40, "a mix, else this proves nothing")
        XCTAssertEqual(ids(flags), ["zero-gradients"])
        XCTAssertEqual(flags.first?.figures["zeroGradientExamples"], Double(dead))
    }

    func testFreshNoisePerCallRaisesRandomisedModel() {
        let flags = SanityChecks.model(withLayers(features: [NoiseLayer()]), images: set.images, labels: set.labels)
        XCTAssertEqual(ids(flags), ["randomised-model"])
        XCTAssertEqual(flags.first?.figures["differingExamples"], 60)
    }

    func testSoftmaxHeadRaisesProbabilityOutputs() {
        let flags = SanityChecks.model(withLayers(head: [SoftmaxLayer()]), images: set.images, labels: set.labels)
        XCTAssertEqual(ids(flags), ["probability-outputs"])
    }

    func testScoreAttackBreakingWhatGradientsLeftRaisesBlackBoxBeatsWhiteBox() throws {
        let weak = try EnsembleTests.member("fgsm", ["epsilon": "0.001"])
        let search = try EnsembleMember(plugin: RandomSearchPlugin(), configuration: try RandomSearchPlugin().configuration(["epsilon": "0.5"]))
        let r = EnsembleEvaluation.run(model: model, members: [weak, search], images: set.images, labels: set.labels)
        XCTAssertGreaterThan(r.members[1].broken, 1)
        let flag = try XCTUnwrap(SanityChecks.blackBoxBeatsWhiteBox(r))
        XCTAssertEqual(flag.id, "black-box-beats-white-box")
        XCTAssertEqual(flag.figures["brokenByScoreBased"], Double(r.members[1].broken))
        XCTAssertEqual(flag.figures["threshold"], 1, "max(1, 0.2% of 60)")
        // A score attack first has no white-box figure to beat.
        let first = EnsembleEvaluation.run(model: model, members: [search, weak], images: set.images, labels: set.labels)
        XCTAssertGreaterThan(first.members[0].broken, 1)
        XCTAssertNil(SanityChecks.blackBoxBeatsWhiteBox(first))
    }

    func testStrongGradientAttackFirstRaisesNoBlackBoxFlag() throws {
        let strong = try EnsembleTests.member("pgd-linf", ["epsilon": "0.5", "steps": "20"])
        let search = try EnsembleMember(plugin: RandomSearchPlugin(), configuration: try RandomSearchPlugin().configuration(["epsilon": "0.5"]))
        let r = EnsembleEvaluation.run(model: model, members: [strong, search], images: set.images, labels: set.labels)
        XCTAssertLessThanOrEqual(r.members[1].broken, 1)
        XCTAssertNil(SanityChecks.blackBoxBeatsWhiteBox(r))
    }

    func testAttackWeakeningWithStepsRaisesRisesWithEffort() throws {
        let plugin = StepWeakeningPlugin()
        let planted = try EnsembleMember(plugin: plugin, configuration: try plugin.configuration(["epsilon": "0.3", "steps": "10"]))
        let flag = try XCTUnwrap(SanityChecks.risesWithEffort(model: model, members: [planted], images: set.images, labels: set.labels))
        XCTAssertEqual(flag.id, "rises-with-effort")
        let configured = try XCTUnwrap(flag.figures["robustAccuracy"]), half = try XCTUnwrap(flag.figures["robustAccuracyHalfSteps"])
        XCTAssertLessThan(half, configured)
        XCTAssertEqual(flag.figures["robustAccuracyOneMoreRestart"], configured, "its restarts change nothing")
        XCTAssertTrue(flag.message.contains("with 5 steps instead of 10"), flag.message)
        XCTAssertNil(SanityChecks.risesWithEffort(model: model, members: [planted], images: set.images, labels: set.labels, sample: 0))
    }

    /// PGD with a fixed step and best-iterate tracking: half the steps are a prefix of the same
    /// trajectory and one more restart adds a start, so effort can only help.
    func testConvergingPGDRaisesNoRisesWithEffort() throws {
        let pgd = try EnsembleTests.member("pgd-linf", ["epsilon": "0.3", "steps": "10", "step-size": "0.02", "random-start": "true"])
        let search = try EnsembleMember(plugin: RandomSearchPlugin(), configuration: try RandomSearchPlugin().configuration(["epsilon": "0.3"]))
        XCTAssertNil(SanityChecks.risesWithEffort(model: model, members: [search, pgd], images: set.images, labels: set.labels))
    }
}

/// Adds fresh Gaussian noise on every call (a randomised defence).
final class NoiseLayer: Layer {
    var calls: UInt64 = 0
    var summary: String { "Noise" }
    func forward(_ x: Tensor, mode: Mode) -> Tensor {
        calls += 1
        var rng = SeededGenerator(seed: calls)
        return x + Initializer.normal(x.shape, std: 0.05, rng: &rng)
    }
    func backward(_ dy: Tensor, _ options: Backprop) -> Tensor { options.inputGradient ? dy : noGradient }
}

/// The identity whose pullback is zero for examples whose first pixel is below 0.5 (a saturated unit).
final class DeadZoneLayer: Layer {
    var x = noGradient
    var summary: String { "DeadZone" }
    func forward(_ x: Tensor, mode: Mode) -> Tensor {
        self.x = x
        return x
    }
    func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        guard options.inputGradient else { return noGradient }
        let d = x.itemSize
        var dx = dy
        for i in 0..<x.batchSize where x.scalars[i * d] < 0.5 {
            for j in 0..<d { dx.scalars[i * d + j] = 0 }
        }
        return dx
    }
}

/// Softmax over each row: a head that returns probabilities.
final class SoftmaxLayer: Layer {
    var y = noGradient
    var summary: String { "Softmax" }
    func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let c = x.itemSize
        var out = x
        for i in 0..<x.batchSize {
            let row = x.scalars[(i * c)..<((i + 1) * c)], top = row.max()!
            let e = row.map { Foundation.exp($0 - top) }, s = e.reduce(0, +)
            for j in 0..<c { out.scalars[i * c + j] = e[j] / s }
        }
        y = out
        return out
    }
    func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        guard options.inputGradient else { return noGradient }
        let c = y.itemSize
        var dx = dy
        for i in 0..<y.batchSize {
            let dot = (0..<c).reduce(Float(0)) { $0 + dy.scalars[i * c + $1] * y.scalars[i * c + $1] }
            for j in 0..<c { dx.scalars[i * c + j] = y.scalars[i * c + j] * (dy.scalars[i * c + j] - dot) }
        }
        return dx
    }
}

/// A score-only (black-box) attack: 30 uniform draws from the Linf ball per example, keeping the
/// first the model gets wrong. Forward passes only, through AttackOracle.scores.
final class RandomSearchPlugin: AttackPlugin {
    let id = "random-search"
    let version = "1.0.0"
    let summary = "test double: score-only random search"
    let parameters = [ParameterSpec("epsilon", .float(0...1), default: .float(0.1), help: "Linf radius")]
    func makeAttack(_ c: Configuration) throws -> any Attack { RandomSearch(epsilon: Float(c.float("epsilon"))) }

    final class RandomSearch: Attack {
        let epsilon: Float
        init(epsilon: Float) { self.epsilon = epsilon }
        var threatModel: ThreatModel { ThreatModel(norm: .linf, epsilon: epsilon) }
        var access: AttackAccess { .scores }
        func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor {
            guard case .untargeted(let y) = goal else { return x }
            let d = x.itemSize
            var best = x, found = [Bool](repeating: false, count: x.batchSize)
            var rngs = exampleSeeds.map { SeededGenerator.stream(seed: $0, index: 0) }
            for _ in 0..<30 {
                var candidate = x
                for i in 0..<x.batchSize {
                    for j in 0..<d {
                        let v = x.scalars[i * d + j] + epsilon * (2 * rngs[i].nextUniform() - 1)
                        candidate.scalars[i * d + j] = min(max(v, 0), 1)
                    }
                }
                let predictions = oracle.scores(candidate, goal: goal, loss: .crossEntropy).logits.argmaxRows()
                for i in 0..<x.batchSize where !found[i] && predictions[i] != y.classes[i] {
                    found[i] = true
                    for j in 0..<d { best.scalars[i * d + j] = candidate.scalars[i * d + j] }
                }
            }
            return best
        }
    }
}

/// A planted gradient attack whose strength FALLS with its steps: one signed gradient step of
/// 2 x epsilon / steps. Its restarts change nothing.
final class StepWeakeningPlugin: AttackPlugin {
    let id = "step-weakening"
    let version = "1.0.0"
    let summary = "test double: weaker with more steps"
    let parameters = [
        ParameterSpec("epsilon", .float(0...1), default: .float(0.1), help: "Linf radius"),
        ParameterSpec("steps", .int(1...1000), default: .int(10), help: "Steps (the more, the weaker)"),
        ParameterSpec("restarts", .int(1...10), default: .int(1), help: "Ignored"),
    ]
    func makeAttack(_ c: Configuration) throws -> any Attack {
        StepWeakening(epsilon: Float(c.float("epsilon")), steps: c.int("steps"))
    }

    final class StepWeakening: Attack {
        let epsilon: Float, steps: Int
        init(epsilon: Float, steps: Int) { (self.epsilon, self.steps) = (epsilon, steps) }
        var threatModel: ThreatModel { ThreatModel(norm: .linf, epsilon: epsilon) }
        func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor {
            let g = oracle.objective(x, goal: goal).gradient
            let step = 2 * epsilon / Float(steps)
            var out = x
            for k in 0..<x.count { out.scalars[k] += g.scalars[k] > 0 ? step : g.scalars[k] < 0 ? -step : 0 }
            return out
        }
    }
}

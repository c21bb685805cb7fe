// Shared pieces of the plugin conformance checks: a failure collector, small models with known
// gradients (or gradients at known, very different scales) and tensor comparisons. The checks
// return failures as text instead of calling XCTest, so this module ships inside the kit's one
// dynamic library and any test framework can assert on the result:
//     XCTAssertEqual(AttackConformance.check(MyAttackPlugin()), [])
import BrittleNN
import BrittlePlugins
import Foundation

/// Collects failed properties (what every `check` returns is its `failures`).
public struct ConformanceReport {
    /// The failed properties so far, each "plugin-id: property: what happened".
    public private(set) var failures: [String] = []
    let subject: String
    init(_ subject: String) { self.subject = subject }

    mutating func expect(_ condition: Bool, _ property: @autoclosure () -> String) {
        if !condition { fail(property()) }
    }

    mutating func fail(_ property: String) { failures.append("\(subject): \(property)") }
}

/// Per-example seeds for a batch of `n` (distinct, fixed).
func exampleSeeds(_ n: Int) -> [UInt64] { (0..<n).map { UInt64($0) &* 7919 &+ 17 } }

/// Runs `body` with `m` in evaluation mode, as the host does around an attack.
func withEvaluationMode<T>(_ m: Classifier, _ body: () -> T) -> T {
    let saved = m.mode
    m.mode = .evaluation
    defer { m.mode = saved }
    return body()
}

/// A copy of `t` that owns its storage: a write through a pointer into `t`'s buffer (which a
/// plain copy shares until one of them is mutated through Swift) does not show in it.
func independentCopy(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, scalars: t.scalars.map { $0 }) }

/// The largest absolute elementwise difference (infinity for a NaN or a shape mismatch).
func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    var m: Float = 0
    for (u, v) in zip(a.scalars, b.scalars) where u != v {
        let d = abs(u - v)
        m = d.isNaN ? .infinity : max(m, d)
    }
    return m
}

/// A linear classifier f(x) = W x + b on flattened inputs, built from kit layers: the closed
/// forms of one FGSM / L2 step are known for it.
public func linearModel(inputShape: [Int], classes: Int, seed: UInt64) -> Classifier {
    var rng = SeededGenerator(seed: seed)
    let d = inputShape.reduce(1, *)
    return Classifier(features: Sequential([Flatten()]), head: Sequential([Linear(d, classes, rng: &rng)]),
                      architecture: "conformance-linear", configuration: [:], inputShape: inputShape, classCount: classes)
}

/// A small conv + BN + ReLU classifier (has batch-norm state an attack must not touch).
public func smallConvModel(inputShape: [Int], classes: Int, seed: UInt64) -> Classifier {
    var rng = SeededGenerator(seed: seed)
    let (C, H, W) = (inputShape[0], inputShape[1], inputShape[2])
    let features = Sequential([
        Conv2d(C, 4, kernelSize: 3, padding: 1, rng: &rng), BatchNorm2d(4), ReLU(), MaxPool2d(2),
        Flatten(), Linear(4 * (H / 2) * (W / 2), 16, rng: &rng), ReLU(),
    ])
    let m = Classifier(features: features, head: Sequential([Linear(16, classes, rng: &rng)]),
                       architecture: "conformance-conv", configuration: [:], inputShape: inputShape, classCount: classes)
    // Non-trivial running statistics, so "unchanged" means something.
    for (_, p) in m.namedBuffers { p.value = Initializer.uniform(p.value.shape, bound: 0.5, rng: &rng) + Tensor(shape: p.value.shape, repeating: 1) }
    return m
}

/// A linear classifier with large weights: on random inputs its margins range from about 0 to
/// tens of logits, so input-gradient norms (which scale with 1 - p(true class)) span orders of
/// magnitude across examples, what makes a step normalised over the batch visible.
func gradientScaleModel(inputShape: [Int], classes: Int, seed: UInt64) -> Classifier {
    let m = linearModel(inputShape: inputShape, classes: classes, seed: seed)
    for p in m.parameters { p.value = p.value * 40 }
    return m
}

/// Examples of `pool` whose input-gradient norms (untargeted, labels = predictions) are closest
/// to the largest one and 1e-2, 1e-4 and 1e-6 of it, largest first; zero gradients excluded.
func probesAtGradientScales(_ m: Classifier, _ pool: Tensor) -> [(index: Int, norm: Float)] {
    let g = withEvaluationMode(m) { ClassifierOracle(m).objective(pool, goal: .untargeted(TrueLabels(m.predict(pool)))).gradient }
    let norms = perExampleNorms(g, Tensor(shape: g.shape), .l2)
    let candidates = norms.indices.filter { norms[$0] > 0 && norms[$0].isFinite }
    let top = candidates.max { norms[$0] < norms[$1] }!
    var chosen = [top]
    for ratio: Float in [1e-2, 1e-4, 1e-6] {
        let wanted = log10(norms[top] * ratio)
        let best = candidates.filter { !chosen.contains($0) }.min { abs(log10(norms[$0]) - wanted) < abs(log10(norms[$1]) - wanted) }!
        chosen.append(best)
    }
    return chosen.map { ($0, norms[$0]) }
}

/// Uniform random images in [lo, hi].
public func randomImages(_ n: Int, _ shape: [Int], lo: Float = 0, hi: Float = 1, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    var t = Tensor(shape: [n] + shape)
    for i in 0..<t.count { t.scalars[i] = lo + (hi - lo) * rng.nextUniform() }
    return t
}

/// Per-example norms of (a - b).
public func perExampleNorms(_ a: Tensor, _ b: Tensor, _ norm: Norm) -> [Float] {
    let d = a.itemSize
    return (0..<a.batchSize).map { i in
        var m: Float = 0
        var ss = 0.0
        for j in 0..<d {
            let v = a.scalars[i * d + j] - b.scalars[i * d + j]
            m = max(m, abs(v))
            ss += Double(v) * Double(v)
        }
        return norm == .linf ? m : Float(ss.squareRoot())
    }
}

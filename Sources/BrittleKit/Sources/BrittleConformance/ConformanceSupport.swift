// Shared pieces of the plugin conformance checks: a failure collector and small models with
// known gradients. The checks return failures as text instead of calling XCTest, so this module
// ships inside the kit's one dynamic library and any test framework can assert on the result:
//     XCTAssertEqual(AttackConformance.check(MyAttackPlugin()), [])
import BrittleNN
import BrittlePlugins

/// Collects failed properties.
public struct ConformanceReport {
    public private(set) var failures: [String] = []
    let subject: String
    init(_ subject: String) { self.subject = subject }

    mutating func expect(_ condition: Bool, _ property: @autoclosure () -> String) {
        if !condition { failures.append("\(subject): \(property())") }
    }
}

/// A linear classifier f(x) = W x + b on flattened inputs, built from kit layers: the closed
/// forms of one FGSM / L2 step are known for it.
func linearModel(inputShape: [Int], classes: Int, seed: UInt64) -> Classifier {
    var rng = SeededGenerator(seed: seed)
    let d = inputShape.reduce(1, *)
    return Classifier(features: Sequential([Flatten()]), head: Sequential([Linear(d, classes, rng: &rng)]),
                      architecture: "conformance-linear", configuration: [:], inputShape: inputShape, classCount: classes)
}

/// A small conv + BN + ReLU classifier (has batch-norm state an attack must not touch).
func smallConvModel(inputShape: [Int], classes: Int, seed: UInt64) -> Classifier {
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

/// Uniform random images in [lo, hi].
func randomImages(_ n: Int, _ shape: [Int], lo: Float = 0, hi: Float = 1, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    var t = Tensor(shape: [n] + shape)
    for i in 0..<t.count { t.scalars[i] = lo + (hi - lo) * rng.nextUniform() }
    return t
}

/// Per-example norms of (a - b).
func perExampleNorms(_ a: Tensor, _ b: Tensor, _ norm: Norm) -> [Float] {
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

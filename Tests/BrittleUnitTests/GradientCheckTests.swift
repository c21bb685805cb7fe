// Hand-written pullbacks against central finite differences along random directions
// (float32, directional derivatives so one check covers every coordinate at once). Every layer
// and every reference model, input and parameter gradients, both modes.
// ReLU and max-pool are piecewise linear: a step of h = 1e-3 along a N(0, 1) direction crosses
// a kink in a sizeable fraction of checks (seen: 1.36 at h = 1e-2, -0.166 at 1e-3, -0.1839 at
// 1e-4 for an analytic -0.1837). So each check tries h = 1e-3, 3e-4, 1e-4 and passes if one
// agrees; a wrong pullback disagrees at every step size.
import BrittleNN
import BrittleTestSupport
import XCTest

/// Checks input and parameter gradients of `layer` at `x` in `mode`.
func checkLayer(_ layer: Layer, input x: Tensor, mode: Mode, seed: UInt64 = 1,
                file: StaticString = #filePath, line: UInt = #line) {
    var rng = SeededGenerator(seed: seed)
    let y = layer.forward(x, mode: mode)
    let w = randomTensor(y.shape, &rng)
    let scale = termScale(y, w)
    for (_, p) in layer.namedParameters { p.zeroGradient() }
    let dx = layer.backward(w, Backprop(parameterGradients: true, inputGradient: true))
    XCTAssertEqual(dx.shape, x.shape, "input gradient shape", file: file, line: line)
    let grads = layer.namedParameters.map { ($0.0, $0.1, $0.1.gradient) }

    let v = randomTensor(x.shape, &rng)
    assertDirectionalDerivative(dx.dot(v), "\(layer.summary) [\(mode)] input gradient", scale: scale, file: file, line: line) {
        probe(layer, x + v * $0, w, mode)
    }
    for (name, p, g) in grads {
        let u = sparseDirection(p.value.shape, &rng)
        let saved = p.value
        assertDirectionalDerivative(g.dot(u), "\(layer.summary) [\(mode)] d/d\(name)", scale: scale, file: file, line: line) {
            p.value = saved + u * $0
            defer { p.value = saved }
            return probe(layer, x, w, mode)
        }
    }
}

final class GradientCheckTests: XCTestCase {
    var rng = SeededGenerator(seed: 42)

    func testLinear() {
        checkLayer(Linear(7, 5, rng: &rng), input: randomTensor([4, 7], &rng), mode: .training)
    }

    func testConv2dStridesAndPadding() {
        for (k, s, p) in [(3, 1, 1), (3, 2, 1), (1, 2, 0), (3, 1, 0), (5, 2, 2)] {
            let conv = Conv2d(3, 4, kernelSize: k, stride: s, padding: p, rng: &rng)
            checkLayer(conv, input: randomTensor([2, 3, 9, 8], &rng), mode: .evaluation)
        }
        checkLayer(Conv2d(2, 3, kernelSize: 3, padding: 1, bias: false, rng: &rng),
                   input: randomTensor([2, 2, 6, 6], &rng), mode: .training)
    }

    func testReLUAndFlatten() {
        checkLayer(ReLU(), input: randomTensor([3, 2, 5, 5], &rng), mode: .training)
        checkLayer(Flatten(), input: randomTensor([3, 2, 5, 5], &rng), mode: .training)
    }

    func testMaxPool() {
        checkLayer(MaxPool2d(2), input: randomTensor([2, 3, 8, 6], &rng), mode: .evaluation)
        // Odd sizes floor like nn.MaxPool2d.
        let y = MaxPool2d(2).forward(randomTensor([1, 1, 7, 5], &rng), mode: .evaluation)
        XCTAssertEqual(y.shape, [1, 1, 3, 2])
    }

    func testGlobalAveragePool() {
        checkLayer(GlobalAvgPool(), input: randomTensor([2, 4, 5, 3], &rng), mode: .training)
    }

    func testBatchNormBothModes() {
        let bn = BatchNorm2d(3)
        bn.gamma.value = randomTensor([3], &rng)
        bn.beta.value = randomTensor([3], &rng)
        checkLayer(bn, input: randomTensor([4, 3, 5, 5], &rng, scale: 2), mode: .training)
        bn.runningMean.value = randomTensor([3], &rng)
        bn.runningVariance.value = Tensor(shape: [3], scalars: [0.5, 2, 1.5])
        checkLayer(bn, input: randomTensor([4, 3, 5, 5], &rng), mode: .evaluation)
    }

    func testBatchNormStatistics() {
        let bn = BatchNorm2d(2)
        let x = randomTensor([8, 2, 4, 4], &rng, scale: 3)
        let y = bn.forward(x, mode: .training)
        // Each channel of the output has mean 0 and (biased) variance ~1.
        for c in 0..<2 {
            var vals: [Double] = []
            for n in 0..<8 { for q in 0..<16 { vals.append(Double(y.scalars[(n * 2 + c) * 16 + q])) } }
            let mean = vals.reduce(0, +) / Double(vals.count)
            let variance = vals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(vals.count)
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
        // Running statistics moved by momentum 0.1 from (0, 1); evaluation mode does not move them.
        let rm = bn.runningMean.value
        XCTAssertNotEqual(rm, Tensor(shape: [2]))
        _ = bn.forward(x, mode: .evaluation)
        XCTAssertEqual(bn.runningMean.value, rm)
    }

    func testResidual() {
        let identity = Residual(Sequential([Conv2d(2, 2, kernelSize: 3, padding: 1, rng: &rng), ReLU()]))
        checkLayer(identity, input: randomTensor([2, 2, 5, 5], &rng), mode: .training)
        let projecting = Residual(
            Sequential([Conv2d(2, 4, kernelSize: 3, stride: 2, padding: 1, rng: &rng)]),
            shortcut: Conv2d(2, 4, kernelSize: 1, stride: 2, rng: &rng))
        checkLayer(projecting, input: randomTensor([2, 2, 6, 6], &rng), mode: .training)
    }

    func testCrossEntropyMatchesClosedFormAndIsStable() {
        let z = Tensor(shape: [2, 3], scalars: [1, 2, 3, 1000, -1000, 0])
        let (losses, g) = CrossEntropy.evaluate(logits: z, labels: [2, 0], reduction: .sum)
        let lse = log(exp(1.0) + exp(2.0) + exp(3.0))
        XCTAssertEqual(Double(losses[0]), lse - 3, accuracy: 1e-5)
        XCTAssertEqual(losses[1], 0, accuracy: 1e-6)
        XCTAssert(g.scalars.allSatisfy { $0.isFinite })
        XCTAssertEqual(Double(g.scalars[0]), exp(1 - lse), accuracy: 1e-6)
        XCTAssertEqual(Double(g.scalars[2]), exp(3 - lse) - 1, accuracy: 1e-6)
        // Finite differences on random logits; mean reduction scales by 1/N.
        let zr = randomTensor([4, 5], &rng, scale: 3)
        let y = [0, 4, 2, 2]
        let (_, gm) = CrossEntropy.evaluate(logits: zr, labels: y, reduction: .mean)
        let v = randomTensor([4, 5], &rng)
        func f(_ t: Tensor) -> Double { CrossEntropy.evaluate(logits: t, labels: y).losses.reduce(0) { $0 + Double($1) } / 4 }
        assertClose(gm.dot(v), (f(zr + v * 1e-3) - f(zr - v * 1e-3)) / 2e-3, "cross-entropy")
    }

    /// Whole models: input gradient of the loss, representation gradient, parameter gradients.
    func testReferenceModels() throws {
        for id in TestPlugins.architectureIDs {
            for mode in [Mode.training, .evaluation] {
                let config = ["linear": [:], "mlp": ["hidden": "16-12"], "cnn-small": ["channels1": "4", "channels2": "6", "hidden": "10"],
                              "resnet-mini": ["width": "4"]][id]!
                let model = try TestPlugins.build(id, config, inputShape: [1, 12, 12], classes: 3, seed: 7)
                model.mode = mode
                let x = randomTensor([3, 1, 12, 12], &rng).clamped01()
                let labels = [0, 2, 1]
                // Input gradient of the summed cross-entropy, as attacks use it.
                func loss(_ t: Tensor) -> Double {
                    CrossEntropy.evaluate(logits: model.logits(t), labels: labels).losses.reduce(0) { $0 + Double($1) }
                }
                model.zeroGradients()
                let (_, _, dx) = model.lossAndInputGradient(x, labels: labels)
                XCTAssert(model.parameters.allSatisfy { $0.gradient.maxAbs() == 0 }, "\(id): attack-style backward touched parameter gradients")
                let v = randomTensor(x.shape, &rng)
                let lossScale = loss(x)
                assertDirectionalDerivative(dx.dot(v), "\(id) [\(mode)] dLoss/dx", scale: lossScale) { loss(x + v * $0) }

                // Representation gradient, as the robust-dataset construction uses it.
                let target = randomTensor(model.representation(x).shape, &rng)
                func repLoss(_ t: Tensor) -> Double { model.representation(t).dot(target) }
                _ = model.representation(x)
                let dxr = model.backward(representationGradient: target, parameterGradients: false)
                assertDirectionalDerivative(dxr.dot(v), "\(id) [\(mode)] d<g(x),t>/dx", scale: termScale(model.representation(x), target)) { repLoss(x + v * $0) }

                // Parameter gradients of the mean loss.
                model.zeroGradients()
                let z = model.logits(x)
                let (_, dz) = CrossEntropy.evaluate(logits: z, labels: labels, reduction: .sum)
                model.backward(logitGradient: dz, parameterGradients: true, inputGradient: false)
                for (name, p) in model.namedParameters {
                    let u = sparseDirection(p.value.shape, &rng)
                    let saved = p.value
                    assertDirectionalDerivative(p.gradient.dot(u), "\(id) [\(mode)] dLoss/d\(name)", scale: lossScale) {
                        p.value = saved + u * $0
                        defer { p.value = saved }
                        return loss(x)
                    }
                }
            }
        }
    }
}

extension Tensor {
    func clamped01() -> Tensor {
        Tensor(shape: shape, scalars: scalars.map { min(max($0 * 0.3 + 0.5, 0), 1) })
    }
}

// The layers' fast paths against plain references: Conv2d's chunked im2col (several chunk sizes,
// uneven gradient groups) against a direct seven-loop convolution and finite differences, and
// bit for bit across thread counts; MaxPool2d's 2x2 SIMD path against a scalar reference with
// ties, NaN, -inf and odd sizes; Sequential's fused Conv2d+ReLU forward and ReLU+MaxPool pullback
// against the same layers run one by one.
@testable import BrittleGEMM
import BrittleNN
import BrittleTestSupport
import XCTest

/// y[n, f, oh, ow] = b[f] + sum over c, i, j of w[f, c, i, j] * x[n, c, oh*s - p + i, ow*s - p + j].
private func directConvolution(_ x: Tensor, _ conv: Conv2d) -> Tensor {
    let N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    let K = conv.kernelSize, s = conv.stride, p = conv.padding, F = conv.outChannels
    let (Ho, Wo) = conv.outputSize(H, W)
    var y = Tensor(shape: [N, F, Ho, Wo])
    let w = conv.weight.value.scalars, b = conv.bias?.value.scalars
    for n in 0..<N { for f in 0..<F { for oh in 0..<Ho { for ow in 0..<Wo {
        var acc = Double(b?[f] ?? 0)
        for c in 0..<C { for i in 0..<K { for j in 0..<K {
            let h = oh * s - p + i, v = ow * s - p + j
            if h >= 0 && h < H && v >= 0 && v < W {
                acc += Double(w[((f * C + c) * K + i) * K + j]) * Double(x.scalars[((n * C + c) * H + h) * W + v])
            }
        } } }
        y.scalars[((n * F + f) * Ho + oh) * Wo + ow] = Float(acc)
    } } } }
    return y
}

/// MaxPool2d(2) by the definition: windows scanned in order with a strict >, from -infinity.
private func referencePool(_ x: Tensor, _ dy: Tensor) -> (y: Tensor, dx: Tensor) {
    let N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3], Ho = H / 2, Wo = W / 2
    var y = Tensor(shape: [N, C, Ho, Wo]), dx = Tensor(shape: x.shape)
    for pl in 0..<(N * C) { for oh in 0..<Ho { for ow in 0..<Wo {
        var best = -Float.infinity, at = (2 * oh) * W + 2 * ow
        for i in 0..<2 { for j in 0..<2 {
            let q = (2 * oh + i) * W + 2 * ow + j
            if x.scalars[pl * H * W + q] > best { best = x.scalars[pl * H * W + q]; at = q }
        } }
        y.scalars[(pl * Ho + oh) * Wo + ow] = best
        dx.scalars[pl * H * W + at] = dy.scalars[(pl * Ho + oh) * Wo + ow]
    } } }
    return (y, dx)
}

private func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

final class LayerFastPathTests: XCTestCase {
    var rng = SeededGenerator(seed: 7)

    /// (channels, size) giving several images per chunk, one per chunk, and a few per chunk.
    let shapes = [(1, 6), (32, 14), (8, 20)]

    func testConv2dMatchesTheDirectConvolution() {
        for (C, S) in shapes {
            for (k, s, p) in [(3, 1, 1), (3, 2, 1), (1, 1, 0)] {
                let conv = Conv2d(C, 5, kernelSize: k, stride: s, padding: p, rng: &rng)
                let x = randomTensor([19, C, S, S], &rng)
                let y = conv.forward(x, mode: .evaluation), ref = directConvolution(x, conv)
                XCTAssertEqual(y.shape, ref.shape)
                let worst = zip(y.scalars, ref.scalars).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-4, "C \(C), \(S)x\(S), k \(k) s \(s) p \(p)")
            }
        }
    }

    func testConv2dGradientsAcrossChunksAndUnevenGroups() {
        // 21 images: 16 gradient groups of 1 or 2 images; chunk sizes 1, 3 and all.
        for (C, S) in shapes {
            checkLayer(Conv2d(C, 3, kernelSize: 3, padding: 1, rng: &rng), input: randomTensor([21, C, S, S], &rng, scale: 0.5),
                       mode: .training)
        }
    }

    func testConv2dIsBitIdenticalAcrossThreadCounts() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        for (C, S) in shapes {
            let conv = Conv2d(C, 6, kernelSize: 3, stride: 1, padding: 1, rng: &rng)
            let x = randomTensor([37, C, S, S], &rng)
            var runs: [[[UInt32]]] = []
            for threads in [1, 2, 3] {
                Parallel.threads = threads
                conv.weight.zeroGradient()
                conv.bias!.zeroGradient()
                let y = conv.forward(x, mode: .training)
                let dx = conv.backward(y, Backprop(parameterGradients: true, inputGradient: true))
                runs.append([bits(y), bits(dx), bits(conv.weight.gradient), bits(conv.bias!.gradient)])
            }
            XCTAssertEqual(runs[0], runs[1], "C \(C): 1 vs 2 threads")
            XCTAssertEqual(runs[0], runs[2], "C \(C): 1 vs 3 threads")
        }
    }

    func testMaxPool2x2MatchesTheDefinitionBitForBit() {
        for (H, W) in [(28, 28), (14, 14), (5, 7), (4, 17), (6, 20), (1, 2)] {
            var x = randomTensor([3, 2, H, W], &rng)
            // Ties, NaN, -inf, all-NaN windows: first maximum wins, NaN never does.
            for q in stride(from: 0, to: x.count, by: 5) { x.scalars[q] = x.scalars[max(0, q - 1)] }
            for q in stride(from: 3, to: x.count, by: 11) { x.scalars[q] = .nan }
            for q in stride(from: 7, to: x.count, by: 13) { x.scalars[q] = -.infinity }
            if W >= 2 && H >= 2 { x.scalars[0] = .nan; x.scalars[1] = .nan; x.scalars[W] = .nan; x.scalars[W + 1] = .nan }
            let pool = MaxPool2d(2)
            let y = pool.forward(x, mode: .training)
            let dy = randomTensor(y.shape, &rng)
            let dx = pool.backward(dy, Backprop(parameterGradients: false, inputGradient: true))
            let ref = referencePool(x, dy)
            XCTAssertEqual(bits(y), bits(ref.y), "\(H)x\(W) forward")
            XCTAssertEqual(bits(dx), bits(ref.dx), "\(H)x\(W) backward")
        }
    }

    func testFusedSequentialEqualsTheLayersOneByOne() {
        let layers: [Layer] = [Conv2d(1, 4, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(2),
                               Conv2d(4, 6, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(2),
                               Flatten(), Linear(6 * 3 * 3, 5, rng: &rng), ReLU()]
        let model = Sequential(layers)
        let x = randomTensor([9, 1, 13, 12], &rng)
        let params = model.namedParameters.map(\.1)
        for inputGradient in [true, false] {
            // One by one, through the public Layer API (never fused).
            for p in params { p.zeroGradient() }
            var h = x
            for l in layers { h = l.forward(h, mode: .training) }
            let dy = randomTensor(h.shape, &rng)
            var g = dy
            for (i, l) in layers.enumerated().reversed() {
                g = l.backward(g, Backprop(parameterGradients: true, inputGradient: i > 0 || inputGradient))
            }
            let plain = (bits(h), bits(g), params.map { bits($0.gradient) })
            for p in params { p.zeroGradient() }
            let y = model.forward(x, mode: .training)
            let dx = model.backward(dy, Backprop(parameterGradients: true, inputGradient: inputGradient))
            XCTAssertEqual(bits(y), plain.0, "fused forward")
            if inputGradient { XCTAssertEqual(bits(dx), plain.1, "fused input gradient") }
            XCTAssertEqual(params.map { bits($0.gradient) }, plain.2, "fused parameter gradients")
        }
    }
}

// The pullback of Conv2d: weight and bias gradients by GEMM against patches rebuilt from the
// saved input, the input gradient by GEMM then col2im, a chunk of images at a time in scratch.
// Weight and bias gradients are summed image by image within fixed groups of images, then over
// the groups in order, so they do not depend on the thread count (see Conv2d.swift).
import BrittleGEMM

extension Conv2d {
    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        let g = geometry(inputShape)
        let N = g.N, F = g.F, P = g.P, CKK = g.CKK
        precondition(dy.shape == [N, F, g.Ho, g.Wo], "\(summary): gradient shape \(dy.shape) does not match the last output")
        let wantWeights = options.parameterGradients, wantInput = options.inputGradient
        guard wantWeights || wantInput, N > 0 else { return wantInput ? Tensor(shape: inputShape) : noGradient }
        let groups = min(N, Conv2d.gradientGroups)
        let partialSize = F * CKK + F
        var dx = wantInput ? Tensor(shape: inputShape) { _, _ in } : noGradient  // each image zeroed by its part
        withPartials(groups * (wantWeights ? partialSize : 0)) { partials in
            dy.withUnsafePointer { dyp in
                savedInput { xp in
                    weight.value.withUnsafePointer { wp in
                        dx.withUnsafeMutablePointer { dxp in
                            Parallel.forEach(parts: groups) { group in
                                let images = (N * group / groups)..<(N * (group + 1) / groups)
                                let dW = partials + group * partialSize, dB = dW + F * CKK  // dW: (CKK, F)
                                var first = true
                                forChunks(g, xp, in: images, extra: wantInput ? CKK * g.chunk * P : 0,
                                          patches: wantWeights, parallel: false, gemmThreads: groups > 1 ? 1 : nil) { chunk, scratch, threads in
                                    let cP = chunk.count * P
                                    let col = scratch, dcol = scratch + (wantWeights ? CKK * cP : 0)
                                    for n in chunk {
                                        let dyn = dyp + n * F * P, offset = (n - chunk.lowerBound) * P
                                        if wantWeights {
                                            // dW^T (CKK, F) += col_n (CKK, P) dy_n^T (P, F): the patches
                                            // are the contiguous-row operand (packing a transposed
                                            // operand is a scatter; dy_n is the smaller one).
                                            sgemm(transB: .transposed, m: CKK, n: F, k: P, a: col + offset, lda: cP,
                                                  b: dyn, ldb: P, beta: first ? 0 : 1, c: dW, ldc: F,
                                                  threads: threads)
                                            for f in 0..<F {
                                                let s = rowSum(dyn + f * P, P)
                                                dB[f] = first ? s : dB[f] + s
                                            }
                                            first = false
                                        }
                                        if wantInput {
                                            // dcol_n (CKK, P) = W^T (CKK, F) dy_n (F, P), then col2im.
                                            sgemm(transA: .transposed, m: CKK, n: P, k: F, a: wp, lda: CKK,
                                                  b: dyn, ldb: P, c: dcol + offset, ldc: cP, threads: threads)
                                            let dxn = dxp + n * g.inputItem
                                            dxn.update(repeating: 0, count: g.inputItem)
                                            col2im(dcol + offset, g.H, g.W, g.Ho, g.Wo, cP, dxn)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            guard wantWeights else { return }
            // Group partial sums (transposed, (CKK, F)), added in group order.
            weight.gradient.withUnsafeMutablePointer { gw in
                for group in 0..<groups {
                    let src = UnsafePointer(partials + group * partialSize)
                    for f in 0..<F {
                        for t in 0..<CKK { gw[f * CKK + t] += src[t * F + f] }
                    }
                }
            }
            bias?.gradient.withUnsafeMutablePointer { gb in
                for group in 0..<groups {
                    let src = UnsafePointer(partials + group * partialSize + F * CKK)
                    for f in 0..<F { gb[f] += src[f] }
                }
            }
        }
        return dx
    }
}

/// Sum of `count` floats from `p`: eight interleaved partial sums (a scalar chain is latency-
/// bound), in a fixed order.
@inline(__always)
func rowSum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    let raw = UnsafeRawPointer(p)
    var acc = SIMD8<Float>()
    var q = 0
    while q + 8 <= count {
        acc += raw.loadUnaligned(fromByteOffset: 4 * q, as: SIMD8<Float>.self)
        q += 8
    }
    var total = acc.sum()
    while q < count { total += p[q]; q += 1 }
    return total
}

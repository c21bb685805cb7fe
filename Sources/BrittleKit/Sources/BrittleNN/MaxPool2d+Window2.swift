// MaxPool2d's fast path for 2x2 windows (every CNN in Brittle): eight windows at a time with
// SIMD (the even and odd columns of two input rows), and the winner of each window kept as one
// byte (0-3) instead of a flat Int32 index. The backward pass then writes each window's four
// gradients directly (the gradient or zero), with no zero-fill and no scatter.
// Same results as the general path bit for bit: candidates are compared in window order with a
// strict >, starting from -infinity, so the first maximum wins ties and a NaN never wins.

extension MaxPool2d {
    func forward2x2(_ x: Tensor, planes: Int, H: Int, W: Int) -> Tensor {
        let Ho = H / 2, Wo = W / 2, N = x.shape[0], C = x.shape[1]
        if winners.count != planes * Ho * Wo { winners = [UInt8](repeating: 0, count: planes * Ho * Wo) }
        return winners.withUnsafeMutableBufferPointer { wb in
            let wp = wb.baseAddress!
            return Tensor(shape: [N, C, Ho, Wo]) { yp, _ in
                x.withUnsafePointer { xp in
                    parallelItems(planes, itemSize: H * W) { range in
                        for pl in range {
                            for oh in 0..<Ho {
                                let r0 = xp + pl * H * W + 2 * oh * W, r1 = r0 + W
                                let out = yp + (pl * Ho + oh) * Wo, win = wp + (pl * Ho + oh) * Wo
                                var ow = 0
                                while ow < Wo {
                                    let n = min(8, Wo - ow)
                                    let top: SIMD16<Float>, bottom: SIMD16<Float>
                                    if n == 8 {
                                        top = UnsafeRawPointer(r0 + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                                        bottom = UnsafeRawPointer(r1 + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                                    } else {
                                        // The last windows of a row (7 per row of cnn-small's conv2).
                                        var t = SIMD16<Float>(repeating: 0), u = t
                                        withUnsafeMutableBytes(of: &t) { $0.baseAddress!.copyMemory(from: r0 + 2 * ow, byteCount: 8 * n) }
                                        withUnsafeMutableBytes(of: &u) { $0.baseAddress!.copyMemory(from: r1 + 2 * ow, byteCount: 8 * n) }
                                        top = t
                                        bottom = u
                                    }
                                    let (best, code) = window2x2(top, bottom)
                                    let bytes = SIMD8<UInt8>(truncatingIfNeeded: code)
                                    if n == 8 {
                                        UnsafeMutableRawPointer(out + ow).storeBytes(of: best, as: SIMD8<Float>.self)
                                        UnsafeMutableRawPointer(win + ow).storeBytes(of: bytes, as: SIMD8<UInt8>.self)
                                    } else {
                                        withUnsafeBytes(of: best) { UnsafeMutableRawPointer(out + ow).copyMemory(from: $0.baseAddress!, byteCount: 4 * n) }
                                        withUnsafeBytes(of: bytes) { UnsafeMutableRawPointer(win + ow).copyMemory(from: $0.baseAddress!, byteCount: n) }
                                    }
                                    ow += n
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Eight 2x2 windows from two rows of 16 values: the maxima and the winners' positions.
    @inline(__always)
    func window2x2(_ top: SIMD16<Float>, _ bottom: SIMD16<Float>) -> (SIMD8<Float>, SIMD8<Int32>) {
        var best = SIMD8<Float>(repeating: -.infinity)
        var code = SIMD8<Int32>()
        @inline(__always) func consider(_ v: SIMD8<Float>, _ i: Int32) {
            let m = v .> best
            best.replace(with: v, where: m)
            code.replace(with: i, where: m)
        }
        consider(top.evenHalf, 0)
        consider(top.oddHalf, 1)
        consider(bottom.evenHalf, 2)
        consider(bottom.oddHalf, 3)
        return (best, code)
    }

    /// The pullback of ReLU then this pool in one pass, for 2x2 windows (nil otherwise): the
    /// gradient goes to each window's winner where `reluOutput` (this pool's input) is positive.
    func backward(_ dy: Tensor, throughReLUOutput reluOutput: Tensor) -> Tensor? {
        guard kernelSize == 2, reluOutput.shape == inputShapeForBackward else { return nil }
        return backward2x2(dy, mask: reluOutput)
    }

    func backward2x2(_ dy: Tensor, mask: Tensor? = nil) -> Tensor {
        let shape = inputShapeForBackward
        let H = shape[2], W = shape[3], Ho = H / 2, Wo = W / 2
        let planes = shape[0] * shape[1]
        return Tensor(shape: shape) { dxp, _ in
            dy.withUnsafePointer { dyp in
                winners.withUnsafeBufferPointer { wb in (mask ?? noGradient).withUnsafePointer { mp in
                    let wp = wb.baseAddress!
                    let maskPointer: UnsafePointer<Float>? = mask == nil ? nil : mp
                    parallelItems(planes, itemSize: H * W) { range in
                        for pl in range {
                            let plane = dxp + pl * H * W
                            for oh in 0..<Ho {
                                let r0 = plane + 2 * oh * W, r1 = r0 + W
                                let g = dyp + (pl * Ho + oh) * Wo, win = wp + (pl * Ho + oh) * Wo
                                let m0 = maskPointer.map { $0 + pl * H * W + 2 * oh * W }
                                if let m0 {
                                    let m1 = m0 + W
                                    for ow in 0..<Wo {
                                        // Fused: the ReLU's output (this pool's input) must be positive too.
                                        let c = win[ow], v = g[ow]
                                        r0[2 * ow] = keep(v, c == 0, m0[2 * ow] > 0)
                                        r0[2 * ow + 1] = keep(v, c == 1, m0[2 * ow + 1] > 0)
                                        r1[2 * ow] = keep(v, c == 2, m1[2 * ow] > 0)
                                        r1[2 * ow + 1] = keep(v, c == 3, m1[2 * ow + 1] > 0)
                                    }
                                } else {
                                    for ow in 0..<Wo {
                                        let c = win[ow], v = g[ow]
                                        r0[2 * ow] = keep(v, c == 0, true)
                                        r0[2 * ow + 1] = keep(v, c == 1, true)
                                        r1[2 * ow] = keep(v, c == 2, true)
                                        r1[2 * ow + 1] = keep(v, c == 3, true)
                                    }
                                }
                                // Odd trailing column / row (floor mode): no window, zero gradient.
                                if W % 2 == 1 { r0[W - 1] = 0; r1[W - 1] = 0 }
                            }
                            if H % 2 == 1 { (plane + (H - 1) * W).update(repeating: 0, count: W) }
                        }
                    }
                } }
            }
        }
    }
}

/// `v` where both conditions hold, else +0, without a branch (the winners are data: a branch
/// per window position mispredicts about every other time).
@inline(__always)
private func keep(_ v: Float, _ a: Bool, _ b: Bool) -> Float {
    let both = UInt32(truncatingIfNeeded: (a ? 1 : 0) & (b ? 1 : 0))
    return Float(bitPattern: v.bitPattern & (0 &- both))
}

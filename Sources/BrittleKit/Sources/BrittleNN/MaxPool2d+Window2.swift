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
                                    // Bit 2: the maximum is positive (a ReLU before this pool passed it).
                                    let positive = SIMD8<Int32>(repeating: 4) & SIMD8<Int32>(repeating: 0).replacing(with: -1, where: best .> 0)
                                    let bytes = SIMD8<UInt8>(truncatingIfNeeded: code | positive)
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
    /// gradient goes to each window's winner where `reluOutput` (this pool's input) is positive,
    /// i.e. where the window's maximum is positive, which the forward pass recorded.
    func backward(_ dy: Tensor, throughReLUOutput reluOutput: Tensor) -> Tensor? {
        guard kernelSize == 2, reluOutput.shape == inputShape else { return nil }
        return backward2x2(dy, throughReLU: true)
    }

    func backward2x2(_ dy: Tensor, throughReLU: Bool = false) -> Tensor {
        let shape = inputShape
        let H = shape[2], W = shape[3], Ho = H / 2, Wo = W / 2
        let planes = shape[0] * shape[1]
        // masks[4 * code + k]: all ones where window position k receives the gradient.
        let masks: [UInt32] = (0..<32).map { i in
            let code = i / 4, k = i % 4
            return code & 3 == k && (!throughReLU || code & 4 != 0) ? ~0 : 0
        }
        return Tensor(shape: shape) { dxp, _ in
            dy.withUnsafePointer { dyp in
                winners.withUnsafeBufferPointer { wb in masks.withUnsafeBufferPointer { mb in
                    let wp = wb.baseAddress!, m = mb.baseAddress!
                    parallelItems(planes, itemSize: H * W) { range in
                        for pl in range {
                            let plane = dxp + pl * H * W
                            for oh in 0..<Ho {
                                let r0 = UnsafeMutableRawPointer(plane + 2 * oh * W), r1 = r0 + 4 * W
                                let g = UnsafeRawPointer(dyp + (pl * Ho + oh) * Wo), win = wp + (pl * Ho + oh) * Wo
                                for ow in 0..<Wo {
                                    // Branchless: the winners are data, a branch would mispredict.
                                    let v = g.load(fromByteOffset: 4 * ow, as: UInt32.self), k = m + 4 * Int(win[ow])
                                    r0.storeBytes(of: v & k[0], toByteOffset: 8 * ow, as: UInt32.self)
                                    r0.storeBytes(of: v & k[1], toByteOffset: 8 * ow + 4, as: UInt32.self)
                                    r1.storeBytes(of: v & k[2], toByteOffset: 8 * ow, as: UInt32.self)
                                    r1.storeBytes(of: v & k[3], toByteOffset: 8 * ow + 4, as: UInt32.self)
                                }
                                // Odd trailing column (floor mode): no window, zero gradient.
                                if W % 2 == 1 {
                                    r0.storeBytes(of: 0, toByteOffset: 4 * (W - 1), as: UInt32.self)
                                    r1.storeBytes(of: 0, toByteOffset: 4 * (W - 1), as: UInt32.self)
                                }
                            }
                            if H % 2 == 1 { (plane + (H - 1) * W).update(repeating: 0, count: W) }
                        }
                    }
                } }
            }
        }
    }
}

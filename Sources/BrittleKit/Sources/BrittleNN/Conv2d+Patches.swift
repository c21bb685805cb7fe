// The patch matrix of a convolution (im2col) and its adjoint (col2im), for one image at a time.
// The patch matrix is K-major: one row per filter tap (c, i, j), one column per output pixel, so
// both are contiguous row copies for stride 1. Callers place an image's P columns inside a wider
// matrix (several images side by side) through the row stride `ld`.

extension Conv2d {
    /// Output columns [lo, hi) of a row for which input column ow*stride - padding + j is inside
    /// [0, W); the rest of the row reads zero padding.
    @inline(__always)
    func validColumns(_ j: Int, _ W: Int, _ Wo: Int) -> (Int, Int) {
        let s = stride, p = padding
        // ow*s - p + j >= 0  <=>  ow >= ceil((p - j) / s);  ow*s - p + j < W  <=>  ow <= (W - 1 + p - j) / s
        let lo = max(0, p - j > 0 ? (p - j + s - 1) / s : 0)
        let last = W - 1 + p - j
        let hi = last < 0 ? 0 : min(Wo, last / s + 1)
        return (lo, max(lo, hi))
    }

    /// Patches of one image (C, H, W) into its P columns of the K-major patch matrix, whose rows
    /// are `ld` floats apart.
    @inline(__always)
    func im2col(_ x: UnsafePointer<Float>, _ H: Int, _ W: Int, _ Ho: Int, _ Wo: Int,
                        _ out: UnsafeMutablePointer<Float>, _ ld: Int) {
        let C = inChannels, K = kernelSize, s = stride, p = padding
        for c in 0..<C {
            let plane = x + c * H * W
            for i in 0..<K {
                for j in 0..<K {
                    let dst = out + ((c * K + i) * K + j) * ld
                    let (lo, hi) = validColumns(j, W, Wo)
                    for oh in 0..<Ho {
                        let d = dst + oh * Wo
                        let h = oh * s - p + i
                        if h < 0 || h >= H {
                            d.update(repeating: 0, count: Wo)
                            continue
                        }
                        let row = plane + h * W - p + j
                        for ow in 0..<lo { d[ow] = 0 }
                        if s == 1 {
                            (d + lo).update(from: row + lo, count: hi - lo)
                        } else {
                            for ow in lo..<hi { d[ow] = row[ow * s] }
                        }
                        for ow in hi..<Wo { d[ow] = 0 }
                    }
                }
            }
        }
    }

    /// Adjoint of im2col: accumulates one image's P columns of the patch gradient into (C, H, W).
    @inline(__always)
    func col2im(_ dcol: UnsafePointer<Float>, _ H: Int, _ W: Int, _ Ho: Int, _ Wo: Int, _ ld: Int,
                        _ dx: UnsafeMutablePointer<Float>) {
        let C = inChannels, K = kernelSize, s = stride, p = padding
        for c in 0..<C {
            let plane = dx + c * H * W
            for i in 0..<K {
                for j in 0..<K {
                    let src = dcol + ((c * K + i) * K + j) * ld
                    let (lo, hi) = validColumns(j, W, Wo)
                    for oh in 0..<Ho {
                        let h = oh * s - p + i
                        if h < 0 || h >= H { continue }
                        let g = src + oh * Wo
                        let row = plane + h * W - p + j
                        if s == 1 {
                            for ow in lo..<hi { row[ow] += g[ow] }
                        } else {
                            for ow in lo..<hi { row[ow * s] += g[ow] }
                        }
                    }
                }
            }
        }
    }
}

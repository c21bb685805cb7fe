// 2-D convolution (cross-correlation, as in every DL framework) by im2col + the GEMM core, and
// its pullback by GEMM + col2im. x: (N, C, H, W), weight: (F, C, kh, kw), bias: (F),
// y: (N, F, Ho, Wo) with Ho = (H + 2*padding - kh) / stride + 1.
// The patch matrix is K-major, (C*kh*kw, N*Ho*Wo): one row per filter tap, one column per output
// pixel of the whole batch. im2col and col2im are then contiguous row copies, and the batch is
// one wide GEMM W (F, CKK) x col (CKK, N*P) whose output rows are NCHW planes up to a block
// copy (cnn-small's conv2 at batch 128: 64 x 25088 x 288, the transpose of the benchmark shape).
import BrittleGEMM

/// A 2-D convolution with square stride and zero padding.
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter  // (F, C, kh, kw)
    public let bias: Parameter?  // (F), absent before batch norm
    private var inputShape: [Int] = []
    private var col: [Float] = []  // (CKK, N*P), patches of the last input, kept for dW
    private var planes: [Float] = []  // (F, N*P) scratch: GEMM output / gradient by filter
    private var dcol: [Float] = []  // (CKK, N*P) scratch: patch gradients

    /// PyTorch's default initialisation: U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = C*k*k.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true, rng: inout SeededGenerator) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let fanIn = inChannels * kernelSize * kernelSize
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Parameter(
            Initializer.uniform([outChannels, inChannels, kernelSize, kernelSize], bound: bound, rng: &rng),
            decays: true)
        self.bias = bias ? Parameter(Initializer.uniform([outChannels], bound: bound, rng: &rng), decays: false) : nil
    }

    public var summary: String {
        "Conv2d(\(inChannels)->\(outChannels), \(kernelSize)x\(kernelSize), stride \(stride), pad \(padding)\(bias == nil ? ", no bias" : ""))"
    }

    public var namedParameters: [(String, Parameter)] {
        var p = [("weight", weight)]
        if let b = bias { p.append(("bias", b)) }
        return p
    }

    /// Output spatial size for an input of size `h` x `w`.
    public func outputSize(_ h: Int, _ w: Int) -> (Int, Int) {
        ((h + 2 * padding - kernelSize) / stride + 1, (w + 2 * padding - kernelSize) / stride + 1)
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels,
                     "\(summary): expected (N, \(inChannels), H, W) input, got \(x.shape)")
        inputShape = x.shape
        let N = x.shape[0], C = inChannels, H = x.shape[2], W = x.shape[3]
        let (Ho, Wo) = outputSize(H, W)
        let F = outChannels, CKK = C * kernelSize * kernelSize, P = Ho * Wo, NP = N * P
        reserve(&col, CKK * NP)
        reserve(&planes, F * NP)
        col.withUnsafeMutableBufferPointer { cb in
            let cp = cb.baseAddress!
            x.withUnsafePointer { xp in
                parallelItems(N, itemSize: P * CKK) { images in
                    for n in images { im2col(xp + n * C * H * W, H, W, Ho, Wo, cp + n * P, NP) }
                }
            }
        }
        planes.withUnsafeMutableBufferPointer { ob in
            col.withUnsafeBufferPointer { cb in
                weight.value.withUnsafePointer { wp in
                    // (F, N*P) = W (F, CKK) col (CKK, N*P)
                    sgemm(m: F, n: NP, k: CKK, a: wp, lda: CKK, b: cb.baseAddress!, ldb: NP,
                          c: ob.baseAddress!, ldc: NP)
                }
            }
        }
        let biasValues = bias?.value.scalars ?? [Float](repeating: 0, count: F)
        return Tensor(shape: [N, F, Ho, Wo]) { yp, _ in
            planes.withUnsafeBufferPointer { ob in
                biasValues.withUnsafeBufferPointer { bb in
                    let op = ob.baseAddress!, b = bb.baseAddress!
                    parallelItems(N, itemSize: P * F) { images in
                        for n in images {
                            for f in 0..<F {
                                let src = op + f * NP + n * P, dst = yp + (n * F + f) * P
                                let bf = b[f]
                                for q in 0..<P { dst[q] = src[q] + bf }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        let N = inputShape[0], C = inChannels, H = inputShape[2], W = inputShape[3]
        let (Ho, Wo) = outputSize(H, W)
        let F = outChannels, CKK = C * kernelSize * kernelSize, P = Ho * Wo, NP = N * P
        precondition(dy.shape == [N, F, Ho, Wo], "\(summary): gradient shape \(dy.shape) does not match the last output")
        // dy regrouped by filter: (F, N*P), the layout of the forward GEMM's output.
        reserve(&planes, F * NP)
        planes.withUnsafeMutableBufferPointer { tb in
            let tp = tb.baseAddress!
            dy.withUnsafePointer { dp in
                parallelItems(N, itemSize: P * F) { images in
                    for n in images {
                        for f in 0..<F { (tp + f * NP + n * P).update(from: dp + (n * F + f) * P, count: P) }
                    }
                }
            }
        }
        if options.parameterGradients {
            planes.withUnsafeBufferPointer { tb in
                col.withUnsafeBufferPointer { cb in
                    weight.gradient.withUnsafeMutablePointer { dw in
                        // dW (F, CKK) += dy (F, N*P) col^T (N*P, CKK)
                        sgemm(transB: .transposed, m: F, n: CKK, k: NP, a: tb.baseAddress!, lda: NP,
                              b: cb.baseAddress!, ldb: NP, beta: 1, c: dw, ldc: CKK)
                    }
                }
                if let bias {
                    // db[f] += sum of dy's row f: eight interleaved partial sums (a scalar chain is
                    // latency-bound: it cost ~10% of a cnn-small training step), rows in parallel.
                    let tp = tb.baseAddress!
                    bias.gradient.withUnsafeMutablePointer { db in
                        parallelItems(F, itemSize: NP) { rows in
                            for f in rows {
                                let row = UnsafeRawPointer(tp + f * NP)
                                var acc = SIMD8<Float>()
                                var q = 0
                                while q + 8 <= NP {
                                    acc += row.loadUnaligned(fromByteOffset: 4 * q, as: SIMD8<Float>.self)
                                    q += 8
                                }
                                var total = acc.sum()
                                while q < NP { total += (tp + f * NP)[q]; q += 1 }
                                db[f] += total
                            }
                        }
                    }
                }
            }
        }
        guard options.inputGradient else { return noGradient }
        reserve(&dcol, CKK * NP)
        dcol.withUnsafeMutableBufferPointer { db in
            planes.withUnsafeBufferPointer { tb in
                weight.value.withUnsafePointer { wp in
                    // dcol (CKK, N*P) = W^T (CKK, F) dy (F, N*P)
                    sgemm(transA: .transposed, m: CKK, n: NP, k: F, a: wp, lda: CKK, b: tb.baseAddress!,
                          ldb: NP, c: db.baseAddress!, ldc: NP)
                }
            }
        }
        var dx = Tensor(shape: inputShape)
        dx.withUnsafeMutablePointer { dxp in
            dcol.withUnsafeBufferPointer { db in
                let dp = db.baseAddress!
                parallelItems(N, itemSize: P * CKK) { images in
                    for n in images { col2im(dp + n * P, H, W, Ho, Wo, NP, dxp + n * C * H * W) }
                }
            }
        }
        return dx
    }

    /// Output columns [lo, hi) of a row for which input column ow*stride - padding + j is inside
    /// [0, W); the rest of the row reads zero padding.
    @inline(__always)
    private func validColumns(_ j: Int, _ W: Int, _ Wo: Int) -> (Int, Int) {
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
    private func im2col(_ x: UnsafePointer<Float>, _ H: Int, _ W: Int, _ Ho: Int, _ Wo: Int,
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
    private func col2im(_ dcol: UnsafePointer<Float>, _ H: Int, _ W: Int, _ Ho: Int, _ Wo: Int, _ ld: Int,
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

/// Grows a scratch buffer to `count` floats (contents unspecified); reused across calls so a
/// training step does not page-fault fresh memory in every layer.
@inline(__always)
func reserve(_ buffer: inout [Float], _ count: Int) {
    if buffer.count != count {
        buffer = [Float](unsafeUninitializedCapacity: count) { _, c in c = count }
    }
}

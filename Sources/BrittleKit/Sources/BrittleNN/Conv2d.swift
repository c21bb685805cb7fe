// 2-D convolution (cross-correlation, as in every DL framework) by im2col + the GEMM core, and
// its pullback by GEMM + col2im. x: (N, C, H, W), weight: (F, C, kh, kw), bias: (F),
// y: (N, F, Ho, Wo) with Ho = (H + 2*padding - kh) / stride + 1.
//
// A few images at a time: a chunk's patch matrix (CKK, c*P) is built in a cache-sized scratch
// buffer (Conv2d+Patches.swift), multiplied, and its output written straight into the NCHW
// result with the bias added. Chunks run in parallel, each with single-threaded GEMMs. Nothing
// of batch size is materialised besides x and y: the backward pass rebuilds a chunk's patches
// from the saved input instead of keeping a (CKK, N*P) matrix (29 MB for cnn-small's conv2 at
// batch 128; writing it and reading it back cost more than rebuilding it from cache).
//
// Determinism: forward outputs and input gradients involve no sum across images. Weight and
// bias gradients are summed image by image inside fixed groups of images (the grouping depends
// on N only), then over groups in order: bit-identical results for any thread count.
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
    private var input = noGradient  // the last input: the backward pass rebuilds its patches
    private var partials: [Float] = []  // (groups, F*CKK + F) weight and bias gradient partial sums

    /// Patch-matrix floats per chunk: 256 KiB, half of a 512 KiB L2.
    static let chunkBudget = 1 << 16
    /// Image groups of the gradient sums (fixed, so results do not depend on the thread count).
    static let gradientGroups = 16

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

    /// Shape of the last input.
    var inputShape: [Int] { input.shape }

    /// Read access to the last input.
    func savedInput<R>(_ body: (UnsafePointer<Float>) -> R) -> R { input.withUnsafePointer(body) }

    /// `body` with the gradient partial-sum buffer, grown to at least `count` floats.
    func withPartials(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        if partials.count < count { partials = [Float](repeating: 0, count: count) }
        partials.withUnsafeMutableBufferPointer { body($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 16)!) }
    }

    /// Sizes of one call: N images of C x H x W to F planes of P = Ho x Wo, CKK taps per pixel.
    struct Geometry {
        var N, C, H, W, Ho, Wo, F, CKK: Int
        var P: Int { Ho * Wo }
        var inputItem: Int { C * H * W }
        /// Images per chunk: as many as fit the scratch budget, at least one.
        var chunk: Int { max(1, min(N, Conv2d.chunkBudget / max(1, CKK * P))) }
    }

    func geometry(_ shape: [Int]) -> Geometry {
        let (Ho, Wo) = outputSize(shape[2], shape[3])
        return Geometry(N: shape[0], C: inChannels, H: shape[2], W: shape[3], Ho: Ho, Wo: Wo,
                        F: outChannels, CKK: inChannels * kernelSize * kernelSize)
    }

    /// Runs `body(images, scratch, gemmThreads)` for chunks of `images`, in parallel when
    /// `parallel` and there are several. With `patches`, the chunk's patch matrix (CKK, c*P) is
    /// built at the start of the scratch; `extra` more floats follow it. GEMMs inside a chunk
    /// run single-threaded when chunks (or the caller's parts) run in parallel.
    func forChunks(
        _ g: Geometry, _ x: UnsafePointer<Float>, in images: Range<Int>, extra: Int, patches: Bool = true,
        parallel: Bool, gemmThreads: Int? = nil,
        _ body: (Range<Int>, UnsafeMutablePointer<Float>, Int?) -> Void
    ) {
        let c = g.chunk
        let chunks = (images.count + c - 1) / c
        let threads: Int? = parallel && chunks > 1 ? 1 : gemmThreads
        func run(_ k: Int) {
            let lo = images.lowerBound + k * c, hi = min(images.upperBound, lo + c)
            let cP = (hi - lo) * g.P
            ScratchPool.shared.with((patches ? g.CKK * cP : 0) + extra) { scratch in
                if patches {
                    for n in lo..<hi {
                        self.im2col(x + n * g.inputItem, g.H, g.W, g.Ho, g.Wo, scratch + (n - lo) * g.P, cP)
                    }
                }
                body(lo..<hi, scratch, threads)
            }
        }
        if parallel { Parallel.forEach(parts: chunks) { run($0) } } else { for k in 0..<chunks { run(k) } }
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor { forward(x, mode: mode, applyingReLU: false) }

    /// The forward pass, with max(., 0) applied to the output when `applyingReLU`.
    func forward(_ x: Tensor, mode: Mode, applyingReLU relu: Bool) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels,
                     "\(summary): expected (N, \(inChannels), H, W) input, got \(x.shape)")
        input = x
        let g = geometry(x.shape)
        let F = g.F, P = g.P, CKK = g.CKK
        let biasValues = bias?.value.scalars ?? [Float](repeating: 0, count: F)
        return Tensor(shape: [g.N, F, g.Ho, g.Wo]) { yp, _ in
            x.withUnsafePointer { xp in
                weight.value.withUnsafePointer { wp in biasValues.withUnsafeBufferPointer { bb in
                    let bp = bb.baseAddress!
                    forChunks(g, xp, in: 0..<g.N, extra: F * g.chunk * P, parallel: true) { images, col, threads in
                        let cP = images.count * P
                        let planes = col + CKK * cP
                        // (F, c*P) = W (F, CKK) col (CKK, c*P)
                        sgemm(m: F, n: cP, k: CKK, a: wp, lda: CKK, b: col, ldb: cP,
                              c: planes, ldc: cP, threads: threads)
                        for n in images {
                            for f in 0..<F {
                                let src = planes + f * cP + (n - images.lowerBound) * P
                                let dst = yp + (n * F + f) * P
                                let bf = bp[f]
                                if relu {
                                    for q in 0..<P { dst[q] = max(src[q] + bf, 0) }
                                } else {
                                    for q in 0..<P { dst[q] = src[q] + bf }
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

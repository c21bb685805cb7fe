// Fully connected layer y = x W^T + b, x: (N, in), W: (out, in), b: (out), y: (N, out),
// and its pullback. Both directions are single GEMM calls.
import BrittleGEMM

/// A fully connected layer.
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Parameter  // (out, in)
    public let bias: Parameter  // (out)
    private var x = noGradient  // (N, in), cached input

    /// PyTorch's default initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    public init(_ inFeatures: Int, _ outFeatures: Int, rng: inout SeededGenerator) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(Initializer.uniform([outFeatures, inFeatures], bound: bound, rng: &rng), decays: true)
        bias = Parameter(Initializer.uniform([outFeatures], bound: bound, rng: &rng), decays: false)
    }

    public var summary: String { "Linear(\(inFeatures)->\(outFeatures))" }
    public var namedParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inFeatures,
                     "\(summary): expected (N, \(inFeatures)) input, got \(x.shape)")
        self.x = x
        let N = x.shape[0], I = inFeatures, O = outFeatures
        var y = Tensor(shape: [N, O]) { p, _ in
            bias.value.withUnsafePointer { b in
                for i in 0..<N { (p + i * O).update(from: b, count: O) }
            }
        }
        y.withUnsafeMutablePointer { yp in
            x.withUnsafePointer { xp in
                weight.value.withUnsafePointer { wp in
                    sgemm(transB: .transposed, m: N, n: O, k: I, a: xp, lda: I, b: wp, ldb: I,
                          beta: 1, c: yp, ldc: O)
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        let N = x.shape[0], I = inFeatures, O = outFeatures
        if options.parameterGradients {
            dy.withUnsafePointer { dyp in
                x.withUnsafePointer { xp in
                    weight.gradient.withUnsafeMutablePointer { dw in
                        // dW (O, I) += dy^T (O, N) x (N, I)
                        sgemm(transA: .transposed, m: O, n: I, k: N, a: dyp, lda: O, b: xp, ldb: I,
                              beta: 1, c: dw, ldc: I)
                    }
                }
                bias.gradient.withUnsafeMutablePointer { db in
                    for i in 0..<N { for o in 0..<O { db[o] += dyp[i * O + o] } }
                }
            }
        }
        guard options.inputGradient else { return noGradient }
        var dx = Tensor(shape: [N, I])
        dx.withUnsafeMutablePointer { dxp in
            dy.withUnsafePointer { dyp in
                weight.value.withUnsafePointer { wp in
                    // dx (N, I) = dy (N, O) W (O, I)
                    sgemm(m: N, n: I, k: O, a: dyp, lda: O, b: wp, ldb: I, c: dxp, ldc: I)
                }
            }
        }
        return dx
    }
}

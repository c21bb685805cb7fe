// Per-channel input normalisation inside the model, y = (x - mean[c]) / std[c], so that attack
// budgets stay in pixel units (Documentation/attack-properties.md #12). Mean and std are saved buffers, not trained.

/// (x - mean) / std per channel of an (N, C, H, W) batch.
public final class Normalize: Layer {
    public let mean: Parameter  // (C), buffer
    public let std: Parameter  // (C), buffer

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && std.allSatisfy { $0 > 0 }, "Normalize: one positive std per mean")
        self.mean = Parameter(Tensor(shape: [mean.count], scalars: mean), decays: false)
        self.std = Parameter(Tensor(shape: [std.count], scalars: std), decays: false)
    }

    public var summary: String { "Normalize(mean \(mean.value.scalars), std \(std.value.scalars))" }
    public var namedBuffers: [(String, Parameter)] { [("mean", mean), ("std", std)] }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let C = mean.value.count
        precondition(x.rank == 4 && x.shape[1] == C, "\(summary): expected (N, \(C), H, W), got \(x.shape)")
        let P = x.shape[2] * x.shape[3], planes = x.shape[0] * C
        let m = mean.value.scalars, s = std.value.scalars
        return Tensor(shape: x.shape) { yp, _ in
            x.withUnsafePointer { xp in
                for pl in 0..<planes {
                    let c = pl % C, inv = 1 / s[c], mc = m[c]
                    for q in 0..<P { yp[pl * P + q] = (xp[pl * P + q] - mc) * inv }
                }
            }
        }
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        guard options.inputGradient else { return noGradient }
        let C = mean.value.count, P = dy.shape[2] * dy.shape[3], planes = dy.shape[0] * C
        let s = std.value.scalars
        return Tensor(shape: dy.shape) { dxp, _ in
            dy.withUnsafePointer { dyp in
                for pl in 0..<planes {
                    let inv = 1 / s[pl % C]
                    for q in 0..<P { dxp[pl * P + q] = dyp[pl * P + q] * inv }
                }
            }
        }
    }
}

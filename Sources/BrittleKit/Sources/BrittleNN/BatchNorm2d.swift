// Batch normalisation over (N, H, W) per channel (Ioffe & Szegedy 2015), with PyTorch's
// conventions: biased variance to normalise, unbiased variance in the running estimate,
// momentum 0.1, eps 1e-5. Training mode uses and updates batch statistics; evaluation mode
// uses the running ones and changes nothing.

/// Per-channel batch normalisation of (N, C, H, W) tensors with a learned affine map.
public final class BatchNorm2d: Layer {
    public let channels: Int
    public let momentum: Float
    public let epsilon: Float
    public let gamma: Parameter  // (C)
    public let beta: Parameter  // (C)
    public let runningMean: Parameter  // (C), buffer
    public let runningVariance: Parameter  // (C), buffer
    private var xhat = noGradient  // (N, C, H, W), normalised input of the last forward
    private var invStd: [Float] = []  // (C)
    private var lastMode: Mode = .evaluation

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        gamma = Parameter(Tensor(shape: [channels], repeating: 1), decays: false)
        beta = Parameter(Tensor(shape: [channels], repeating: 0), decays: false)
        runningMean = Parameter(Tensor(shape: [channels], repeating: 0), decays: false)
        runningVariance = Parameter(Tensor(shape: [channels], repeating: 1), decays: false)
    }

    public var summary: String { "BatchNorm2d(\(channels))" }
    public var namedParameters: [(String, Parameter)] { [("weight", gamma), ("bias", beta)] }
    public var namedBuffers: [(String, Parameter)] {
        [("running_mean", runningMean), ("running_var", runningVariance)]
    }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == channels, "\(summary): expected (N, \(channels), H, W), got \(x.shape)")
        lastMode = mode
        let N = x.shape[0], C = channels, P = x.shape[2] * x.shape[3]
        let M = N * P
        var mean = [Float](repeating: 0, count: C), variance = [Float](repeating: 0, count: C)
        if mode == .training {
            x.withUnsafePointer { xp in
                for c in 0..<C {
                    var s = 0.0, ss = 0.0
                    for n in 0..<N {
                        let plane = xp + (n * C + c) * P
                        for q in 0..<P { let v = Double(plane[q]); s += v; ss += v * v }
                    }
                    let m = s / Double(M)
                    mean[c] = Float(m)
                    variance[c] = Float(max(ss / Double(M) - m * m, 0))
                }
            }
            let unbias = M > 1 ? Float(M) / Float(M - 1) : 1
            for c in 0..<C {
                runningMean.value.scalars[c] = (1 - momentum) * runningMean.value.scalars[c] + momentum * mean[c]
                runningVariance.value.scalars[c] =
                    (1 - momentum) * runningVariance.value.scalars[c] + momentum * variance[c] * unbias
            }
        } else {
            mean = runningMean.value.scalars
            variance = runningVariance.value.scalars
        }
        invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let g = gamma.value.scalars, b = beta.value.scalars, inv = invStd
        var xh = Tensor(shape: x.shape, unsafeUninitialized: { _, _ in })
        let y = Tensor(shape: x.shape) { yp, _ in
            xh.withUnsafeMutablePointer { hp in
                x.withUnsafePointer { xp in
                    parallelItems(N, itemSize: C * P) { images in
                        for n in images {
                            for c in 0..<C {
                                let o = (n * C + c) * P
                                let m = mean[c], s = inv[c], gc = g[c], bc = b[c]
                                for q in 0..<P {
                                    let h = (xp[o + q] - m) * s
                                    hp[o + q] = h
                                    yp[o + q] = gc * h + bc
                                }
                            }
                        }
                    }
                }
            }
        }
        xhat = xh
        return y
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        let N = xhat.shape[0], C = channels, P = xhat.shape[2] * xhat.shape[3]
        let M = Float(N * P)
        // Per-channel sums of dy and dy * xhat: the parameter gradients, and in training mode
        // the terms that account for the batch statistics' dependence on x.
        var sumDy = [Float](repeating: 0, count: C), sumDyXhat = [Float](repeating: 0, count: C)
        dy.withUnsafePointer { dyp in
            xhat.withUnsafePointer { hp in
                for c in 0..<C {
                    var s = 0.0, sh = 0.0
                    for n in 0..<N {
                        let o = (n * C + c) * P
                        for q in 0..<P { s += Double(dyp[o + q]); sh += Double(dyp[o + q] * hp[o + q]) }
                    }
                    sumDy[c] = Float(s)
                    sumDyXhat[c] = Float(sh)
                }
            }
        }
        if options.parameterGradients {
            for c in 0..<C {
                gamma.gradient.scalars[c] += sumDyXhat[c]
                beta.gradient.scalars[c] += sumDy[c]
            }
        }
        guard options.inputGradient else { return noGradient }
        let g = gamma.value.scalars, inv = invStd, training = lastMode == .training
        return Tensor(shape: dy.shape) { dxp, _ in
            dy.withUnsafePointer { dyp in
                xhat.withUnsafePointer { hp in
                    parallelItems(N, itemSize: C * P) { images in
                        for n in images {
                            for c in 0..<C {
                                let o = (n * C + c) * P
                                let k = g[c] * inv[c]
                                if training {
                                    let a = sumDy[c] / M, bb = sumDyXhat[c] / M
                                    for q in 0..<P { dxp[o + q] = k * (dyp[o + q] - a - hp[o + q] * bb) }
                                } else {
                                    for q in 0..<P { dxp[o + q] = k * dyp[o + q] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

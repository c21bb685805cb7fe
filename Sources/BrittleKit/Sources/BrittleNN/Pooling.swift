// Pooling layers on NCHW tensors: MaxPool2d (window = stride, no padding, floor mode, as
// nn.MaxPool2d(k)) and global average pooling (N, C, H, W) -> (N, C).

/// Max over non-overlapping k x k windows. The pullback routes each gradient to the argmax
/// (the first maximum on ties, like PyTorch).
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    private(set) var inputShape: [Int] = []
    private var argmax: [Int32] = []  // (N, C, Ho, Wo): flat index within the input plane
    var winners: [UInt8] = []  // 2x2 windows (MaxPool2d+Window2.swift): 0-3, row-major in the window

    public init(_ kernelSize: Int) { self.kernelSize = kernelSize }
    public var summary: String { "MaxPool2d(\(kernelSize))" }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        precondition(x.rank == 4, "\(summary): expected (N, C, H, W), got \(x.shape)")
        inputShape = x.shape
        let N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3], k = kernelSize
        let Ho = H / k, Wo = W / k
        let planes = N * C
        if k == 2 { return forward2x2(x, planes: planes, H: H, W: W) }
        if argmax.count != planes * Ho * Wo { argmax = [Int32](repeating: 0, count: planes * Ho * Wo) }
        return argmax.withUnsafeMutableBufferPointer { ab in
            let ap = ab.baseAddress!
            return Tensor(shape: [N, C, Ho, Wo]) { yp, _ in
                x.withUnsafePointer { xp in
                    parallelItems(planes, itemSize: H * W) { range in
                        for pl in range {
                            let src = xp + pl * H * W
                            let dst = yp + pl * Ho * Wo, arg = ap + pl * Ho * Wo
                            for oh in 0..<Ho {
                                for ow in 0..<Wo {
                                    var best = -Float.infinity
                                    var bi = (oh * k) * W + ow * k
                                    for i in 0..<k {
                                        let rowIndex = (oh * k + i) * W + ow * k
                                        for j in 0..<k where src[rowIndex + j] > best {
                                            best = src[rowIndex + j]
                                            bi = rowIndex + j
                                        }
                                    }
                                    dst[oh * Wo + ow] = best
                                    arg[oh * Wo + ow] = Int32(bi)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        guard options.inputGradient else { return noGradient }
        if kernelSize == 2 { return backward2x2(dy) }
        let H = inputShape[2], W = inputShape[3]
        let planes = inputShape[0] * inputShape[1]
        let Po = dy.itemSize / inputShape[1]
        var dx = Tensor(shape: inputShape)
        dx.withUnsafeMutablePointer { dxp in
            dy.withUnsafePointer { dyp in
                argmax.withUnsafeBufferPointer { ab in
                    let ap = ab.baseAddress!
                    parallelItems(planes, itemSize: H * W) { range in
                        for pl in range {
                            let d = dxp + pl * H * W
                            for q in 0..<Po { d[Int(ap[pl * Po + q])] += dyp[pl * Po + q] }
                        }
                    }
                }
            }
        }
        return dx
    }
}

/// Mean over the spatial axes: (N, C, H, W) -> (N, C).
public final class GlobalAvgPool: Layer {
    private var inputShape: [Int] = []
    public init() {}
    public var summary: String { "GlobalAvgPool" }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        precondition(x.rank == 4, "\(summary): expected (N, C, H, W), got \(x.shape)")
        inputShape = x.shape
        let planes = x.shape[0] * x.shape[1], P = x.shape[2] * x.shape[3]
        let inv = 1 / Float(P)
        return Tensor(shape: [x.shape[0], x.shape[1]]) { yp, _ in
            x.withUnsafePointer { xp in
                for pl in 0..<planes {
                    var s: Float = 0
                    for q in 0..<P { s += xp[pl * P + q] }
                    yp[pl] = s * inv
                }
            }
        }
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        guard options.inputGradient else { return noGradient }
        let planes = inputShape[0] * inputShape[1], P = inputShape[2] * inputShape[3]
        let inv = 1 / Float(P)
        return Tensor(shape: inputShape) { dxp, _ in
            dy.withUnsafePointer { dyp in
                for pl in 0..<planes {
                    let g = dyp[pl] * inv
                    for q in 0..<P { dxp[pl * P + q] = g }
                }
            }
        }
    }
}

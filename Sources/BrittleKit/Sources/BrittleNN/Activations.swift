// Shape-only and pointwise layers: ReLU, Flatten. Each with its pullback.

/// max(x, 0), elementwise. The pullback passes the gradient where the output was positive.
public final class ReLU: Layer {
    private var y = noGradient  // cached output: the mask is y > 0

    public init() {}
    public var summary: String { "ReLU" }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        let n = x.count
        let out = Tensor(shape: x.shape) { yp, _ in
            x.withUnsafePointer { xp in
                parallelElements(n) { r in for i in r { yp[i] = max(xp[i], 0) } }
            }
        }
        y = out
        return out
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        guard options.inputGradient else { return noGradient }
        let n = dy.count
        return Tensor(shape: dy.shape) { dxp, _ in
            dy.withUnsafePointer { dyp in
                y.withUnsafePointer { yp in
                    parallelElements(n) { r in for i in r { dxp[i] = yp[i] > 0 ? dyp[i] : 0 } }
                }
            }
        }
    }
}

/// (N, d1, d2, ...) -> (N, d1*d2*...). The pullback restores the shape.
public final class Flatten: Layer {
    private var inputShape: [Int] = []
    public init() {}
    public var summary: String { "Flatten" }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        inputShape = x.shape
        return x.reshaped([x.batchSize, x.itemSize])
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        options.inputGradient ? dy.reshaped(inputShape) : noGradient
    }
}

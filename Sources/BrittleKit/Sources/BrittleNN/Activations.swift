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

    /// The forward pass of a producer that already applied max(., 0) to its output (Sequential
    /// fuses Conv2d + ReLU): only keeps the output for the pullback.
    func adoptOutput(_ output: Tensor) { y = output }

    /// The last output (its positive entries are where the pullback passes the gradient).
    var output: Tensor { y }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        guard options.inputGradient else { return noGradient }
        var dx = dy
        backwardInPlace(&dx)
        return dx
    }

    /// The pullback written over the incoming gradient (no new buffer when the caller holds the
    /// only reference, as Sequential does).
    func backwardInPlace(_ g: inout Tensor) {
        let n = g.count
        precondition(n == y.count, "\(summary): gradient shape \(g.shape) does not match the last output \(y.shape)")
        g.withUnsafeMutablePointer { gp in
            y.withUnsafePointer { yp in
                parallelElements(n) { r in for i in r { gp[i] = yp[i] > 0 ? gp[i] : 0 } }
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

// Containers that make models out of layers: Sequential (a chain) and Residual
// (y = body(x) + shortcut(x), the identity when no shortcut is given). Parameter names are
// prefixed by position, PyTorch style ("3.weight", "4.body.0.running_mean").

/// Layers applied in order; the pullback runs them in reverse.
public final class Sequential: Layer {
    public private(set) var layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }

    public var summary: String { "Sequential(\(layers.count) layers)" }

    /// A convolution followed by a ReLU runs as one pass: the convolution's output loop applies
    /// max(., 0) and the ReLU only keeps that output for its pullback (same values, one pass over
    /// the activations instead of two).
    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        var h = x
        var i = 0
        while i < layers.count {
            if let conv = layers[i] as? Conv2d, i + 1 < layers.count, let relu = layers[i + 1] as? ReLU {
                h = conv.forward(h, mode: mode, applyingReLU: true)
                relu.adoptOutput(h)
                i += 2
            } else {
                h = layers[i].forward(h, mode: mode)
                i += 1
            }
        }
        return h
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        var g = dy
        var skipNext = false
        for (i, l) in layers.enumerated().reversed() {
            // Inner layers must propagate; only the first one may skip its input gradient.
            let o = Backprop(parameterGradients: options.parameterGradients,
                             inputGradient: i > 0 || options.inputGradient)
            if skipNext {
                skipNext = false
            } else if let relu = l as? ReLU, o.inputGradient {
                relu.backwardInPlace(&g)  // g is ours alone: no copy
            } else if let pool = l as? MaxPool2d, i > 0, i - 1 > 0 || options.inputGradient, let relu = layers[i - 1] as? ReLU,
                      let fused = pool.backward(g, throughReLUOutput: relu.output) {
                // A ReLU before a 2x2 max pool: the pool's pullback applies the ReLU's mask at
                // each window's winner, the only place the gradient is not zero.
                g = fused
                skipNext = true
            } else {
                g = l.backward(g, o)
            }
        }
        return g
    }

    public var namedParameters: [(String, Parameter)] { prefixed { $0.namedParameters } }
    public var namedBuffers: [(String, Parameter)] { prefixed { $0.namedBuffers } }

    private func prefixed(_ f: (Layer) -> [(String, Parameter)]) -> [(String, Parameter)] {
        layers.enumerated().flatMap { i, l in f(l).map { ("\(i).\($0.0)", $0.1) } }
    }

    /// One line per layer, indented for nested containers.
    public func describe(indent: String = "") -> String {
        layers.enumerated().map { i, l in
            let head = "\(indent)\(i): \(l.summary)"
            if let s = l as? Sequential { return head + "\n" + s.describe(indent: indent + "  ") }
            if let r = l as? Residual { return head + "\n" + r.body.describe(indent: indent + "  ") }
            return head
        }.joined(separator: "\n")
    }
}

/// y = body(x) + shortcut(x); the shortcut is the identity when nil.
public final class Residual: Layer {
    public let body: Sequential
    public let shortcut: Layer?

    public init(_ body: Sequential, shortcut: Layer? = nil) {
        self.body = body
        self.shortcut = shortcut
    }

    public var summary: String { "Residual(shortcut: \(shortcut?.summary ?? "identity"))" }

    public func forward(_ x: Tensor, mode: Mode) -> Tensor {
        var y = body.forward(x, mode: mode)
        let s = shortcut?.forward(x, mode: mode) ?? x
        precondition(y.shape == s.shape, "\(summary): body \(y.shape) and shortcut \(s.shape) differ")
        y.add(s)
        return y
    }

    public func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
        var dx = body.backward(dy, options)
        guard options.inputGradient else {
            _ = shortcut?.backward(dy, options)
            return noGradient
        }
        if let shortcut { dx.add(shortcut.backward(dy, options)) } else { dx.add(dy) }
        return dx
    }

    public var namedParameters: [(String, Parameter)] {
        body.namedParameters.map { ("body.\($0.0)", $0.1) }
            + (shortcut?.namedParameters.map { ("shortcut.\($0.0)", $0.1) } ?? [])
    }

    public var namedBuffers: [(String, Parameter)] {
        body.namedBuffers.map { ("body.\($0.0)", $0.1) }
            + (shortcut?.namedBuffers.map { ("shortcut.\($0.0)", $0.1) } ?? [])
    }
}

// A classifier model as the experiments see it: `features` maps an input batch to the
// penultimate-layer representation g(x) (N, D); `head` maps g(x) to logits (N, classes).
// Everything the paper needs goes through here: logits, representations, parameter gradients,
// and the gradient of any scalar loss on the logits and/or the representation w.r.t. the INPUT.
// Inputs are in pixel units; any normalisation lives inside `features`.

/// A feature extractor plus a classification head, with its architecture id and configuration.
public final class Classifier {
    /// Input (N, C, H, W) -> representation (N, D).
    public let features: Sequential
    /// Representation (N, D) -> logits (N, classes).
    public let head: Sequential
    /// The architecture id that built it (e.g. "cnn-small").
    public let architecture: String
    /// The configuration it was built from (recorded in checkpoints).
    public let configuration: [String: String]
    /// Input shape of one example (C, H, W).
    public let inputShape: [Int]
    /// Number of classes.
    public let classCount: Int
    /// How batch norm behaves in `forward` calls.
    public var mode: Mode = .evaluation
    /// Input layers added in front of the architecture by transforms (e.g. "normalize:mean=0.29,std=0.35"),
    /// recorded so a checkpoint can rebuild them.
    public private(set) var inputTransforms: [String] = []

    public init(features: Sequential, head: Sequential, architecture: String,
                configuration: [String: String], inputShape: [Int], classCount: Int) {
        self.features = features
        self.head = head
        self.architecture = architecture
        self.configuration = configuration
        self.inputShape = inputShape
        self.classCount = classCount
    }

    /// The same model with `layer` in front of its features (sharing every other layer).
    public func prepending(_ layer: Layer, recordedAs spec: String) -> Classifier {
        let c = Classifier(features: Sequential([layer] + features.layers), head: head, architecture: architecture,
                           configuration: configuration, inputShape: inputShape, classCount: classCount)
        c.inputTransforms = [spec] + inputTransforms
        c.mode = mode
        return c
    }

    /// Logits for `x`; caches both stages for `backward`.
    public func logits(_ x: Tensor) -> Tensor {
        head.forward(features.forward(x, mode: mode), mode: mode)
    }

    /// Representation and logits for `x`; caches both stages for `backward`.
    public func forward(_ x: Tensor) -> (representation: Tensor, logits: Tensor) {
        let r = features.forward(x, mode: mode)
        return (r, head.forward(r, mode: mode))
    }

    /// The penultimate representation g(x); caches the feature stage only.
    public func representation(_ x: Tensor) -> Tensor {
        features.forward(x, mode: mode)
    }

    /// Pulls gradients back through the last forward call: `logitGradient` (N, classes) through
    /// the head (requires the last call to have computed logits) plus `representationGradient`
    /// (N, D), then through the features. Returns dL/dx when `inputGradient` is true.
    @discardableResult
    public func backward(logitGradient: Tensor? = nil, representationGradient: Tensor? = nil,
                         parameterGradients: Bool, inputGradient: Bool = true) -> Tensor {
        let o = Backprop(parameterGradients: parameterGradients, inputGradient: true)
        var dr: Tensor
        if let logitGradient {
            dr = head.backward(logitGradient, o)
            if let representationGradient { dr.add(representationGradient) }
        } else {
            precondition(representationGradient != nil, "Classifier.backward: no gradient given")
            dr = representationGradient!
        }
        return features.backward(
            dr, Backprop(parameterGradients: parameterGradients, inputGradient: inputGradient))
    }

    /// Per-example cross-entropy losses and their input gradient d(sum of losses)/dx, in the
    /// current mode, without touching parameter gradients.
    public func lossAndInputGradient(_ x: Tensor, labels: [Int]) -> (losses: [Float], logits: Tensor, gradient: Tensor) {
        let z = logits(x)
        let (losses, dz) = CrossEntropy.evaluate(logits: z, labels: labels, reduction: .sum)
        let dx = backward(logitGradient: dz, parameterGradients: false)
        return (losses, z, dx)
    }

    /// Trainable parameters with dotted names ("features.0.weight").
    public var namedParameters: [(String, Parameter)] {
        features.namedParameters.map { ("features.\($0.0)", $0.1) }
            + head.namedParameters.map { ("head.\($0.0)", $0.1) }
    }

    /// Non-trainable state with dotted names.
    public var namedBuffers: [(String, Parameter)] {
        features.namedBuffers.map { ("features.\($0.0)", $0.1) }
            + head.namedBuffers.map { ("head.\($0.0)", $0.1) }
    }

    public var parameters: [Parameter] { namedParameters.map { $0.1 } }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Zeroes every parameter gradient.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// Predicted classes for `x` in evaluation mode, in batches of `batchSize`.
    public func predict(_ x: Tensor, batchSize: Int = 500) -> [Int] {
        let saved = mode
        mode = .evaluation
        defer { mode = saved }
        var out: [Int] = []
        var i = 0
        while i < x.batchSize {
            let j = min(x.batchSize, i + batchSize)
            out += logits(x.slice(i..<j)).argmaxRows()
            i = j
        }
        return out
    }
}

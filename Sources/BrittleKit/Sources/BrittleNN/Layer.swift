// The layer protocol: a forward function and its hand-written pullback side by side (no tape,
// no autodiff). A layer caches in `forward` what its `backward` needs, so a backward call must
// follow the forward call whose gradient it computes. Layers are classes because they own
// parameters and those caches; a model is a tree of them (Sequential, Residual).

/// Training or evaluation behaviour (batch-norm statistics, for now).
public enum Mode: Sendable, Equatable {
    /// Batch statistics are used and running statistics updated.
    case training
    /// Running statistics are used; nothing in the layer changes.
    case evaluation
}

/// What a backward pass must produce besides propagating through the layer.
public struct Backprop: Sendable {
    /// Accumulate gradients into each parameter's `gradient`. Attacks turn this off, so they
    /// neither pay for nor disturb parameter gradients.
    public var parameterGradients: Bool
    /// Return the gradient with respect to the layer's input. The first layer of a training
    /// step does not need it.
    public var inputGradient: Bool

    public init(parameterGradients: Bool, inputGradient: Bool = true) {
        self.parameterGradients = parameterGradients
        self.inputGradient = inputGradient
    }
}

/// A trainable (or tracked) tensor with its accumulated gradient.
public final class Parameter {
    /// The current value.
    public var value: Tensor
    /// Sum of gradients since the last `zeroGradient()`; same shape as `value`.
    public var gradient: Tensor
    /// Whether weight decay applies (weights yes; biases and normalisation parameters no).
    public let decays: Bool

    public init(_ value: Tensor, decays: Bool) {
        self.value = value
        self.gradient = Tensor(shape: value.shape)
        self.decays = decays
    }

    /// Resets the accumulated gradient to zero.
    public func zeroGradient() {
        let n = gradient.count
        gradient.withUnsafeMutablePointer { $0.update(repeating: 0, count: n) }
    }
}

/// A differentiable map with a hand-written pullback.
public protocol Layer: AnyObject {
    /// y = f(x). Caches what `backward` needs.
    func forward(_ x: Tensor, mode: Mode) -> Tensor
    /// Given dL/dy for the last forward call, accumulates parameter gradients (if asked) and
    /// returns dL/dx (or an empty tensor when `options.inputGradient` is false).
    func backward(_ dy: Tensor, _ options: Backprop) -> Tensor
    /// Trainable parameters, named relative to this layer ("weight", "0.bias", ...).
    var namedParameters: [(String, Parameter)] { get }
    /// Non-trainable state saved with the model (batch-norm running statistics).
    var namedBuffers: [(String, Parameter)] { get }
    /// A one-line description ("Conv2d(1->32, 3x3, stride 1, pad 1)").
    var summary: String { get }
}

extension Layer {
    public var namedParameters: [(String, Parameter)] { [] }
    public var namedBuffers: [(String, Parameter)] { [] }
}

/// An empty tensor: what backward returns when no input gradient was asked for.
public let noGradient = Tensor(shape: [0])

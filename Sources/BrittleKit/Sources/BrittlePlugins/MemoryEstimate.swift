// What a model will cost in memory, known BEFORE any of its tensors exist. An architecture
// plugin walks its layers through a ModelCostBuilder with the same shapes its `build` uses and
// returns the resulting ModelCost; the host multiplies it out for a batch size and checks it
// against its memory budget (BrittleExperiments/MemoryBudget.swift). This file is not the budget
// and does not measure built models. All arithmetic saturates: absurd widths never trap here.
import BrittleIO

/// A model's memory cost, independent of the batch size. Every count is of Float32 scalars
/// (4 bytes each).
public struct ModelCost: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Trainable scalars: exactly what `Classifier.parameterCount` reports once the model is built.
    public var parameters: Int
    /// Non-trainable scalars saved with the model (batch-norm running statistics).
    public var buffers: Int
    /// Scalars held per example by one forward and backward pass: the input and its gradient,
    /// every layer's output and what its pullback caches (im2col patches and their gradient,
    /// pooling indices, normalised inputs), and the largest gradient in flight.
    public var activationsPerExample: Int

    /// A cost from its three counts (usually built by `ModelCostBuilder.result`).
    public init(parameters: Int = 0, buffers: Int = 0, activationsPerExample: Int = 0) {
        self.parameters = parameters
        self.buffers = buffers
        self.activationsPerExample = activationsPerExample
    }

    public var description: String {
        "\(parameters) parameters, \(buffers) buffer scalars, \(activationsPerExample) activation scalars per example"
    }
}

/// Saturating size arithmetic: a size computed from user-given widths is Int.max when it does
/// not fit, which every budget refuses, instead of an overflow trap.
public enum SizeArithmetic {
    /// The product of `factors`, or Int.max if it overflows (factors are non-negative sizes).
    public static func product(_ factors: Int...) -> Int { product(factors) }

    /// The product of `factors`, or Int.max if it overflows (factors are non-negative sizes).
    public static func product(_ factors: [Int]) -> Int {
        var p = 1
        for f in factors {
            let (r, overflow) = p.multipliedReportingOverflow(by: max(f, 0))
            if overflow { return Int.max }
            p = r
        }
        return p
    }

    /// The sum of `terms`, or Int.max if it overflows.
    public static func sum(_ terms: Int...) -> Int { sum(terms) }

    /// The sum of `terms`, or Int.max if it overflows.
    public static func sum(_ terms: [Int]) -> Int {
        var s = 0
        for t in terms {
            let (r, overflow) = s.addingReportingOverflow(max(t, 0))
            if overflow { return Int.max }
            s = r
        }
        return s
    }
}

/// Accumulates a ModelCost layer by layer, tracking the shape of one example as it flows
/// through (C, H, W) for images, (D) after flattening. Each method mirrors one BrittleNN layer:
/// its parameter count is the layer's exactly; its activation count is what the layer keeps.
public struct ModelCostBuilder: Sendable {
    /// The cost counted so far, without the gradients in flight (read `result` when done).
    public private(set) var cost: ModelCost
    /// The shape of one example at this point of the model.
    public private(set) var shape: [Int]
    private var largest: Int

    /// Starts at the model's input: the input itself and its gradient (attacks, inversion).
    public init(inputShape: [Int]) {
        shape = inputShape
        let n = SizeArithmetic.product(inputShape)
        largest = n
        cost = ModelCost(activationsPerExample: SizeArithmetic.product(2, n))
    }

    /// The finished cost, with two of the largest tensors for the gradients in flight during
    /// the backward pass (dy and dx of one layer).
    public var result: ModelCost {
        var c = cost
        c.activationsPerExample = SizeArithmetic.sum(c.activationsPerExample, SizeArithmetic.product(2, largest))
        return c
    }

    private var size: Int { SizeArithmetic.product(shape) }

    private mutating func add(parameters: Int = 0, buffers: Int = 0, activations: Int = 0) {
        cost.parameters = SizeArithmetic.sum(cost.parameters, parameters)
        cost.buffers = SizeArithmetic.sum(cost.buffers, buffers)
        cost.activationsPerExample = SizeArithmetic.sum(cost.activationsPerExample, activations)
        largest = max(largest, size)
    }

    /// `Conv2d(C, out, kernelSize:stride:padding:bias:)`: weights (out, C, k, k) and a bias;
    /// keeps its im2col patches, its output planes, the patch gradient and its output.
    public mutating func conv2d(_ out: Int, kernelSize k: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        precondition(shape.count == 3 && stride >= 1, "conv2d needs a (C, H, W) input and stride >= 1, have \(shape)")
        let c = shape[0]
        let ho = max((shape[1] + 2 * padding - k) / stride + 1, 0), wo = max((shape[2] + 2 * padding - k) / stride + 1, 0)
        let ckk = SizeArithmetic.product(c, k, k), p = SizeArithmetic.product(ho, wo)
        let outSize = SizeArithmetic.product(out, p)
        add(parameters: SizeArithmetic.sum(SizeArithmetic.product(out, ckk), bias ? out : 0),
            activations: SizeArithmetic.sum(SizeArithmetic.product(2, ckk, p), SizeArithmetic.product(2, outSize)))
        shape = [out, ho, wo]
        largest = max(largest, size)
    }

    /// `ReLU()`: keeps its output (the mask of its pullback).
    public mutating func relu() { add(activations: size) }

    /// `MaxPool2d(k)`: keeps the argmax of every output (4 bytes each) and its output.
    public mutating func maxPool(_ k: Int) {
        precondition(shape.count == 3 && k >= 1, "maxPool needs a (C, H, W) input, have \(shape)")
        shape = [shape[0], shape[1] / k, shape[2] / k]
        add(activations: SizeArithmetic.product(2, size))
    }

    /// `GlobalAvgPool()`: (C, H, W) -> (C).
    public mutating func globalAvgPool() {
        precondition(shape.count == 3, "globalAvgPool needs a (C, H, W) input, have \(shape)")
        shape = [shape[0]]
        add(activations: size)
    }

    /// `Flatten()`: a reshape, no copy.
    public mutating func flatten() { shape = [size] }

    /// `Linear(D, out)`: weight (out, D) and bias (out); its cached input is the previous
    /// layer's output, already counted.
    public mutating func linear(_ out: Int) {
        let inFeatures = size
        shape = [out]
        add(parameters: SizeArithmetic.sum(SizeArithmetic.product(out, inFeatures), out), activations: out)
    }

    /// `BatchNorm2d(C)`: scale and shift (trainable), running mean and variance (buffers);
    /// keeps the normalised input and its output.
    public mutating func batchNorm() {
        let c = shape.first ?? 0
        add(parameters: SizeArithmetic.product(2, c), buffers: SizeArithmetic.product(2, c),
            activations: SizeArithmetic.product(2, size))
    }

    /// `Residual(body, shortcut:)`: both branches start from the current shape; the sum is taken
    /// in place. `shortcut` nil is the identity.
    public mutating func residual(body: (inout ModelCostBuilder) -> Void,
                                  shortcut: ((inout ModelCostBuilder) -> Void)? = nil) {
        var b = self, s = self
        b.cost = ModelCost()
        s.cost = ModelCost()
        body(&b)
        shortcut?(&s)
        if shortcut != nil {
            precondition(b.shape == s.shape, "residual: body \(b.shape) and shortcut \(s.shape) differ")
        }
        add(parameters: SizeArithmetic.sum(b.cost.parameters, s.cost.parameters),
            buffers: SizeArithmetic.sum(b.cost.buffers, s.cost.buffers),
            activations: SizeArithmetic.sum(b.cost.activationsPerExample, s.cost.activationsPerExample))
        shape = b.shape
        largest = max(largest, b.largest, s.largest)
    }
}

extension ModelCost {
    /// Bytes `build` allocates: every parameter with the gradient buffer each Parameter holds,
    /// and the buffers (Float32).
    public var buildBytes: Int {
        SizeArithmetic.product(4, SizeArithmetic.sum(SizeArithmetic.product(2, parameters), buffers))
    }

    /// Throws unless what `build` is about to allocate fits the process's memory limit
    /// (MemoryLimit, which the host's --max-memory sets). The host checks models against its
    /// budget before building them; this is the last line of defence for builds it did not
    /// check first, such as a checkpoint whose metadata describes a model far larger than the file.
    public func requireBuildFits(plugin: String, configuration: Configuration) throws {
        let bytes = Int64(buildBytes), limit = MemoryLimit.bytes
        guard bytes > limit else { return }
        throw ConfigurationError(
            plugin: plugin, parameter: nil,
            message: "the model (\(configuration.description)) would allocate \(formatMemory(bytes)) for its "
                + "parameters and their gradients, more than the memory budget of \(formatMemory(limit)). "
                + "Fix: choose a smaller model (--arch-opt), or raise the budget with --max-memory if the model is genuine")
    }
}

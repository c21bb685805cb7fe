// The reference architectures as a plugin: mlp, cnn-small and resnet-mini (linear: LinearArchitecture.swift), for 28x28 inputs
// (any C x H x W works where the arithmetic allows). Each builds a Classifier whose `features`
// end at the penultimate layer the paper's experiments read. Built from the kit's layers only.
// Each also states its memory cost before building (`costEstimate`), walking the same layers
// through a ModelCostBuilder (the tests compare it with the built model's parameter count), and
// refuses to build what would not fit the process's memory limit, whoever asked for it.
import BrittleNN
import BrittlePlugins

/// Multilayer perceptron: flatten, ReLU hidden layers, linear head. Representation = last hidden.
public final class MLPArchitecture: ArchitecturePlugin {
    public init() {}
    public let id = "mlp"
    public let version = "1.0.0"
    public let summary = "Multilayer perceptron: flatten, ReLU hidden layers (default 256-256), linear head"
    public let parameters = [
        // Bounds keep the estimate's sizes meaningful (2^27-wide layers, 32 of them); whether a
        // model that large fits is the memory budget's call, not the schema's.
        ParameterSpec("hidden", .intList(1...(1 << 27), maxCount: 32), default: .intList([256, 256]),
                      help: "Hidden layer widths, joined by '-'"),
    ]

    public func costEstimate(_ c: Configuration, inputShape: [Int], classCount: Int) throws -> ModelCost? {
        var b = ModelCostBuilder(inputShape: inputShape)
        b.flatten()
        for h in c.intList("hidden") {
            b.linear(h)
            b.relu()
        }
        b.linear(classCount)
        return b.result
    }

    public func build(_ c: Configuration, inputShape: [Int], classCount: Int, seed: UInt64) throws -> Classifier {
        try costEstimate(c, inputShape: inputShape, classCount: classCount)?.requireBuildFits(plugin: id, configuration: c)
        var rng = SeededGenerator(seed: seed)
        var layers: [Layer] = [Flatten()]
        var width = inputShape.reduce(1, *)
        for h in c.intList("hidden") {
            layers += [Linear(width, h, rng: &rng), ReLU()]
            width = h
        }
        return Classifier(features: Sequential(layers), head: Sequential([Linear(width, classCount, rng: &rng)]),
                          architecture: id, configuration: c.text, inputShape: inputShape, classCount: classCount)
    }
}

/// conv3x3 C->32, ReLU, maxpool 2, conv3x3 32->64, ReLU, maxpool 2, linear -> 128, ReLU | linear.
/// Representation = the 128-d ReLU output.
public final class CNNSmallArchitecture: ArchitecturePlugin {
    public init() {}
    public let id = "cnn-small"
    public let version = "1.0.0"
    public let summary = "conv3x3 ->32, ReLU, maxpool 2, conv3x3 ->64, ReLU, maxpool 2, linear ->128, ReLU, linear head"
    public let parameters = [
        ParameterSpec("channels1", .int(1...1024), default: .int(32), help: "Filters of the first convolution"),
        ParameterSpec("channels2", .int(1...1024), default: .int(64), help: "Filters of the second convolution"),
        ParameterSpec("hidden", .int(1...65536), default: .int(128), help: "Width of the penultimate (representation) layer"),
    ]

    func checkInput(_ inputShape: [Int]) throws {
        guard inputShape.count == 3, inputShape[1] >= 4, inputShape[2] >= 4 else {
            throw ConfigurationError(plugin: id, parameter: nil, message: "needs (C, H, W) inputs of at least 4x4, got \(inputShape)")
        }
    }

    public func costEstimate(_ c: Configuration, inputShape: [Int], classCount: Int) throws -> ModelCost? {
        try checkInput(inputShape)
        var b = ModelCostBuilder(inputShape: inputShape)
        b.conv2d(c.int("channels1"), kernelSize: 3, padding: 1); b.relu(); b.maxPool(2)
        b.conv2d(c.int("channels2"), kernelSize: 3, padding: 1); b.relu(); b.maxPool(2)
        b.flatten(); b.linear(c.int("hidden")); b.relu()
        b.linear(classCount)
        return b.result
    }

    public func build(_ c: Configuration, inputShape: [Int], classCount: Int, seed: UInt64) throws -> Classifier {
        try costEstimate(c, inputShape: inputShape, classCount: classCount)?.requireBuildFits(plugin: id, configuration: c)
        var rng = SeededGenerator(seed: seed)
        let (C, H, W) = (inputShape[0], inputShape[1], inputShape[2])
        let c1 = c.int("channels1"), c2 = c.int("channels2"), hidden = c.int("hidden")
        let features = Sequential([
            Conv2d(C, c1, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(2),
            Conv2d(c1, c2, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(2),
            Flatten(), Linear(c2 * (H / 4) * (W / 4), hidden, rng: &rng), ReLU(),
        ])
        return Classifier(features: features, head: Sequential([Linear(hidden, classCount, rng: &rng)]),
                          architecture: id, configuration: c.text, inputShape: inputShape, classCount: classCount)
    }
}

/// A small pre-activation ResNet (He et al. 2016, "Identity Mappings in Deep Residual Networks"):
/// conv3x3 stem, three stages (width, 2x, 4x; stride 2 between stages), BN-ReLU, global average
/// pooling (the representation), linear head.
public final class ResNetMiniArchitecture: ArchitecturePlugin {
    public init() {}
    public let id = "resnet-mini"
    public let version = "1.0.0"
    public let summary = "Small pre-activation ResNet: 3 stages, BatchNorm, global average pooling"
    public let parameters = [
        ParameterSpec("width", .int(1...512), default: .int(16), help: "Channels of the first stage (doubles per stage)"),
        ParameterSpec("blocks", .int(1...8), default: .int(1), help: "Residual blocks per stage"),
    ]

    public func costEstimate(_ c: Configuration, inputShape: [Int], classCount: Int) throws -> ModelCost? {
        try checkInput(inputShape)
        let width = c.int("width"), blocks = c.int("blocks")
        var b = ModelCostBuilder(inputShape: inputShape)
        b.conv2d(width, kernelSize: 3, padding: 1, bias: false)
        var channels = width
        for (stage, out) in [width, 2 * width, 4 * width].enumerated() {
            for i in 0..<blocks {
                let stride = (stage > 0 && i == 0) ? 2 : 1
                // The same two block shapes as preActivationBlock.
                func body(_ b: inout ModelCostBuilder) {
                    b.conv2d(out, kernelSize: 3, stride: stride, padding: 1, bias: false)
                    b.batchNorm(); b.relu()
                    b.conv2d(out, kernelSize: 3, padding: 1, bias: false)
                }
                if stride == 1 && channels == out {
                    b.residual(body: { b in b.batchNorm(); b.relu(); body(&b) })
                } else {
                    b.batchNorm(); b.relu()
                    b.residual(body: body, shortcut: { $0.conv2d(out, kernelSize: 1, stride: stride, bias: false) })
                }
                channels = out
            }
        }
        b.batchNorm(); b.relu(); b.globalAvgPool()
        b.linear(classCount)
        return b.result
    }

    func checkInput(_ inputShape: [Int]) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 >= 1 }) else {
            throw ConfigurationError(plugin: id, parameter: nil, message: "needs (C, H, W) inputs, got \(inputShape)")
        }
    }

    public func build(_ c: Configuration, inputShape: [Int], classCount: Int, seed: UInt64) throws -> Classifier {
        try costEstimate(c, inputShape: inputShape, classCount: classCount)?.requireBuildFits(plugin: id, configuration: c)
        var rng = SeededGenerator(seed: seed)
        let width = c.int("width"), blocks = c.int("blocks")
        var layers: [Layer] = [Conv2d(inputShape[0], width, kernelSize: 3, padding: 1, bias: false, rng: &rng)]
        var channels = width
        for (stage, out) in [width, 2 * width, 4 * width].enumerated() {
            for b in 0..<blocks {
                let stride = (stage > 0 && b == 0) ? 2 : 1
                layers.append(preActivationBlock(channels, out, stride: stride, rng: &rng))
                channels = out
            }
        }
        layers += [BatchNorm2d(channels), ReLU(), GlobalAvgPool()]
        return Classifier(features: Sequential(layers), head: Sequential([Linear(channels, classCount, rng: &rng)]),
                          architecture: id, configuration: c.text, inputShape: inputShape, classCount: classCount)
    }

    /// Identity blocks add x itself; projecting blocks (stride or width change) apply the 1x1
    /// shortcut to the pre-activated input, as in the reference implementation.
    func preActivationBlock(_ cin: Int, _ cout: Int, stride: Int, rng: inout SeededGenerator) -> Layer {
        let body: [Layer] = [
            Conv2d(cin, cout, kernelSize: 3, stride: stride, padding: 1, bias: false, rng: &rng),
            BatchNorm2d(cout), ReLU(),
            Conv2d(cout, cout, kernelSize: 3, padding: 1, bias: false, rng: &rng),
        ]
        if stride == 1 && cin == cout {
            return Residual(Sequential([BatchNorm2d(cin), ReLU()] + body))
        }
        let shortcut = Conv2d(cin, cout, kernelSize: 1, stride: stride, bias: false, rng: &rng)
        return Sequential([BatchNorm2d(cin), ReLU(), Residual(Sequential(body), shortcut: shortcut)])
    }
}

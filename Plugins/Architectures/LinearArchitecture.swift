// `linear`: the simplest classifier, flatten then one linear layer (multinomial logistic
// regression). Its representation is the input itself, so the paper's constructions read pixels;
// Figure 3's transfer study uses it as the low-capacity end of its architectures. Built from the
// kit's layers only; the other architectures are in Architectures.swift.
import BrittleNN
import BrittlePlugins

/// Multinomial logistic regression: flatten, linear head. Representation = the flattened input.
public final class LinearArchitecture: ArchitecturePlugin {
    public init() {}
    public let id = "linear"
    public let version = "1.0.0"
    public let summary = "Linear classifier (multinomial logistic regression): flatten, one linear layer"
    public let parameters: [ParameterSpec] = []

    public func costEstimate(_ c: Configuration, inputShape: [Int], classCount: Int) throws -> ModelCost? {
        var b = ModelCostBuilder(inputShape: inputShape)
        b.flatten()
        b.linear(classCount)
        return b.result
    }

    public func build(_ c: Configuration, inputShape: [Int], classCount: Int, seed: UInt64) throws -> Classifier {
        try costEstimate(c, inputShape: inputShape, classCount: classCount)?.requireBuildFits(plugin: id, configuration: c)
        var rng = SeededGenerator(seed: seed)
        return Classifier(features: Sequential([Flatten()]),
                          head: Sequential([Linear(inputShape.reduce(1, *), classCount, rng: &rng)]),
                          architecture: id, configuration: c.text, inputShape: inputShape, classCount: classCount)
    }
}

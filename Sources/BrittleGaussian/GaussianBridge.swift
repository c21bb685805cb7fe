// The bridge from the Gaussian theory to the engine: a linear two-class model trained on samples
// of the Gaussian model by Brittle's own loop (Training.swift), once on clean batches and once
// with PGD-L2 adversarial training (AdversarialTraining.swift) in a box wide enough never to
// clamp, then attacked by the pgd-l2 plugin. Its weight difference w = W₊ - W₋ is compared with
// the theory's directions (Σ*⁻¹μ*, Σ_r⁻¹μ*) and its attacked accuracy with the closed form.
// Not the theory (the other files of this directory).
import BrittleNN
import BrittlePlugins
import BrittleExperiments
import Foundation

/// Settings of the engine runs.
public struct GaussianBridgeSettings: Codable, Sendable, Equatable {
    /// Training examples.
    public var trainSamples = 10_000
    /// Held-out examples the trained models are attacked on.
    public var testSamples = 5_000
    /// The ℓ2 budget of adversarial training and of the evaluation attack.
    public var epsilon = 0.5
    /// Epochs of SGD (with momentum 0.9, no weight decay, cosine schedule).
    public var epochs = 100
    /// Mini-batch size.
    public var batchSize = 100
    /// Base learning rate.
    public var learningRate: Float = 0.5
    /// PGD steps, in training and in evaluation.
    public var attackSteps = 10
    /// The settings used by default.
    public init() {}
}

/// One trained linear model, read back as sign(wᵀx + b), and how it compares with the theory.
public struct GaussianBridgeModel: Codable, Sendable {
    /// "standard" or "adversarial".
    public var name: String
    /// The trained classifier: w = W₊ - W₋, b = b₊ - b₋ of the two-logit head.
    public var classifier: LinearClassifier
    /// cos(w, Σ*⁻¹μ*): the standard maximum-likelihood direction.
    public var cosineToStandardTheory: Double
    /// cos(w, Σ_r⁻¹μ*) with Σ_r from Theorem 2 at the bridge's ε.
    public var cosineToRobustTheory: Double
    /// cos(w, μ*): the direction between the class means.
    public var cosineToMeans: Double
    /// Clean accuracy on the held-out sample, measured by the engine.
    public var cleanAccuracy: Double
    /// Accuracy under the engine's PGD-L2 at ε on the held-out sample.
    public var attackedAccuracy: Double
    /// The closed-form accuracy of the trained (w, b) under the exact worst-case attack at ε.
    public var attackedAccuracyClosedForm: Double
    /// Standard error of a Monte-Carlo accuracy near that value on the held-out sample.
    public var standardError: Double
    /// Seconds of training.
    public var seconds: Double
}

/// Trains and attacks the linear models of the bridge.
public enum GaussianBridge {
    /// The sample as engine data: inputs (N, 1, 1, d), class 1 for y = +1 and class 0 for y = -1.
    public static func dataset(_ sample: GaussianSample, name: String) -> LabeledDataset {
        let d = sample.inputs.first?.count ?? 0
        let scalars = sample.inputs.flatMap { $0.map(Float.init) }
        return LabeledDataset(images: Tensor(shape: [sample.count, 1, 1, d], scalars: scalars),
                              labels: sample.labels.map { $0 > 0 ? 1 : 0 }, classNames: ["y=-1", "y=+1"], name: name)
    }

    /// A linear classifier on (1, 1, d) inputs: flatten, then one linear layer to two logits.
    public static func linearModel(dimensions d: Int, seed: UInt64) -> Classifier {
        var rng = SeededGenerator(seed: seed)
        return Classifier(features: Sequential([Flatten()]), head: Sequential([Linear(d, 2, rng: &rng)]),
                          architecture: "linear", configuration: [:], inputShape: [1, 1, d], classCount: 2)
    }

    /// The (w, b) of a model built by `linearModel`.
    public static func readClassifier(_ model: Classifier) -> LinearClassifier {
        guard let head = model.head.layers.first as? Linear else { preconditionFailure("GaussianBridge: not a linear model") }
        let W = head.weight.value.scalars, b = head.bias.value.scalars
        let d = head.inFeatures
        return LinearClassifier(weights: (0..<d).map { Double(W[d + $0]) - Double(W[$0]) }, bias: Double(b[1]) - Double(b[0]))
    }

    /// The pgd-l2 plugin at `epsilon` with `steps` steps in the box [-10⁶, 10⁶] (never active).
    public static func attack(registry: Registry, epsilon: Double, steps: Int) throws -> any Attack {
        let plugin = try registry.attack("pgd-l2")
        return try plugin.makeAttack(try plugin.configuration([
            "epsilon": "\(epsilon)", "steps": "\(steps)", "lower-bound": "-1000000", "upper-bound": "1000000",
        ]))
    }

    /// Trains the standard and the adversarially trained linear model on samples of `model`
    /// (training seed `seed`, held-out seed `seed + 1`) and compares each with the theory.
    public static func run(_ model: GaussianModel, settings s: GaussianBridgeSettings, registry: Registry,
                           seed: UInt64) throws -> [GaussianBridgeModel] {
        let trainingSet = dataset(model.sample(count: s.trainSamples, seed: seed), name: "gaussian:train")
        let heldOut = model.sample(count: s.testSamples, seed: seed &+ 1)
        let testSet = dataset(heldOut, name: "gaussian:test")
        let attack = try attack(registry: registry, epsilon: s.epsilon, steps: s.attackSteps)
        var configuration = TrainingConfiguration()
        configuration.epochs = s.epochs
        configuration.batchSize = s.batchSize
        configuration.learningRate = s.learningRate
        configuration.weightDecay = 0
        configuration.seed = seed
        let standardDirection = model.covariance.inverse * model.mean
        let robustDirection = RobustMLE.estimate(model, epsilon: s.epsilon).covariance.inverse * model.mean
        var out: [GaussianBridgeModel] = []
        for name in ["standard", "adversarial"] {
            let net = linearModel(dimensions: model.dimensions, seed: seed &+ 2)
            let start = Date()
            _ = try train(net, on: trainingSet, configuration: configuration,
                          augment: name == "adversarial" ? adversarialBatches(model: net, attack: attack) : nil)
            let seconds = Date().timeIntervalSince(start)
            let evaluation = evaluateRobustness(net, attack: attack, images: testSet.images, labels: testSet.labels, seed: seed &+ 3)
            let trained = readClassifier(net)
            let closedForm = trained.robustAccuracy(on: model, epsilon: s.epsilon)
            out.append(GaussianBridgeModel(
                name: name, classifier: trained,
                cosineToStandardTheory: cosine(trained.weights, standardDirection),
                cosineToRobustTheory: cosine(trained.weights, robustDirection),
                cosineToMeans: cosine(trained.weights, model.mean),
                cleanAccuracy: Double(evaluation.cleanAccuracy), attackedAccuracy: Double(evaluation.robustAccuracy),
                attackedAccuracyClosedForm: closedForm,
                standardError: (closedForm * (1 - closedForm) / Double(s.testSamples)).squareRoot(), seconds: seconds))
        }
        return out
    }
}

// The plugin families and what every plugin declares (id, version, summary, parameter schema),
// with the architecture and attack protocols. The data-side families live beside it:
// Augmentation.swift, InputLayer.swift, Construction.swift. The host validates every
// configuration against the schema before it calls anything else.
import BrittleNN

/// The kinds of plugin.
public enum PluginFamily: String, Sendable, CaseIterable, Codable {
    /// Builds classifiers (`ArchitecturePlugin`).
    case architecture
    /// Perturbs a batch within a threat model (`AttackPlugin`).
    case attack
    /// Per-batch, label-preserving training-data randomness (`AugmentationPlugin`).
    case augmentation
    /// A fixed layer in front of the model, such as normalisation (`InputLayerPlugin`).
    case inputLayer = "input-layer"
    /// Builds a dataset with the help of a model, such as the paper's D_R and D_rand (`ConstructionPlugin`).
    case construction
}

extension PluginFamily {
    /// The family in a sentence: "an attack", "a construction".
    public var withArticle: String { ("aeiou".contains(rawValue.first ?? "x") ? "an " : "a ") + rawValue }
}

/// What every plugin declares.
public protocol Plugin: AnyObject {
    /// Unique, kebab-case, as the CLI spells it ("pgd-l2", "cnn-small").
    var id: String { get }
    /// The plugin's version (semantic versioning), recorded with results.
    var version: String { get }
    /// One line for `brittle plugins list`.
    var summary: String { get }
    /// Every parameter the plugin takes, with types, defaults, ranges and help.
    var parameters: [ParameterSpec] { get }
}

extension Plugin {
    /// The family, from the protocol the plugin conforms to.
    public var family: PluginFamily? {
        if self is any ArchitecturePlugin { return .architecture }
        if self is any AttackPlugin { return .attack }
        if self is any AugmentationPlugin { return .augmentation }
        if self is any InputLayerPlugin { return .inputLayer }
        if self is any ConstructionPlugin { return .construction }
        return nil
    }

    /// Validates text parameters against this plugin's schema (defaults filled in).
    public func configuration(_ text: [String: String] = [:]) throws -> Configuration {
        try Configuration(plugin: id, schema: parameters, text: text)
    }
}

// MARK: - Architectures

/// Builds classifiers. The model's `features` must end at the penultimate layer.
public protocol ArchitecturePlugin: Plugin {
    /// A freshly initialised model for inputs of shape (C, H, W) and `classCount` classes.
    func build(_ configuration: Configuration, inputShape: [Int], classCount: Int, seed: UInt64) throws -> Classifier

    /// What `build` with the same arguments would allocate, computed WITHOUT allocating it
    /// (see ModelCostBuilder), so the host can refuse a model that does not fit its memory
    /// budget before building it. `parameters` must equal the built model's `parameterCount`.
    /// nil (the default) means "unknown": the host then checks what it can after building and
    /// says so.
    func costEstimate(_ configuration: Configuration, inputShape: [Int], classCount: Int) throws -> ModelCost?
}

extension ArchitecturePlugin {
    public func costEstimate(_ configuration: Configuration, inputShape: [Int], classCount: Int) throws -> ModelCost? { nil }
}

// MARK: - Attacks

/// The classes an untargeted attack moves AWAY from: the true labels.
public struct TrueLabels: Sendable, Equatable {
    /// The true class of each example, in batch order.
    public var classes: [Int]
    /// True labels `classes`, one per example.
    public init(_ classes: [Int]) { self.classes = classes }
}

/// The classes a targeted attack moves TOWARD. A different type from `TrueLabels`, so a target
/// can never be passed where a true label is meant (the targeted-sign bug of
/// Documentation/attack-properties.md #7).
public struct TargetLabels: Sendable, Equatable {
    /// The class each example should be classified as, in batch order.
    public var classes: [Int]
    /// Targets `classes`, one per example.
    public init(_ classes: [Int]) { self.classes = classes }
}

/// What an attack tries to do to each example.
public enum AttackGoal: Sendable, Equatable {
    /// Make the model stop predicting the true class (increase its loss).
    case untargeted(TrueLabels)
    /// Make the model predict the target class (decrease the target's loss).
    case targeted(TargetLabels)

    /// Number of examples.
    public var count: Int {
        switch self {
        case .untargeted(let y): return y.classes.count
        case .targeted(let t): return t.classes.count
        }
    }

    /// Whether `prediction` meets the goal for example `i`: any class but the true one
    /// (untargeted), the target (targeted). The host scores with the same rule.
    @inlinable
    public func isMet(by prediction: Int, example i: Int) -> Bool {
        switch self {
        case .untargeted(let y): return prediction != y.classes[i]
        case .targeted(let t): return prediction == t.classes[i]
        }
    }

    /// The goal for examples `indices`, in that order.
    public func subset(_ indices: [Int]) -> AttackGoal {
        switch self {
        case .untargeted(let y): return .untargeted(TrueLabels(indices.map { y.classes[$0] }))
        case .targeted(let t): return .targeted(TargetLabels(indices.map { t.classes[$0] }))
        }
    }
}

/// The norm of a threat model.
public enum Norm: String, Sendable, Codable, CaseIterable {
    /// The L-infinity norm: each pixel moves by at most epsilon.
    case linf
    /// The Euclidean norm: the whole perturbation has length at most epsilon.
    case l2
}

/// The set of allowed perturbations: a norm ball of radius `epsilon` around each input (in
/// pixel units: normalisation lives inside the model), intersected with the input box.
public struct ThreatModel: Sendable, Equatable, Codable {
    /// The norm of the ball.
    public var norm: Norm
    /// The ball's radius, in pixel units (0 means the attack must return its input).
    public var epsilon: Float
    /// The smallest valid pixel value; the host clamps to it.
    public var lowerBound: Float
    /// The largest valid pixel value; the host clamps to it.
    public var upperBound: Float

    /// A ball of radius `epsilon` in `norm`, intersected with the box [lowerBound, upperBound].
    public init(norm: Norm, epsilon: Float, lowerBound: Float = 0, upperBound: Float = 1) {
        self.norm = norm
        self.epsilon = epsilon
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }
}

/// The model as an attack sees it: per-example objectives to increase, with or without their
/// input gradient. Attacks never see parameters, modes or batch-norm statistics; the host runs
/// the model in evaluation mode behind this interface and computes every loss itself
/// (AttackLoss), so the sign of an objective cannot be inverted by a plugin.
public protocol AttackOracle: AnyObject {
    /// Number of classes.
    var classCount: Int { get }
    /// Per-example values of `loss` for `goal` (to MAXIMISE), the logits, and the gradient of
    /// the values' sum with respect to `x` (one forward and one backward pass).
    func objective(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor, gradient: Tensor)
    /// The same values and logits from a forward pass only: the query a score-based
    /// (black-box) attack makes. Never computes a gradient.
    func scores(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor)
}

extension AttackOracle {
    /// Cross-entropy of the true class (untargeted) or minus that of the target (targeted), and
    /// its input gradient: `objective(x, goal: goal, loss: .crossEntropy)`.
    public func objective(_ x: Tensor, goal: AttackGoal) -> (values: [Float], logits: Tensor, gradient: Tensor) {
        objective(x, goal: goal, loss: .crossEntropy)
    }
}

/// What an attack needs from the model. The host gives a score-based attack an oracle whose
/// gradient path stops the process with a message, so "black-box" is a checked claim.
public enum AttackAccess: String, Sendable, Codable {
    /// Input gradients (white-box): PGD, APGD.
    case gradients
    /// Forward passes only (black-box, score-based): the Square Attack.
    case scores
}

/// A configured attack.
public protocol Attack: AnyObject {
    /// The ball and box the host projects and clamps the result into.
    var threatModel: ThreatModel { get }
    /// Adversarial versions of `x` (N, C, H, W) for `goal`. `exampleSeeds[i]` seeds example i's
    /// randomness, so an example's result does not depend on the rest of the batch. Must not
    /// modify `x`. The host re-projects, clamps and re-scores whatever is returned.
    func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor
    /// What the attack needs from the model (default `.gradients`). A `.scores` attack gets
    /// forward passes only; ensembles use it to tell black-box attacks from white-box ones.
    var access: AttackAccess { get }
}

extension Attack {
    public var access: AttackAccess { .gradients }
}

/// Builds attacks. Invalid hyperparameters must be rejected here, at configuration time.
public protocol AttackPlugin: Plugin {
    /// The attack `configuration` describes (already validated against the schema). Throws a
    /// `ConfigurationError` for hyperparameters that are valid one by one but not together.
    func makeAttack(_ configuration: Configuration) throws -> any Attack
}

// The plugin families: architectures (build a model from a configuration), attacks (perturb a
// batch within a threat model) and dataset transforms (map a dataset to a dataset). A plugin
// declares its id, family, version, summary and parameter schema; the host validates every
// configuration against the schema before it calls anything else.
import BrittleIO
import BrittleNN

/// The three kinds of plugin.
public enum PluginFamily: String, Sendable, CaseIterable, Codable {
    case architecture
    case attack
    case transform
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
        if self is any TransformPlugin { return .transform }
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
    public var classes: [Int]
    public init(_ classes: [Int]) { self.classes = classes }
}

/// The classes a targeted attack moves TOWARD. A different type from `TrueLabels`, so a target
/// can never be passed where a true label is meant (the targeted-sign bug of attacks.md #7).
public struct TargetLabels: Sendable, Equatable {
    public var classes: [Int]
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
    case linf
    case l2
}

/// The set of allowed perturbations: a norm ball of radius `epsilon` around each input (in
/// pixel units: normalisation lives inside the model), intersected with the input box.
public struct ThreatModel: Sendable, Equatable, Codable {
    public var norm: Norm
    public var epsilon: Float
    public var lowerBound: Float
    public var upperBound: Float

    public init(norm: Norm, epsilon: Float, lowerBound: Float = 0, upperBound: Float = 1) {
        self.norm = norm
        self.epsilon = epsilon
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }
}

/// The model as an attack sees it: only an objective to increase and its input gradient.
/// Attacks never see parameters, modes or batch-norm statistics; the host runs the model in
/// evaluation mode behind this interface.
public protocol AttackOracle: AnyObject {
    /// Number of classes.
    var classCount: Int { get }
    /// Per-example value to MAXIMISE for `goal` and its gradient with respect to `x`:
    /// cross-entropy of the true class (untargeted) or minus that of the target (targeted),
    /// so every attack ascends and the sign cannot be inverted by a plugin.
    func objective(_ x: Tensor, goal: AttackGoal) -> (values: [Float], logits: Tensor, gradient: Tensor)
}

/// A configured attack.
public protocol Attack: AnyObject {
    /// The ball and box the host projects and clamps the result into.
    var threatModel: ThreatModel { get }
    /// Adversarial versions of `x` (N, C, H, W) for `goal`. `exampleSeeds[i]` seeds example i's
    /// randomness, so an example's result does not depend on the rest of the batch. Must not
    /// modify `x`. The host re-projects, clamps and re-scores whatever is returned.
    func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor
}

/// Builds attacks. Invalid hyperparameters must be rejected here, at configuration time.
public protocol AttackPlugin: Plugin {
    func makeAttack(_ configuration: Configuration) throws -> any Attack
}

// MARK: - Dataset transforms

/// What a transform may use besides its input dataset.
public struct TransformContext {
    /// Seed of the transform's random source (use `SeededGenerator.stream(seed:index:)`).
    public var seed: UInt64
    /// A model, for transforms that need one (the paper's dataset constructions).
    public var model: Classifier?
    /// A configured attack, for transforms that need one.
    public var attack: (any Attack)?
    /// The registry, to look up other plugins.
    public var registry: Registry
    /// Progress reports: items done, items in all, a short status.
    public var progress: (_ done: Int, _ total: Int, _ status: String) -> Void
    /// Figures the transform measured, recorded with its output (e.g. "targeted-success" 0.89,
    /// "relative-representation-distance" 0.10). Per-batch values may be reported repeatedly
    /// under keys like "batch-3/relative-representation-distance".
    public var report: (_ key: String, _ value: Double) -> Void

    public init(seed: UInt64, model: Classifier? = nil, attack: (any Attack)? = nil, registry: Registry = .shared,
                progress: @escaping (Int, Int, String) -> Void = { _, _, _ in },
                report: @escaping (String, Double) -> Void = { _, _ in }) {
        self.seed = seed
        self.model = model
        self.attack = attack
        self.registry = registry
        self.progress = progress
        self.report = report
    }
}

/// Maps a dataset to a dataset (augmentations, and the paper's dataset constructions).
public protocol TransformPlugin: Plugin {
    /// True when `apply` keeps the example count and the labels (augmentations).
    var preservesLabels: Bool { get }
    /// The transformed dataset.
    func apply(_ data: LabeledDataset, configuration: Configuration, context: TransformContext) throws -> LabeledDataset
    /// A layer to place at the front of models that use this transform (e.g. normalisation,
    /// which lives inside the model so epsilon stays in pixel units), or nil.
    func modelInputLayer(_ configuration: Configuration, channels: Int) throws -> Layer?
}

extension TransformPlugin {
    public var preservesLabels: Bool { true }
    public func modelInputLayer(_ configuration: Configuration, channels: Int) throws -> Layer? { nil }
}

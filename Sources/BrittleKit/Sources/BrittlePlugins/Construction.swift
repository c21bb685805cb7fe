// Construction plugins: build a dataset from a source dataset with the help of a model, such as
// the paper's D_R (representation inversion) and D_rand / D_det (targeted relabelling). A
// construction gets the model only through typed oracles (ModelOracles.swift): never its
// parameters or modes, and never as an optional it must unwrap (the host refuses to run one
// without a model). Not augmentations: a construction runs once, offline, and may change labels.
import BrittleNN

/// What a construction run may use besides its source data and the model.
public struct ConstructionContext {
    /// Seed of the construction's random choices (use `SeededGenerator.stream(seed:index:)`).
    public var seed: UInt64
    /// Progress reports: items done, items in all, a short status.
    public var progress: (_ done: Int, _ total: Int, _ status: String) -> Void
    /// Figures the construction measured, recorded with its output (e.g. "targeted-success" 0.89,
    /// "relative-distance" 0.10). Per-batch values may be reported under keys such as
    /// "batch-3/relative-distance".
    public var report: (_ key: String, _ value: Double) -> Void

    /// A context with `seed`; progress and reports are dropped unless given.
    public init(seed: UInt64, progress: @escaping (Int, Int, String) -> Void = { _, _, _ in },
                report: @escaping (String, Double) -> Void = { _, _ in }) {
        self.seed = seed
        self.progress = progress
        self.report = report
    }
}

/// The model a construction works with, seen through what constructions need of it.
public struct ConstructionModel {
    /// The shape of one input, (C, H, W).
    public var inputShape: [Int]
    /// The number of classes.
    public var classCount: Int
    /// The model's penultimate features and their input gradient (representation inversion).
    public var representation: any RepresentationOracle
    /// Runs configured attacks against the model, projected, clamped and scored by the host.
    public var attacks: any AttackRunner

    /// A model from its parts (the host builds one from a Classifier with `init(_:)`).
    public init(inputShape: [Int], classCount: Int, representation: any RepresentationOracle, attacks: any AttackRunner) {
        self.inputShape = inputShape
        self.classCount = classCount
        self.representation = representation
        self.attacks = attacks
    }
}

/// A configured construction.
public protocol DatasetConstruction: AnyObject {
    /// The dataset built from `source` with `model`: images of the source's shape in [0, 1],
    /// labels in the source's classes. Example i's randomness must come from
    /// `SeededGenerator.stream(seed: context.seed, index: i)`, so the result is deterministic
    /// under a seed and does not depend on batching. Must not modify `source`.
    func construct(from source: LabeledDataset, using model: ConstructionModel, context: ConstructionContext) throws -> LabeledDataset
}

/// Builds dataset constructions. Invalid parameters, including plugins named by a parameter
/// (looked up in `registry`), must be rejected here, before any data is loaded.
public protocol ConstructionPlugin: Plugin {
    /// True when every construction keeps the count and each example's label (D_R), false when
    /// it may relabel (D_rand: the label becomes the attack's target).
    var preservesLabels: Bool { get }
    /// The construction `configuration` describes (already validated against the schema).
    func makeConstruction(_ configuration: Configuration, registry: Registry) throws -> any DatasetConstruction
}

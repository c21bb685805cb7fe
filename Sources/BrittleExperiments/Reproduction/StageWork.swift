// What each stage of a reproduction computes, as typed values: train a model, construct a set,
// evaluate a model, craft transferred examples, measure transfer. A stage's work is everything
// it needs besides its upstream stages' outputs, so any process (a Slurm job on another node)
// can run it from plan.json alone; its canonical JSON is part of the stage's cache key. Not how
// stages are planned (Pipeline/ReproductionPlanner.swift) nor run (StageRunner.swift).
import Foundation

/// The source dataset of a run: a recipe name or bundle path, and where its raw files are.
public struct DataRef: Codable, Equatable, Sendable {
    public var dataset: String
    public var dataDir: String?
    /// Clean-accuracy test images (nil: all), and the first ones robust accuracy uses.
    public var testLimit: Int?
    public var robustTestLimit: Int
}

/// An attack plugin and its parameters (the plugin's own parameter names).
public struct AttackSettings: Codable, Equatable, Sendable {
    public var attack: String
    public var parameters: [String: String]
}

/// A construction plugin and its parameters.
public struct ConstructionRecipe: Codable, Equatable, Sendable {
    public var plugin: String
    public var parameters: [String: String]

    /// "id:key=value,..." with sorted keys: how records and reports show it (never parsed back).
    public var display: String {
        plugin + ":" + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// The images a training stage trains on.
public enum TrainingData: Codable, Equatable, Sendable {
    /// The first `limit` training images of the dataset (nil: all).
    case original(limit: Int?)
    /// D_sub: `size` training images drawn with `seed` (the constructed sets' source images).
    case subset(size: Int, seed: UInt64)
    /// The constructed set of the (only) upstream construction stage.
    case constructed(ConstructedSet)
}

/// Train a model.
public struct TrainWork: Codable, Equatable, Sendable {
    public var architecture: String
    public var training: TrainingConfiguration
    public var data: TrainingData
    /// Adversarial training (Madry): the attack crafting each batch's examples.
    public var adversary: AttackSettings?
}

/// Build a constructed set from the upstream source model.
public struct ConstructWork: Codable, Equatable, Sendable {
    public var set: ConstructedSet
    public var recipe: ConstructionRecipe
    /// N and the seed that draws the source images (D_sub's images).
    public var setSize: Int
    public var seed: UInt64
}

/// Clean and L2 PGD robust accuracy of the upstream model on the original test set.
public struct EvaluateWork: Codable, Equatable, Sendable {
    public var attack: String = "pgd-l2"
    public var epsilons: [Double]
    public var steps: Int
}

/// The attack ensemble (AutoAttack-style, untargeted) against the upstream model at one L2
/// budget, on the first `examples` robust-test images, with its sanity checks.
public struct EnsembleWork: Codable, Equatable, Sendable {
    /// The members in order, each with every parameter it runs with (norm and epsilon included).
    public var members: [AttackSettings]
    public var epsilon: Double
    public var examples: Int
    /// Examples the sanity checks look at (the first ones).
    public var sanitySample: Int
}

/// Untargeted L2 PGD examples crafted on the upstream (standard) model, on the robust-test images.
public struct TransferExamplesWork: Codable, Equatable, Sendable {
    public var epsilon: Double
    public var steps: Int
}

/// Figure 3 and the transferred accuracy of every model of one seed. Upstream: the examples,
/// then `models` (their stages), then per architecture its model on the relabelled set and on D.
public struct TransferWork: Codable, Equatable, Sendable {
    public var seed: UInt64
    public var relabelledSet: ConstructedSet
    /// The examples' budget (recorded with the figures).
    public var epsilon: Double
    public var steps: Int
    public var models: [String]
    public var architectures: [String]
}

/// What a stage computes.
public enum StageWork: Codable, Equatable, Sendable {
    case train(TrainWork)
    case construct(ConstructWork)
    case evaluate(EvaluateWork)
    case ensemble(EnsembleWork)
    case transferExamples(TransferExamplesWork)
    case transfer(TransferWork)

    /// The kind, as plan.json and `status` show it.
    public var kind: String {
        switch self {
        case .train: return "train"
        case .construct: return "construct"
        case .evaluate: return "evaluate"
        case .ensemble: return "ensemble"
        case .transferExamples: return "transfer-examples"
        case .transfer: return "transfer"
        }
    }
}

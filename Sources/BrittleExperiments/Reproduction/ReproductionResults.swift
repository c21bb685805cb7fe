// What a reproduction run measured (results.json) and the records its stages write
// (training.json, construction.json). Plain Codable records: stages write them (StageRunner),
// ResultsAssembly collects them, the report renders them (Report/), `--from-bundle` re-measures
// and compares them. No measuring or rendering code here.
import Foundation

/// Time of one stage.
public struct StageTiming: Codable, Sendable {
    public var stage: String
    public var key: String
    public var seconds: Double
    /// Finished by an earlier run (seconds is the time it took then).
    public var cached: Bool

    /// The seconds a finished stage's marker recorded.
    static func recordedSeconds(in directory: String) -> Double {
        guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(StageCache.marker)),
              let marker = try? JSONDecoder().decode(StageMarker.self, from: data)
        else { return .nan }
        return marker.seconds
    }
}

/// One point of a robust-accuracy curve.
public struct RobustPoint: Codable, Sendable, Equatable {
    public var epsilon: Double
    public var robustAccuracy: Float
}

/// A model's figures on the original test set.
public struct ModelEvaluation: Codable, Sendable, Equatable {
    /// Clean accuracy on the test set (test_limit images).
    public var cleanAccuracy: Float
    public var testImages: Int
    /// Share of test predictions equal to (y + 1) mod C: how much a model learned D_det's
    /// y -> y+1 map from robust features that survived the perturbation.
    public var nextClassFraction: Float
    /// Clean accuracy on the robust-test images (the curves' epsilon 0).
    public var robustCleanAccuracy: Float
    public var robustImages: Int
    /// L2 PGD robust accuracy by epsilon.
    public var robust: [RobustPoint]
    public var steps: Int

    /// Robust accuracy at `epsilon`, if measured.
    public func robustAccuracy(_ epsilon: Double) -> Float? { robust.first { $0.epsilon == epsilon }?.robustAccuracy }
}

/// A trained model of the run.
public struct ModelResult: Codable, Sendable {
    /// "standard", "robust", or the training set's name (d_r, d_nr, d_sub, d_rand, ...).
    public var name: String
    public var label: String
    public var seed: UInt64
    /// The set seed of a model trained on a constructed set or D_sub (nil: a model on D).
    public var setSeed: UInt64?
    public var architecture: String
    public var trainImages: Int
    public var epochs: Int
    public var evaluation: ModelEvaluation
    /// The attack ensemble's figures at the headline budget (nil: robust_evaluation = pgd, or
    /// the stage has not finished).
    public var ensemble: EnsembleMeasurement?
    /// Accuracy on untargeted examples crafted on the standard model (transfer experiment).
    public var transferredAccuracy: Float?
    /// The cache stage that holds it (stages/<stage>-<key>/model.safetensors).
    public var stage: String

    /// "seed 0", or "seed 0, set seed 1" for a model trained on a set.
    public var seedDescription: String { "seed \(seed)" + (setSeed.map { ", set seed \($0)" } ?? "") }

    static func label(_ name: String) -> String {
        switch name {
        case "standard": return "D, standard training"
        case "robust": return "D, adversarial training"
        default: return name
        }
    }
}

/// Training metrics a training stage writes (training.json).
struct TrainingRecord: Codable {
    var architecture: String
    var trainImages: Int
    var epochs: [EpochMetrics]
    /// Clean accuracy on the original test set (test_limit images).
    var testAccuracy: Float
    var testImages: Int
    var seconds: Double

    static func read(directory: String) throws -> TrainingRecord {
        try JSONDecoder().decode(TrainingRecord.self, from: Data(contentsOf: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("training.json"))))
    }
}

/// What a construction stage records (construction.json).
struct ConstructionRecord: Codable {
    var spec: String
    var sourceModel: String
    var images: Int
    var reported: [String: Double]
    var seconds: Double
}

/// A constructed set of the run.
public struct SetResult: Codable, Sendable {
    public var name: String
    public var label: String
    public var seed: UInt64
    public var spec: String
    public var sourceModel: String
    public var images: Int
    /// The transform's figures: targeted-success, target-equals-label, relative-distance, ...
    public var reported: [String: Double]
    public var stage: String
}

/// The examples transferred from the standard model.
public struct TransferSource: Codable, Sendable {
    public var seed: UInt64
    public var epsilon: Double
    public var steps: Int
    public var examples: Int
    /// The source model's own accuracy on them (white-box).
    public var sourceAccuracy: Float
}

/// One architecture of Figure 3.
public struct TransferResult: Codable, Sendable {
    public var architecture: String
    public var seed: UInt64
    public var relabelledSet: String
    /// x: clean accuracy on the original test set of the architecture trained on the relabelled set.
    public var accuracyTrainedOnRelabelled: Float
    /// The same architecture trained on D: its clean accuracy on the transfer images.
    public var targetCleanAccuracy: Float
    /// y: share of the transfer images it classifies correctly whose transferred version it gets wrong.
    public var transferSuccess: Float
    public var examples: Int
    public var stages: [String]
}

/// A claim of the issue, checked on this run.
public struct ClaimResult: Codable, Sendable {
    public var id: String
    public var statement: String
    /// nil: reported only (no pass/fail). With several seed runs: whether it holds on the means.
    public var holds: Bool?
    public var detail: String
    /// With several seed runs (pipeline seed × set seed): how many measured the claim, and in
    /// how many of them it holds.
    public var seedRuns: Int?
    public var seedRunsHolding: Int?
}

/// Everything a run measured.
public struct ReproductionResults: Codable, Sendable {
    public var config: ReproductionConfig
    public var experiments: [String]
    public var threads: Int
    public var brittleVersion = BrittleExperiments.brittleVersion
    public var models: [ModelResult] = []
    public var sets: [SetResult] = []
    public var transferSources: [TransferSource] = []
    public var transfer: [TransferResult] = []
    public var claims: [ClaimResult] = []
    /// Per seed: the training-set indices of the constructed sets' source images (= D_sub).
    public var subsetIndices: [[Int]] = []
    public var timings: [StageTiming] = []
    public var seconds: Double = 0
    /// Directory under stages/ of each stage the results name (models, sets, transfer targets).
    public var stageDirectories: [String: String]? = nil
    /// Stages of the plan that had not finished when these results were assembled (a partial run).
    public var missingStages: [String]? = nil

    public init(config: ReproductionConfig, experiments: [String], threads: Int) {
        self.config = config
        self.experiments = experiments
        self.threads = threads
    }

    /// The models named `name`, one per seed.
    public func models(_ name: String) -> [ModelResult] { models.filter { $0.name == name } }

    /// The sets named `name`, one per seed.
    public func sets(_ name: String) -> [SetResult] { sets.filter { $0.name == name } }
}

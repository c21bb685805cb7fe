// plan.json: the stage graph of a reproduction or a sweep, written before anything runs. Each
// stage has a typed work value, its data, the keys of the stages it reads, the identity of the
// code that computes it, and its key: the SHA-256 of all of these, so a changed setting, an
// upstream change or a code fix reruns exactly the stages it touches. Which stage outputs make
// which results is recorded per run (PlannedRun). Not the planning (ReproductionPlanner) nor
// the executors.
import BrittleArchive
import Foundation

/// The paper's experiments.
public enum ReproductionExperiment: String, CaseIterable, Codable, Sendable {
    /// Figure 2: standard and adversarial training on D, standard training on D_R and D_NR (and D_sub).
    case robustFeatures = "robust-features"
    /// Table 1: standard training on D_rand and D_det (and D_sub and the controls).
    case nonRobustFeatures = "non-robust-features"
    /// Figure 3: architectures trained on the relabelled set against transfer success.
    case transfer
}

/// The code a stage runs: Brittle's own (kit and experiments sources) and each plugin's
/// "id@version#identity".
public struct StageCode: Codable, Equatable, Sendable {
    public var brittle: String
    public var plugins: [String: String]

    public init(brittle: String, plugins: [String: String]) {
        self.brittle = brittle
        self.plugins = plugins
    }
}

/// One node of the graph.
public struct PlannedStage: Codable, Sendable {
    /// SHA-256 (hex) of the work, data, upstream keys and code: the stage's identity.
    public var key: String
    /// Readable name (e.g. standard-cnn-small-s0): logs, directories, status.
    public var name: String
    public var work: StageWork
    public var data: DataRef
    /// Keys of the stages it reads, in the order its work reads them.
    public var upstream: [String]
    public var code: StageCode
    /// Forward-equivalent image passes (a backward pass counts two): the relative cost.
    public var estimatedPasses: Double

    /// Its directory under OUT/stages once finished.
    public var directoryName: String { "\(name)-\(key.prefix(16))" }

    /// The key of `work` on `data` after `upstream`, computed by `code`.
    public static func key(work: StageWork, data: DataRef, upstream: [String], code: StageCode) throws -> String {
        struct Identity: Encodable { let work: StageWork; let data: DataRef; let upstream: [String]; let code: StageCode }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hash([UInt8](try encoder.encode(Identity(work: work, data: data, upstream: upstream, code: code))))
    }
}

/// A trained model of a run and the stages that give its figures.
public struct PlannedModel: Codable, Sendable {
    /// "standard", "robust", or the training set's name.
    public var name: String
    public var label: String
    public var train: String
    public var evaluation: String
    /// The ensemble evaluation's stage (nil with robust_evaluation = pgd).
    public var ensemble: String?
    /// The set seed of a model trained on a constructed set or D_sub (nil: a model on D).
    public var setSeed: UInt64?
}

/// A constructed set of a run.
public struct PlannedSet: Codable, Sendable {
    public var name: String
    public var label: String
    public var construction: String
}

/// The stages of one seed of a run.
public struct PlannedSeed: Codable, Sendable {
    public var seed: UInt64
    public var models: [PlannedModel] = []
    public var sets: [PlannedSet] = []
    /// The Figure 3 stage (transfer experiment only).
    public var transfer: String?
}

/// One configuration's experiments (a reproduction has one run; a sweep one per grid point).
public struct PlannedRun: Codable, Sendable {
    /// The grid point's settings ("" for a plain reproduction), e.g. "rand_epsilon=1".
    public var id: String
    public var config: ReproductionConfig
    public var experiments: [ReproductionExperiment]
    public var seeds: [PlannedSeed]
    /// The training images the constructed sets of each seed start from (= D_sub).
    public var subsetIndices: [[Int]]

    /// Every stage key the run's results read.
    public var stageKeys: [String] {
        seeds.flatMap { s in s.models.flatMap { [$0.train, $0.evaluation] + ($0.ensemble.map { [$0] } ?? []) } + s.sets.map(\.construction) + (s.transfer.map { [$0] } ?? []) }
    }
}

/// The whole graph.
public struct ReproductionPlan: Codable, Sendable {
    public var format = 1
    public var brittleVersion = BrittleExperiments.brittleVersion
    /// Every stage, upstream before downstream.
    public var stages: [PlannedStage]
    public var runs: [PlannedRun]
    /// Plugin libraries loaded when the plan was made: a stage process loads them too.
    public var pluginLibraries: [String]
    /// Threads each stage computes with (`--threads` of the planning command).
    public var threads: Int

    /// The stage with `key`.
    public func stage(_ key: String) -> PlannedStage? { index[key].map { stages[$0] } }

    private var index: [String: Int] { Dictionary(stages.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { a, _ in a }) }

    /// Finds a stage by key, key prefix (at least 8 hex digits) or directory name.
    public func find(_ ref: String) throws -> PlannedStage {
        let hits = stages.filter { $0.key == ref || $0.directoryName == ref || (ref.count >= 8 && $0.key.hasPrefix(ref)) }
        guard hits.count == 1 else {
            throw ReproductionError(hits.isEmpty
                ? "no stage '\(ref)' in the plan: give a key (or its first 16 digits) or a directory name from plan.json"
                : "'\(ref)' matches \(hits.count) stages: give more of the key")
        }
        return hits[0]
    }

    /// Stages that read `key`, directly or not.
    public func dependents(of key: String) -> Set<String> {
        var out = Set<String>()
        for s in stages where s.upstream.contains(where: { $0 == key || out.contains($0) }) { out.insert(s.key) }
        return out
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        return e
    }

    /// plan.json's bytes.
    public func encoded() throws -> Data { try ReproductionPlan.encoder.encode(self) }

    /// Reads a plan.json.
    public static func read(_ path: String) throws -> ReproductionPlan {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReproductionError("\(path): no such plan. Run `brittle reproduce ... --out DIR` (or --plan-only) to write DIR/plan.json")
        }
        let d = JSONDecoder()
        do { return try d.decode(ReproductionPlan.self, from: data) } catch {
            throw ReproductionError("\(path) is not a plan.json of this Brittle (\(error)); plan again with `brittle reproduce ... --plan-only`")
        }
    }
}

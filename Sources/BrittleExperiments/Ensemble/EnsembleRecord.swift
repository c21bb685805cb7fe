// robustness.json of `brittle evaluate --ensemble`: the model, the data, the members with their
// versions and configurations, and per epsilon the ensemble's rows, final figure, per-example
// outcomes and sanity flags. The record only; the run is EnsembleEvaluation, the checks
// SanityChecks, the writing the CLI's.
import BrittlePlugins
import Foundation

/// One member as the record lists it: its configuration without the epsilon, which each
/// evaluation sets (the rows of an evaluation hold the full configuration).
public struct EnsembleMemberRecord: Codable, Sendable, Equatable {
    /// The plugin id.
    public var attack: String
    /// The plugin's version.
    public var attackVersion: String
    /// "gradients" or "scores".
    public var access: AttackAccess
    /// The configuration, epsilon left out.
    public var configuration: [String: String]

    /// The record of `member`, epsilon left out.
    public init(_ member: EnsembleMember) {
        attack = member.id
        attackVersion = member.version
        access = member.access
        configuration = member.configuration.text.filter { $0.key != "epsilon" }
    }
}

/// The ensemble at one epsilon: its result and the sanity flags raised.
public struct EnsembleEpsilonRecord: Codable, Sendable, Equatable {
    /// The budget every member ran with.
    public var epsilon: Double
    /// The ensemble's rows, final figure and per-example outcomes.
    public var result: EnsembleResult
    /// The sanity flags raised (empty: none).
    public var flags: [SanityFlag]

    /// The record of `result` at `epsilon` with `flags`.
    public init(epsilon: Double, result: EnsembleResult, flags: [SanityFlag]) {
        self.epsilon = epsilon
        self.result = result
        self.flags = flags
    }
}

/// robustness.json of an ensemble evaluation.
public struct EnsembleRecord: Codable, Sendable, Equatable {
    /// The model path as given.
    public var model: String
    /// Its architecture id.
    public var architecture: String
    /// The test set's name.
    public var dataset: String
    /// Test examples evaluated.
    public var examples: Int
    /// Clean test accuracy.
    public var cleanAccuracy: Double
    /// "standard" or the members' ids joined by commas, as given.
    public var ensemble: String
    /// The threat model's norm (--norm).
    public var norm: Norm
    /// The run seed.
    public var seed: UInt64
    /// Examples the sanity checks looked at (0: the costly checks were off).
    public var sanitySample: Int
    /// The members in the order they ran.
    public var members: [EnsembleMemberRecord]
    /// One per epsilon, in the order given.
    public var evaluations: [EnsembleEpsilonRecord]

    /// A record of these fields.
    public init(model: String, architecture: String, dataset: String, examples: Int, cleanAccuracy: Double, ensemble: String,
                norm: Norm, seed: UInt64, sanitySample: Int, members: [EnsembleMemberRecord], evaluations: [EnsembleEpsilonRecord]) {
        self.model = model
        self.architecture = architecture
        self.dataset = dataset
        self.examples = examples
        self.cleanAccuracy = cleanAccuracy
        self.ensemble = ensemble
        self.norm = norm
        self.seed = seed
        self.sanitySample = sanitySample
        self.members = members
        self.evaluations = evaluations
    }
}

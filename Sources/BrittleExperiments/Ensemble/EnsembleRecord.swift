// robustness.json of `brittle evaluate --ensemble`: the model, the data, the members with their
// versions and configurations, and per epsilon the ensemble's rows, final figure, per-example
// outcomes and sanity flags. The record only; the run is EnsembleEvaluation, the checks
// SanityChecks, the writing the CLI's.
import BrittlePlugins
import Foundation

/// One member as the record lists it: its configuration without the epsilon, which each
/// evaluation sets (the rows of an evaluation hold the full configuration).
public struct EnsembleMemberRecord: Codable, Sendable, Equatable {
    public var attack: String
    public var attackVersion: String
    public var access: AttackAccess
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
    public var epsilon: Double
    public var result: EnsembleResult
    public var flags: [SanityFlag]

    public init(epsilon: Double, result: EnsembleResult, flags: [SanityFlag]) {
        self.epsilon = epsilon
        self.result = result
        self.flags = flags
    }
}

/// robustness.json of an ensemble evaluation.
public struct EnsembleRecord: Codable, Sendable, Equatable {
    public var model: String
    public var architecture: String
    public var dataset: String
    public var examples: Int
    public var cleanAccuracy: Double
    /// "standard" or the members' ids joined by commas, as given.
    public var ensemble: String
    public var norm: Norm
    public var seed: UInt64
    /// Examples the sanity checks looked at (0: the costly checks were off).
    public var sanitySample: Int
    public var members: [EnsembleMemberRecord]
    /// One per epsilon, in the order given.
    public var evaluations: [EnsembleEpsilonRecord]

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

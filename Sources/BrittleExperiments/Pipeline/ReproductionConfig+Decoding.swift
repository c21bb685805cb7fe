// Decoding a stored configuration (plan.json, results.json, config.json, a bundle's manifest)
// written by this or an earlier Brittle: a key added since (set_seeds, inversion_step_schedule,
// ...) takes its default, so older runs still load for `report`, `status` and `sweep report`.
// An absent optional key is nil ("all"), as the encoder writes it. Validation is not done here
// (ReproductionConfig.validate); encoding is the synthesized one.
import Foundation

extension ReproductionConfig {
    /// A stored configuration; keys it lacks keep their defaults (optional keys: nil).
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: Key.self)
        preset = try c.decodeIfPresent(String.self, forKey: Key("preset")) ?? preset
        dataset = try c.decodeIfPresent(String.self, forKey: Key("dataset")) ?? dataset
        dataDir = try c.decodeIfPresent(String.self, forKey: Key("dataDir"))
        architecture = try c.decodeIfPresent(String.self, forKey: Key("architecture")) ?? architecture
        seeds = try c.decodeIfPresent([UInt64].self, forKey: Key("seeds")) ?? seeds
        setSeeds = try c.decodeIfPresent([UInt64].self, forKey: Key("setSeeds")) ?? setSeeds
        batchSize = try c.decodeIfPresent(Int.self, forKey: Key("batchSize")) ?? batchSize
        learningRate = try c.decodeIfPresent(Float.self, forKey: Key("learningRate")) ?? learningRate
        momentum = try c.decodeIfPresent(Float.self, forKey: Key("momentum")) ?? momentum
        weightDecay = try c.decodeIfPresent(Float.self, forKey: Key("weightDecay")) ?? weightDecay
        standardEpochs = try c.decodeIfPresent(Int.self, forKey: Key("standardEpochs")) ?? standardEpochs
        standardTrainLimit = try c.decodeIfPresent(Int.self, forKey: Key("standardTrainLimit"))
        robustEpochs = try c.decodeIfPresent(Int.self, forKey: Key("robustEpochs")) ?? robustEpochs
        robustTrainLimit = try c.decodeIfPresent(Int.self, forKey: Key("robustTrainLimit"))
        robustEpsilon = try c.decodeIfPresent(Double.self, forKey: Key("robustEpsilon")) ?? robustEpsilon
        robustSteps = try c.decodeIfPresent(Int.self, forKey: Key("robustSteps")) ?? robustSteps
        robustStepSize = try c.decodeIfPresent(Double.self, forKey: Key("robustStepSize")) ?? robustStepSize
        setSize = try c.decodeIfPresent(Int.self, forKey: Key("setSize")) ?? setSize
        inversionIterations = try c.decodeIfPresent(Int.self, forKey: Key("inversionIterations")) ?? inversionIterations
        inversionStepSize = try c.decodeIfPresent(Double.self, forKey: Key("inversionStepSize")) ?? inversionStepSize
        inversionStepSchedule = try c.decodeIfPresent(String.self, forKey: Key("inversionStepSchedule")) ?? inversionStepSchedule
        inversionStart = try c.decodeIfPresent(String.self, forKey: Key("inversionStart")) ?? inversionStart
        relabelAttack = try c.decodeIfPresent(String.self, forKey: Key("relabelAttack")) ?? relabelAttack
        relabelSteps = try c.decodeIfPresent(Int.self, forKey: Key("relabelSteps")) ?? relabelSteps
        relabelStepFraction = try c.decodeIfPresent(Double.self, forKey: Key("relabelStepFraction")) ?? relabelStepFraction
        randEpsilon = try c.decodeIfPresent(Double.self, forKey: Key("randEpsilon")) ?? randEpsilon
        detEpsilons = try c.decodeIfPresent([Double].self, forKey: Key("detEpsilons")) ?? detEpsilons
        randAnyControl = try c.decodeIfPresent(Bool.self, forKey: Key("randAnyControl")) ?? randAnyControl
        robustSourceControl = try c.decodeIfPresent(Bool.self, forKey: Key("robustSourceControl")) ?? robustSourceControl
        setEpochs = try c.decodeIfPresent(Int.self, forKey: Key("setEpochs")) ?? setEpochs
        testLimit = try c.decodeIfPresent(Int.self, forKey: Key("testLimit"))
        robustTestLimit = try c.decodeIfPresent(Int.self, forKey: Key("robustTestLimit")) ?? robustTestLimit
        evalEpsilons = try c.decodeIfPresent([Double].self, forKey: Key("evalEpsilons")) ?? evalEpsilons
        headlineEpsilon = try c.decodeIfPresent(Double.self, forKey: Key("headlineEpsilon")) ?? headlineEpsilon
        evalSteps = try c.decodeIfPresent(Int.self, forKey: Key("evalSteps")) ?? evalSteps
        robustEvaluation = try c.decodeIfPresent(String.self, forKey: Key("robustEvaluation")) ?? robustEvaluation
        ensembleAttacks = try c.decodeIfPresent([String].self, forKey: Key("ensembleAttacks")) ?? ensembleAttacks
        ensembleSteps = try c.decodeIfPresent(Int.self, forKey: Key("ensembleSteps")) ?? ensembleSteps
        ensembleTargetClasses = try c.decodeIfPresent(Int.self, forKey: Key("ensembleTargetClasses")) ?? ensembleTargetClasses
        ensembleQueries = try c.decodeIfPresent(Int.self, forKey: Key("ensembleQueries")) ?? ensembleQueries
        ensembleTestLimit = try c.decodeIfPresent(Int.self, forKey: Key("ensembleTestLimit"))
        transferArchitectures = try c.decodeIfPresent([String].self, forKey: Key("transferArchitectures")) ?? transferArchitectures
        transferSet = try c.decodeIfPresent(String.self, forKey: Key("transferSet")) ?? transferSet
        transferEpsilon = try c.decodeIfPresent(Double.self, forKey: Key("transferEpsilon")) ?? transferEpsilon
        transferSteps = try c.decodeIfPresent(Int.self, forKey: Key("transferSteps")) ?? transferSteps
        transferEpochs = try c.decodeIfPresent(Int.self, forKey: Key("transferEpochs")) ?? transferEpochs
        transferTrainLimit = try c.decodeIfPresent(Int.self, forKey: Key("transferTrainLimit"))
    }

    /// A property's name as the coding key (the decoder's key strategy maps snake_case to it).
    private struct Key: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

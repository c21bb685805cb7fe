// Option groups that several commands share, one definition each: the model to load (--model),
// an attack's parameters (--attack-opt) and the run seed (--seed). Each turns its text into the
// experiments layer's values; not the data options (Options.swift) nor the plugin search path.
import ArgumentParser
import BrittleExperiments
import BrittleNN
import BrittlePlugins

/// `--model`: a trained model to load (attack, evaluate).
struct ModelOptions: ParsableArguments {
    @Option(help: "Run directory written by `brittle train`, a .safetensors checkpoint, or a model bundle FILE.tar.zst (verified as it streams).")
    var model: String

    /// The model, rebuilt with the plugins of `registry`; refused before any batch when it and
    /// the evaluation batches do not fit the memory budget.
    func load(registry: Registry) throws -> Classifier {
        let m = try Checkpoint.load(model, registry: registry)
        try MemoryBudget.current.check(m, use: .inference(batchSize: MemoryBudget.evaluationBatchSize))
        return m
    }
}

/// `--attack-opt key=value` (repeatable): the parameters of a command's attack (attack,
/// evaluate; train's --adversarial).
struct AttackParameterOptions: ParsableArguments {
    @Option(name: .customLong("attack-opt"), help: "Attack parameter key=value (repeatable), e.g. epsilon=0.1.")
    var attackOptions: [String] = []

    func validate() throws { _ = try values() }

    /// The parameters as a dictionary (validated already).
    func values() throws -> [String: String] { try parsePairs(attackOptions, flag: "--attack-opt") }

    /// Whether any was given.
    var isEmpty: Bool { attackOptions.isEmpty }
}

/// `--seed`: the seed of a run's random choices.
struct SeedOptions: ParsableArguments {
    @Option(help: "Seed of the run's random choices (initialisation, shuffling and augmentation; attack starts and targets; a construction's choices).")
    var seed: UInt64 = 0
}

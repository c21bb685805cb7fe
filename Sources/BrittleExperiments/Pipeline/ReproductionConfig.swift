// Every hyperparameter of `brittle reproduce` (Ilyas et al. 2019 on Fashion-MNIST) in one
// Codable value: its defaults (the presets are ReproductionConfig+Presets.swift), overrides from a JSON config file and
// `--set key=value`, and validation with errors that name the key and the fix. The whole
// configuration is recorded in results.json, report.md and the experiment bundle. Settings
// only: the pipeline that uses them is Reproduction.
import BrittleIO
import BrittlePlugins
import Foundation

/// The configuration of a reproduction run. JSON keys are the snake_case property names
/// (`--set relabel_epsilon=2`; `relabel-epsilon` is accepted too).
public struct ReproductionConfig: Codable, Equatable, Sendable {
    /// The preset this configuration started from.
    public var preset: String = "quick"
    /// Source dataset (a recipe name or bundle path) and where its raw files are.
    public var dataset: String = "fashion-mnist"
    public var dataDir: String?
    /// Architecture of the source models and of the models trained on the constructed sets.
    public var architecture: String = "cnn-small"
    /// One full pipeline per seed: the source models on D and the constructed sets (and the
    /// models trained on them); the report shows the spread.
    public var seeds: [UInt64] = [0]
    /// Training seeds of the models trained on each constructed set and on D_sub, for every
    /// pipeline seed: cheap replicates (one small training run each) that show how much a set's
    /// figures owe to the training seed. Set seed 0 trains with the pipeline seed itself.
    public var setSeeds: [UInt64] = [0]

    // Optimiser, shared by every training run.
    public var batchSize: Int = 128
    public var learningRate: Float = 0.05
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4

    // The standard model on D (the source of D_NR, D_rand, D_det and of transferred examples).
    public var standardEpochs: Int = 6
    /// Training images it sees (nil: all).
    public var standardTrainLimit: Int?

    // The robust model on D (Madry L2 adversarial training; the source of D_R).
    public var robustEpochs: Int = 6
    public var robustTrainLimit: Int?
    public var robustEpsilon: Double = 1.0
    public var robustSteps: Int = 7
    public var robustStepSize: Double = 0.25

    // The constructed sets.
    /// Images per constructed set (N), drawn at random from D with the run's seed; D_sub is
    /// exactly these images with their true labels.
    public var setSize: Int = 5000
    /// invert-representation: iterations, step size, start ("other-image" or "noise"), and the
    /// step length over the iterations ("constant", or decaying: "linear", "cosine").
    public var inversionIterations: Int = 300
    public var inversionStepSize: Double = 0.1
    public var inversionStepSchedule: String = "constant"
    public var inversionStart: String = "other-image"
    /// adversarial-relabel: the attack, its steps, and step size as a fraction of epsilon
    /// (0.2: 100 steps of 0.4 at epsilon 2.0, as in the reference protocol).
    public var relabelAttack: String = "pgd-l2"
    public var relabelSteps: Int = 100
    public var relabelStepFraction: Double = 0.2
    /// D_rand's budget, and D_det's budgets (one set per value: the sweep).
    public var randEpsilon: Double = 2.0
    public var detEpsilons: [Double] = [2.0]
    /// Controls: D_rand with targets over all classes (the paper's rule); D_rand built from the
    /// robust model (the paper's leakage control).
    public var randAnyControl: Bool = true
    public var robustSourceControl: Bool = true
    /// Epochs of standard training on each constructed set (no augmentation).
    public var setEpochs: Int = 20

    // Evaluation on the ORIGINAL test set.
    /// Test images for clean accuracy (nil: all).
    public var testLimit: Int?
    /// Test images for robust accuracy and transfer (the first ones).
    public var robustTestLimit: Int = 1000
    /// L2 PGD budgets of the robust-accuracy curves; `headline_epsilon` must be one of them.
    public var evalEpsilons: [Double] = [0.25, 0.5, 1.0, 2.0]
    public var headlineEpsilon: Double = 1.0
    /// PGD steps (step size 2.5 eps / steps, no random start).
    public var evalSteps: Int = 20

    // Strong evaluation: an AutoAttack-style ensemble beside PGD (Croce & Hein, ICML 2020).
    /// "ensemble": every model also faces `ensemble_attacks` at L2 headline_epsilon, and the
    /// claims about robust accuracy use that figure; "pgd": PGD only (the paper's protocol).
    public var robustEvaluation: String = "ensemble"
    /// The ensemble's attack plugins, in order; each attacks only what the ones before left robust.
    public var ensembleAttacks: [String] = ["apgd-ce", "apgd-t", "square"]
    /// APGD iterations (`steps`), APGD-T's target classes, and the Square Attack's query budget:
    /// passed to every member whose plugin takes the parameter.
    public var ensembleSteps: Int = 100
    public var ensembleTargetClasses: Int = 9
    public var ensembleQueries: Int = 5000
    /// Robust-test images the ensemble attacks (the first ones; nil: all robust_test_limit).
    public var ensembleTestLimit: Int?

    // Transfer (the paper's Figure 3).
    /// Architectures trained on the relabelled set (x) and on D (targets of transfer, y).
    public var transferArchitectures: [String] = ["mlp", "cnn-small", "resnet-mini"]
    /// The relabelled set they train on: "rand" (default on Fashion-MNIST) or "det".
    public var transferSet: String = "rand"
    /// Untargeted L2 PGD crafted on the standard model.
    public var transferEpsilon: Double = 1.0
    public var transferSteps: Int = 20
    /// Epochs and training images of the target models trained on D.
    public var transferEpochs: Int = 3
    public var transferTrainLimit: Int? = 20000

    public init() {}

    /// A preset, then a JSON config file's overrides, then each `key=value`, validated: what
    /// `brittle reproduce` and `brittle sweep` start from.
    public static func resolve(preset: String, configFile: String?, settings: [String]) throws -> ReproductionConfig {
        var c = try ReproductionConfig.preset(preset)
        if let configFile { try c.merge(try ReproductionConfig.overrides(fromFile: configFile), source: "--config \(configFile)") }
        for s in settings { try c.set(s) }
        try c.validate()
        return c
    }

    /// The configuration as a JSON object with snake_case keys; unset optional keys are null
    /// (so a config.json restores them).
    public func jsonObject() throws -> [String: Any] {
        let data = try ReproductionConfig.encoder.encode(self)
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for key in ReproductionConfig.optionalKeys where object[key] == nil { object[key] = NSNull() }
        return object
    }

    static let optionalKeys = ["data_dir", "standard_train_limit", "robust_train_limit", "test_limit", "transfer_train_limit",
                               "ensemble_test_limit"]

    /// Applies the keys of a JSON object (a config file's contents), checking each key exists
    /// and each value has the right type.
    public mutating func merge(_ overrides: [String: Any], source: String) throws {
        var object = try jsonObject()
        let known = ReproductionConfig.keys
        for (rawKey, value) in overrides {
            let key = rawKey.replacingOccurrences(of: "-", with: "_")
            guard known.contains(key) else { throw unknownKey(rawKey, source: source) }
            object[key] = value
        }
        do {
            self = try ReproductionConfig.decoder.decode(ReproductionConfig.self, from: JSONSerialization.data(withJSONObject: object))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = ReproductionConfig.snakeCase(context.codingPath.first?.stringValue ?? "?")
            throw ReproductionError("\(source): '\(key)' has the wrong type (\(context.debugDescription)); expected \(ReproductionConfig.typeHint(key))")
        }
    }

    /// Applies one `key=value` override; the value is parsed as JSON (numbers, true/false,
    /// null, [1,2]) or, for lists, as comma-separated values; anything else is a string.
    public mutating func set(_ assignment: String) throws {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw ReproductionError("--set '\(assignment)' is not key=value (e.g. --set set_size=3000); keys: \(ReproductionConfig.keys.sorted().joined(separator: ", "))")
        }
        let key = parts[0].replacingOccurrences(of: "-", with: "_")
        guard ReproductionConfig.keys.contains(key) else { throw unknownKey(parts[0], source: "--set") }
        var text = parts[1]
        let isList = ReproductionConfig.listKeys.contains(key)
        if isList, !text.hasPrefix("[") { text = "[" + text + "]" }
        let value: Any
        if let data = text.data(using: .utf8), let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
            value = parsed
        } else if isList {
            value = ReproductionConfig.listItems(parts[1])
        } else {
            value = parts[1]
        }
        try merge([key: value], source: "--set \(parts[0])")
    }

    /// Splits a comma-separated list. An item that is a parameter (key=value, no ':') continues the
    /// spec before it: "mlp:hidden=64,cnn-small:channels1=64,channels2=128" is two architectures.
    static func listItems(_ text: String) -> [String] {
        var items: [String] = []
        for piece in text.split(separator: ",").map(String.init) {
            if piece.contains("="), !piece.contains(":"), let last = items.last, last.contains(":") {
                items[items.count - 1] = last + "," + piece
            } else {
                items.append(piece)
            }
        }
        return items
    }

    private func unknownKey(_ key: String, source: String) -> ReproductionError {
        ReproductionError("\(source): unknown key '\(key)'; known keys: \(ReproductionConfig.keys.sorted().joined(separator: ", "))")
    }

    /// Every key.
    public static var keys: Set<String> { Set(((try? ReproductionConfig().jsonObject()) ?? [:]).keys) }

    /// "setSize" -> "set_size" (a snake_case key is returned as is).
    static func snakeCase(_ key: String) -> String {
        var out = ""
        for ch in key {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    static let listKeys: Set<String> = ["seeds", "set_seeds", "det_epsilons", "eval_epsilons", "transfer_architectures", "ensemble_attacks"]

    static func typeHint(_ key: String) -> String {
        if listKeys.contains(key) { return "a list, e.g. \(key)=1,2" }
        if ["dataset", "data_dir", "architecture", "preset", "inversion_start", "inversion_step_schedule", "relabel_attack", "transfer_set", "robust_evaluation"].contains(key) { return "a string" }
        if ["rand_any_control", "robust_source_control"].contains(key) { return "true or false" }
        return "a number" + (key.hasSuffix("limit") ? " or null (all)" : "")
    }

    /// Rejects values that cannot work, naming the key and what it accepts.
    public func validate() throws {
        func need(_ ok: Bool, _ message: String) throws { if !ok { throw ReproductionError(message) } }
        try need(!seeds.isEmpty, "seeds must list at least one seed")
        try need(Set(seeds).count == seeds.count, "seeds must not repeat, got \(seeds)")
        try need(!setSeeds.isEmpty, "set_seeds must list at least one seed (e.g. set_seeds=0,1,2)")
        try need(Set(setSeeds).count == setSeeds.count, "set_seeds must not repeat, got \(setSeeds)")
        try need(batchSize >= 1, "batch_size must be at least 1")
        try need(learningRate > 0, "learning_rate must be positive")
        try need((0..<1).contains(momentum), "momentum must be in [0, 1)")
        try need(weightDecay >= 0, "weight_decay must be non-negative")
        for (k, v) in [("standard_epochs", standardEpochs), ("robust_epochs", robustEpochs), ("set_epochs", setEpochs),
                       ("transfer_epochs", transferEpochs), ("set_size", setSize), ("robust_steps", robustSteps),
                       ("relabel_steps", relabelSteps), ("eval_steps", evalSteps), ("transfer_steps", transferSteps),
                       ("robust_test_limit", robustTestLimit), ("ensemble_steps", ensembleSteps),
                       ("ensemble_target_classes", ensembleTargetClasses), ("ensemble_queries", ensembleQueries)] {
            try need(v >= 1, "\(k) must be at least 1, got \(v)")
        }
        try need(inversionIterations >= 0, "inversion_iterations must be non-negative")
        for (k, v) in [("standard_train_limit", standardTrainLimit), ("robust_train_limit", robustTrainLimit),
                       ("test_limit", testLimit), ("transfer_train_limit", transferTrainLimit), ("ensemble_test_limit", ensembleTestLimit)] {
            if let v { try need(v >= 1, "\(k) must be at least 1 or null (all), got \(v)") }
        }
        for (k, v) in [("robust_epsilon", robustEpsilon), ("robust_step_size", robustStepSize), ("inversion_step_size", inversionStepSize),
                       ("relabel_step_fraction", relabelStepFraction), ("rand_epsilon", randEpsilon), ("transfer_epsilon", transferEpsilon),
                       ("headline_epsilon", headlineEpsilon)] {
            try need(v.isFinite && v > 0, "\(k) must be a positive number, got \(v)")
        }
        try need(!detEpsilons.isEmpty && detEpsilons.allSatisfy { $0.isFinite && $0 > 0 }, "det_epsilons must list positive budgets, got \(detEpsilons)")
        try need(!evalEpsilons.isEmpty && evalEpsilons.allSatisfy { $0.isFinite && $0 > 0 }, "eval_epsilons must list positive budgets, got \(evalEpsilons)")
        try need(evalEpsilons.contains(headlineEpsilon), "headline_epsilon \(headlineEpsilon) must be one of eval_epsilons \(evalEpsilons)")
        try need(["other-image", "noise"].contains(inversionStart), "inversion_start must be other-image or noise, got '\(inversionStart)'")
        try need(StepSchedule.names.contains(inversionStepSchedule),
                 "inversion_step_schedule must be one of \(StepSchedule.names.joined(separator: ", ")), got '\(inversionStepSchedule)'")
        try need(["rand", "det"].contains(transferSet), "transfer_set must be rand or det, got '\(transferSet)'")
        try need(!transferArchitectures.isEmpty, "transfer_architectures must list at least one architecture")
        try need(Set(transferArchitectures).count == transferArchitectures.count, "transfer_architectures must not repeat, got \(transferArchitectures)")
        for (key, spec) in transferArchitectures.map({ ("transfer_architectures", $0) }) + [("architecture", architecture)] {
            do { _ = try parsePluginSpec(spec, kind: "architecture") } catch {
                throw ReproductionError("\(key): \(error) (e.g. mlp:hidden=64-64 or cnn-small:channels1=64,channels2=128)")
            }
        }
        try need(["ensemble", "pgd"].contains(robustEvaluation), "robust_evaluation must be ensemble or pgd, got '\(robustEvaluation)'")
        try need(robustEvaluation == "pgd" || !ensembleAttacks.isEmpty,
                 "ensemble_attacks must list at least one attack plugin (e.g. apgd-ce,apgd-t,square), or set robust_evaluation=pgd")
        try need(ReproductionConfig.presetNames.contains(preset), "preset must be one of \(ReproductionConfig.presetNames.joined(separator: ", "))")
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        return e
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    /// Pretty, sorted JSON with snake_case keys, unset keys as null (config.json).
    public func encoded() throws -> Data {
        try JSONSerialization.data(withJSONObject: jsonObject(), options: [.sortedKeys, .prettyPrinted])
    }

    /// Reads a config file: a JSON object of keys to override (a whole config.json works too).
    public static func overrides(fromFile path: String) throws -> [String: Any] {
        let data: Data
        do {
            data = Data(try FileBytes.readAll(path, limit: 1 << 20, what: "the --config file"))
        } catch let error as DataError {
            throw ReproductionError("--config \(error)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ReproductionError("--config \(path): not a JSON object of settings (e.g. {\"set_size\": 3000})")
        }
        return object
    }
}

/// An error of `brittle reproduce`, with the message to show.
public struct ReproductionError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

// One training run, the single code path of `brittle train` and the reproduction's training
// stages: the model (architecture plugin, memory check, input layers), the learning-rate
// schedule, the per-batch composition (augmentations, then the adversarial step of Madry et al.)
// and the held-out robust monitor, around the training loop. Not the loop itself (Training.swift)
// nor where the model and metrics are written (the CLI, the reproduction's stages).
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// A training configuration with its per-batch steps and monitor, run on a model.
public struct TrainingRun {
    /// The learning-rate schedules a run can name.
    public enum Schedule: String, CaseIterable, Sendable {
        case cosine, constant, step

        /// The schedule over `epochs` epochs: cosine to 0; constant; step (x0.1 at 50% and 75% of
        /// the run, so short runs get both decays too).
        public func schedule(epochs: Int) -> LearningRateSchedule {
            switch self {
            case .cosine: return .cosine(floor: 0)
            case .constant: return .constant
            case .step: return .step(milestones: [Float(epochs) * 0.5, Float(epochs) * 0.75], gamma: 0.1)
            }
        }
    }

    /// An attack that replaces the first `fraction` of each batch by its adversarial version.
    public struct Adversary {
        public let plugin: any AttackPlugin
        public let configuration: Configuration
        public let attack: any Attack
        /// Fraction of each batch replaced (1 = Madry: only adversarial examples).
        public let fraction: Double

        /// `plugin` configured with `configuration`, replacing `fraction` of each batch.
        public init(plugin: any AttackPlugin, configuration: Configuration, fraction: Double = 1) throws {
            self.plugin = plugin
            self.configuration = configuration
            attack = try plugin.makeAttack(configuration)
            self.fraction = fraction
        }

        /// How the monitor and the log name it, e.g. "pgd-l2 epsilon=1.0 steps=7".
        public var label: String { "\(plugin.id) \(configuration.description)" }
    }

    /// An input-layer plugin placed at the front of the model, recorded as `spec` (as given).
    public struct InputLayerChoice {
        public let spec: String
        public let plugin: any InputLayerPlugin
        public let configuration: Configuration

        public init(spec: String, plugin: any InputLayerPlugin, configuration: Configuration) {
            self.spec = spec
            self.plugin = plugin
            self.configuration = configuration
        }
    }

    /// Epochs, batch size, optimiser, schedule and seed.
    public var configuration: TrainingConfiguration
    /// Applied in order to each mini-batch, before the adversarial step.
    public var augmentations: [any Augmentation] = []
    /// Adversarial training, when set.
    public var adversary: Adversary?
    /// Held-out test images for the per-epoch clean/robust monitor (nil: 1000 with an
    /// adversary, else none).
    public var monitor: Int?
    /// Where the monitor's PGD attack is looked up.
    public let registry: Registry

    /// A run of `configuration` with the plugins of `registry`.
    public init(configuration: TrainingConfiguration, registry: Registry) {
        self.configuration = configuration
        self.registry = registry
    }

    /// `plugin` built for `inputShape` and `classCount` with `seed`, behind `inputLayers` (the
    /// first one first), refused before its tensors exist when training it in batches of
    /// `batchSize` cannot fit the memory budget (training checks the built model again, which
    /// covers plugins without an estimate).
    public static func model(_ plugin: any ArchitecturePlugin, configuration: Configuration, inputShape: [Int],
                             classCount: Int, seed: UInt64, batchSize: Int, inputLayers: [InputLayerChoice] = []) throws
        -> Classifier
    {
        try MemoryBudget.current.check(plugin, configuration: configuration, inputShape: inputShape,
                                       classCount: classCount, use: .training(batchSize: batchSize))
        var model = try plugin.build(configuration, inputShape: inputShape, classCount: classCount, seed: seed)
        for layer in inputLayers.reversed() {
            model = model.prepending(try layer.plugin.makeLayer(layer.configuration, channels: inputShape[0]), recordedAs: layer.spec)
        }
        return model
    }

    /// The per-batch step for training `model`: the augmentations in order, then the
    /// adversarial step against the current model; nil when there is neither.
    public func batchStep(for model: Classifier) -> ((LabeledDataset, UInt64) throws -> LabeledDataset)? {
        let attackStep = adversary.map { adversarialBatches(model: model, attack: $0.attack, fraction: $0.fraction) }
        if augmentations.isEmpty, let attackStep { return attackStep }
        guard !augmentations.isEmpty || attackStep != nil else { return nil }
        let augmentations = self.augmentations
        return { batch, seed in
            var b = batch
            for a in augmentations { b = try b.augmented(by: a, seed: seed) }
            if let attackStep { b = try attackStep(b, seed) }
            return b
        }
    }

    /// The held-out monitor on the first `monitor` images of `test`: the training attack and,
    /// for another attack than PGD, a 10-step PGD of the same norm and budget (for FGSM
    /// training, the catastrophic-overfitting detector). Nil without an adversary or images.
    public func robustMonitor(on test: LabeledDataset) throws -> RobustMonitor? {
        let size = min(test.count, monitor ?? (adversary == nil ? 0 : 1000))
        guard let adversary, size > 0 else { return nil }
        let held = test.subset(Array(0..<size))
        var attacks: [(String, any Attack)] = [(adversary.label, adversary.attack)]
        var pair: (fgsm: String, pgd: String)?
        let tm = adversary.attack.threatModel
        let pgdID = tm.norm == .l2 ? "pgd-l2" : "pgd-linf"
        if adversary.plugin.id != pgdID, let pgd = try? registry.attack(pgdID) {
            let c = try pgd.configuration(["epsilon": "\(tm.epsilon)", "steps": "10", "lower-bound": "\(tm.lowerBound)",
                                           "upper-bound": "\(tm.upperBound)"])
            let pgdLabel = "\(pgdID) epsilon=\(tm.epsilon) steps=10"
            attacks.append((pgdLabel, try pgd.makeAttack(c)))
            if adversary.plugin.id == "fgsm" { pair = (adversary.label, pgdLabel) }
        }
        return RobustMonitor(images: held.images, labels: held.labels, attacks: attacks, overfitPair: pair)
    }

    /// Trains `model` on `data` and measures it on `test`: after every epoch when
    /// `testEachEpoch`, else once at the end. `onEpoch` sees each epoch's metrics and, with a
    /// monitor, its entry. `resumeFile` is the loop's per-epoch checkpoint (see `train`).
    public func run(_ model: Classifier, on data: LabeledDataset, test: LabeledDataset, testEachEpoch: Bool = true,
                    resumeFile: String? = nil, log: (String) -> Void = note,
                    onEpoch: (EpochMetrics, RobustMonitorEntry?) -> Void = { _, _ in }) throws -> TrainingOutcome {
        let start = Date()
        let monitor = try robustMonitor(on: test)
        if let adversary, let monitor {
            log("adversarial training with \(adversary.label) (fraction \(adversary.fraction)); monitoring \(monitor.labels.count) held-out test images")
        }
        let history = try train(model, on: data, configuration: configuration, test: testEachEpoch ? test : nil,
                                augment: batchStep(for: model), resumeFile: resumeFile) { m in
            onEpoch(m, monitor?.observe(model, epoch: m.epoch))
        }
        return TrainingOutcome(epochs: history, robustMonitor: monitor?.history ?? [],
                               testAccuracy: history.last?.testAccuracy ?? accuracy(model, on: test),
                               seconds: Date().timeIntervalSince(start))
    }
}

/// What a training run measured.
public struct TrainingOutcome: Sendable {
    /// Per-epoch metrics.
    public var epochs: [EpochMetrics]
    /// The held-out monitor's entries, one per epoch (empty without a monitor).
    public var robustMonitor: [RobustMonitorEntry]
    /// Clean accuracy on the test set after the last epoch.
    public var testAccuracy: Float
    /// Wall-clock seconds of the run, the monitor included.
    public var seconds: Double
}

// `brittle train`: standard training of an architecture plugin on a dataset, with optional
// transform plugins (augmentations per batch; model input layers such as normalize), writing a
// run directory (model.safetensors, metrics.json) and printing the clean test accuracy.
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier and report its test accuracy.",
        discussion: """
            Architectures and transforms are plugins: `brittle plugins list` shows them, \
            `brittle plugins info ID` their parameters.
            Writes OUT/model.safetensors (weights + architecture metadata, loadable by PyTorch's \
            safetensors) and OUT/metrics.json (configuration, per-epoch metrics, test accuracy).
            Examples:
              brittle train --arch cnn-small --epochs 10 --seed 0 --out runs/cnn
              brittle train --arch mlp --arch-opt hidden=512-256 --transform random-crop:padding=2 --out runs/mlp
            """)

    @Option(help: "Architecture plugin id (see `brittle plugins list`).")
    var arch: String = "cnn-small"

    @Option(name: .customLong("arch-opt"), help: "Architecture parameter key=value (repeatable), e.g. hidden=512.")
    var archOptions: [String] = []

    @Option(name: .customLong("transform"),
            help: "Transform plugin, as ID or ID:key=value,key=value (repeatable; applied in order).")
    var transforms: [String] = []

    @Option(help: "Adversarial training (Madry et al.): attack plugin that replaces each batch by its adversarial version.")
    var adversarial: String?

    @Option(name: .customLong("attack-opt"), help: "Parameter key=value of the --adversarial attack (repeatable), e.g. epsilon=1.0.")
    var attackOptions: [String] = []

    @Option(parsing: .unconditional, help: "Fraction of each batch replaced by adversarial examples (1 = Madry: only adversarial).")
    var adversarialFraction: Double = 1

    @Option(parsing: .unconditional, help: "Held-out test images for the per-epoch clean/robust monitor (default: 1000 with --adversarial, else 0).")
    var monitor: Int?

    @Option(parsing: .unconditional, help: "Training epochs.") var epochs: Int = 10
    @Option(parsing: .unconditional, help: "Mini-batch size.") var batchSize: Int = 128
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Base learning rate.") var learningRate: Float = 0.05
    @Option(parsing: .unconditional, help: "SGD momentum.") var momentum: Float = 0.9
    @Option(parsing: .unconditional, help: "Weight decay (not applied to biases and batch-norm parameters).") var weightDecay: Float = 5e-4
    @Option(help: "Learning-rate schedule: cosine, constant, step (x0.1 at 50% and 75%).") var schedule: String = "cosine"
    @Option(help: "Seed for initialisation, shuffling and augmentation.") var seed: UInt64 = 0
    @Option(help: "Output directory (created; existing files are replaced).") var out: String

    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var plugins: PluginOptions
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var bundleLimit: MaxSizeOptions

    func validate() throws {
        if epochs < 1 { throw OptionError("--epochs must be at least 1, got \(epochs)") }
        if batchSize < 1 { throw OptionError("--batch-size must be at least 1, got \(batchSize)") }
        if !(learningRate > 0 && learningRate.isFinite) { throw OptionError("--lr must be a positive finite number, got \(learningRate)") }
        if !(0..<1).contains(momentum) { throw OptionError("--momentum must be in [0, 1), got \(momentum)") }
        if !(weightDecay >= 0 && weightDecay.isFinite) { throw OptionError("--weight-decay must be a non-negative finite number, got \(weightDecay)") }
        guard ["cosine", "constant", "step"].contains(schedule) else {
            throw ValidationError("unknown --schedule '\(schedule)'; known: cosine, constant, step")
        }
        try validateOutputDirectory(out)
        _ = try parsePairs(archOptions, flag: "--arch-opt")
        _ = try parsePairs(attackOptions, flag: "--attack-opt")
        if adversarial == nil && !attackOptions.isEmpty { throw ValidationError("--attack-opt needs --adversarial ATTACK") }
        guard adversarialFraction > 0 && adversarialFraction <= 1 else {
            throw ValidationError("--adversarial-fraction must be in (0, 1], got \(adversarialFraction)")
        }
        if let m = monitor, m < 0 { throw ValidationError("--monitor must be non-negative, got \(m)") }
        for spec in transforms {
            do { _ = try parseTransformSpec(spec) } catch { throw ValidationError("--transform: \(error)") }
        }
    }

    func run() throws {
        threads.apply()
        try memory.apply()
        bundleLimit.apply()
        plugins.load()
        // Validate every plugin configuration before touching data.
        let archPlugin = try Registry.shared.architecture(arch)
        let archConfig = try archPlugin.configuration(try parsePairs(archOptions, flag: "--arch-opt"))
        let transformSteps = try transforms.map { spec -> (String, any TransformPlugin, Configuration) in
            let (id, text) = try parseTransformSpec(spec)
            let t = try Registry.shared.transform(id)
            return (spec, t, try t.configuration(text))
        }
        var adversary: (plugin: any AttackPlugin, config: Configuration, attack: any Attack)?
        if let adversarial {
            let p = try Registry.shared.attack(adversarial)
            let cfg = try p.configuration(try parsePairs(attackOptions, flag: "--attack-opt"))
            adversary = (p, cfg, try p.makeAttack(cfg))
        }
        for (spec, t, _) in transformSteps where !t.preservesLabels {
            throw ValidationError("--transform \(spec): \(t.id) changes labels or counts; build a dataset with it first, not per batch")
        }

        let trainSet = try data.load(.train)
        let testSet = try data.load(.test)
        guard testSet.imageShape == trainSet.imageShape, testSet.numClasses == trainSet.numClasses else {
            throw ValidationError("the test set \(testSet.name) (\(testSet.imageShape), \(testSet.numClasses) classes) does not match the training set \(trainSet.name) (\(trainSet.imageShape), \(trainSet.numClasses) classes)")
        }
        // Refuse a model or batch that cannot fit BEFORE its tensors exist (train() checks the
        // built model again, which covers plugins without an estimate).
        try MemoryBudget.current.check(archPlugin, configuration: archConfig, inputShape: trainSet.imageShape,
                                       classCount: trainSet.numClasses, use: .training(batchSize: batchSize))
        var model = try archPlugin.build(archConfig, inputShape: trainSet.imageShape, classCount: trainSet.numClasses, seed: seed)
        for (spec, t, c) in transformSteps.reversed() {
            if let layer = try t.modelInputLayer(c, channels: trainSet.imageShape[0]) {
                model = model.prepending(layer, recordedAs: spec)
            }
        }
        let augmentations = transformSteps.filter { _, t, c in (try? t.modelInputLayer(c, channels: trainSet.imageShape[0])) == nil }
        var c = TrainingConfiguration()
        c.epochs = epochs
        c.batchSize = batchSize
        c.learningRate = learningRate
        c.momentum = momentum
        c.weightDecay = weightDecay
        c.seed = seed
        switch schedule {
        case "constant": c.schedule = .constant
        // Fractions of the run, so short runs get both decays too (epochs 1: at 0.5 and 0.75).
        case "step": c.schedule = .step(milestones: [Float(epochs) * 0.5, Float(epochs) * 0.75], gamma: 0.1)
        default: c.schedule = .cosine(floor: 0)
        }
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create --out directory \(out): \(error.localizedDescription)")
        }
        note("training \(arch) (\(model.parameterCount) parameters) on \(trainSet.name): \(trainSet.count) train / \(testSet.count) test images, \(c.epochs) epochs, batch \(c.batchSize), \(Parallel.threads) threads"
             + (transforms.isEmpty ? "" : ", transforms: \(transforms.joined(separator: " "))"))
        let start = Date()
        let attackStep = adversary.map { adversarialBatches(model: model, attack: $0.attack, fraction: adversarialFraction) }
        let augment: ((LabeledDataset, UInt64) throws -> LabeledDataset)? = augmentations.isEmpty && attackStep == nil ? nil : { batch, s in
            var b = batch
            for (_, t, cfg) in augmentations { b = try t.apply(b, configuration: cfg, context: TransformContext(seed: s)) }
            if let attackStep { b = try attackStep(b, s) }
            return b
        }
        let monitorSize = min(testSet.count, monitor ?? (adversary == nil ? 0 : 1000))
        var robustMonitor: RobustMonitor?
        if let adversary, monitorSize > 0 {
            let held = testSet.subset(Array(0..<monitorSize))
            let label = "\(adversary.plugin.id) \(adversary.config.description)"
            var attacks: [(String, any Attack)] = [(label, adversary.attack)]
            var pair: (fgsm: String, pgd: String)?
            // Watch a 10-step PGD of the same norm and budget too; for FGSM training it is the
            // catastrophic-overfitting detector.
            let tm = adversary.attack.threatModel
            let pgdID = tm.norm == .l2 ? "pgd-l2" : "pgd-linf"
            if adversary.plugin.id != pgdID, let pgd = try? Registry.shared.attack(pgdID) {
                let cfg = try pgd.configuration(["epsilon": "\(tm.epsilon)", "steps": "10", "lower-bound": "\(tm.lowerBound)", "upper-bound": "\(tm.upperBound)"])
                let pgdLabel = "\(pgdID) epsilon=\(tm.epsilon) steps=10"
                attacks.append((pgdLabel, try pgd.makeAttack(cfg)))
                if adversary.plugin.id == "fgsm" { pair = (label, pgdLabel) }
            }
            robustMonitor = RobustMonitor(images: held.images, labels: held.labels, attacks: attacks, overfitPair: pair)
            note("adversarial training with \(label) (fraction \(adversarialFraction)); monitoring \(monitorSize) held-out test images")
        }
        let history = try BrittleExperiments.train(model, on: trainSet, configuration: c, test: testSet, augment: augment) { m in
            note(String(format: "epoch %d: loss %.4f  train %.2f%%  test %.2f%%  %.0f img/s  %.1fs",
                        m.epoch, m.trainLoss, 100 * m.trainAccuracy, 100 * (m.testAccuracy ?? 0), m.imagesPerSecond, m.seconds))
            if let robustMonitor {
                let e = robustMonitor.observe(model, epoch: m.epoch)
                note("  held-out: clean \(String(format: "%.2f%%", 100 * e.cleanAccuracy))"
                     + e.robustAccuracy.keys.sorted().map { "; \($0): \(String(format: "%.2f%%", 100 * e.robustAccuracy[$0]!))" }.joined())
                if let w = e.warning { note("  WARNING: \(w)") }
            }
        }
        let testAccuracy = history.last?.testAccuracy ?? accuracy(model, on: testSet)
        try Checkpoint.save(model, to: (out as NSString).appendingPathComponent(Checkpoint.fileName))
        let record = TrainRecord(
            command: "train", architecture: arch, architectureVersion: archPlugin.version, architectureOptions: archConfig.text,
            transforms: transforms,
            adversarial: adversary.map { AdversarialRecord(attack: $0.plugin.id, attackVersion: $0.plugin.version, configuration: $0.config.text, fraction: adversarialFraction) },
            robustMonitor: robustMonitor?.history ?? [], dataset: trainSet.name, testDataset: testSet.name, trainImages: trainSet.count, testImages: testSet.count,
            threads: Parallel.threads, configuration: c, epochs: history, testAccuracy: testAccuracy,
            seconds: Date().timeIntervalSince(start), brittleVersion: brittleVersion)
        try writeAtomically(try prettyJSON(record), to: (out as NSString).appendingPathComponent("metrics.json"))
        print(String(format: "test accuracy: %.2f%% (%d images)  model: %@", 100 * testAccuracy, testSet.count, out))
    }
}

struct TrainRecord: Codable {
    var command: String
    var architecture: String
    var architectureVersion: String
    var architectureOptions: [String: String]
    var transforms: [String]
    var adversarial: AdversarialRecord?
    var robustMonitor: [RobustMonitorEntry]
    var dataset: String
    var testDataset: String
    var trainImages: Int
    var testImages: Int
    var threads: Int
    var configuration: TrainingConfiguration
    var epochs: [EpochMetrics]
    var testAccuracy: Float
    var seconds: Double
    var brittleVersion: String
}

struct AdversarialRecord: Codable {
    var attack: String
    var attackVersion: String
    var configuration: [String: String]
    var fraction: Double
}

/// Writes `data` to a temporary name beside `path`, flushes it and renames it into place (the
/// kit's one atomic writer: the temporary is removed on failure and on a signal).
func writeAtomically(_ data: Data, to path: String) throws {
    try AtomicFile.write(path, data: data)
}

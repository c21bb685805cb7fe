// `brittle train`: training of an architecture plugin on a dataset, with optional --transform
// plugins (augmentations per batch; model input layers such as normalize) and adversarial
// training, writing a run directory (model.safetensors, metrics.json) and printing the clean test
// accuracy. Options and output only: the run itself is BrittleExperiments' TrainingRun.
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
            help: "Augmentation or input-layer plugin, as ID or ID:key=value,key=value (repeatable; applied in order).")
    var transforms: [String] = []

    @Option(help: "Adversarial training (Madry et al.): attack plugin that replaces each batch by its adversarial version.")
    var adversarial: String?

    @OptionGroup var attackParameters: AttackParameterOptions

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
    @OptionGroup var seedOption: SeedOptions
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
        guard TrainingRun.Schedule(rawValue: schedule) != nil else {
            throw ValidationError("unknown --schedule '\(schedule)'; known: cosine, constant, step")
        }
        try validateOutputDirectory(out)
        _ = try parsePairs(archOptions, flag: "--arch-opt")
        if adversarial == nil && !attackParameters.isEmpty { throw ValidationError("--attack-opt needs --adversarial ATTACK") }
        guard adversarialFraction > 0 && adversarialFraction <= 1 else {
            throw ValidationError("--adversarial-fraction must be in (0, 1], got \(adversarialFraction)")
        }
        if let m = monitor, m < 0 { throw ValidationError("--monitor must be non-negative, got \(m)") }
        for spec in transforms {
            do { _ = try parsePluginSpec(spec) } catch { throw ValidationError("--transform: \(error)") }
        }
    }

    /// The --transform plugins, configured: input layers (recorded in the model) and
    /// augmentations (per batch), each in the order given.
    func trainingTransforms(registry: Registry) throws
        -> (inputLayers: [TrainingRun.InputLayerChoice], augmentations: [any Augmentation])
    {
        var inputLayers: [TrainingRun.InputLayerChoice] = []
        var augmentations: [any Augmentation] = []
        for spec in transforms {
            let (id, text) = try parsePluginSpec(spec)
            let transform: TrainingTransform
            do { transform = try registry.trainingTransform(id) } catch { throw ValidationError("--transform \(spec): \(error)") }
            let configuration = try transform.plugin.configuration(text)
            switch transform {
            case .augmentation(let p): augmentations.append(try p.makeAugmentation(configuration))
            case .inputLayer(let p): inputLayers.append(.init(spec: spec, plugin: p, configuration: configuration))
            }
        }
        return (inputLayers, augmentations)
    }

    /// The run these options describe (every plugin configured, so validated, before any data).
    func trainingRun(registry: Registry, augmentations: [any Augmentation]) throws -> TrainingRun {
        var c = TrainingConfiguration()
        c.epochs = epochs
        c.batchSize = batchSize
        c.learningRate = learningRate
        c.momentum = momentum
        c.weightDecay = weightDecay
        c.seed = seedOption.seed
        c.schedule = TrainingRun.Schedule(rawValue: schedule)!.schedule(epochs: epochs)
        var run = TrainingRun(configuration: c, registry: registry)
        run.augmentations = augmentations
        run.monitor = monitor
        if let adversarial {
            let p = try registry.attack(adversarial)
            run.adversary = try TrainingRun.Adversary(plugin: p, configuration: try p.configuration(try attackParameters.values()),
                                                      fraction: adversarialFraction)
        }
        return run
    }

    func run() throws {
        let registry = try startComputing(threads, memory, bundleLimit, plugins)
        let archPlugin = try registry.architecture(arch)
        let archConfig = try archPlugin.configuration(try parsePairs(archOptions, flag: "--arch-opt"))
        let (inputLayers, augmentations) = try trainingTransforms(registry: registry)
        let run = try trainingRun(registry: registry, augmentations: augmentations)
        let (trainSet, testSet) = try data.source.trainAndTest()
        let model = try TrainingRun.model(archPlugin, configuration: archConfig, inputShape: trainSet.imageShape,
                                          classCount: trainSet.numClasses, seed: seedOption.seed, batchSize: batchSize,
                                          inputLayers: inputLayers)
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create --out directory \(out): \(error.localizedDescription)")
        }
        note("training \(arch) (\(model.parameterCount) parameters) on \(trainSet.name): \(trainSet.count) train / \(testSet.count) test images, \(epochs) epochs, batch \(batchSize), \(Parallel.threads) threads"
             + (transforms.isEmpty ? "" : ", transforms: \(transforms.joined(separator: " "))"))
        let outcome = try run.run(model, on: trainSet, test: testSet, onEpoch: { m, entry in
            note(String(format: "epoch %d: loss %.4f  train %.2f%%  test %.2f%%  %.0f img/s  %.1fs",
                        m.epoch, m.trainLoss, 100 * m.trainAccuracy, 100 * (m.testAccuracy ?? 0), m.imagesPerSecond, m.seconds))
            if let e = entry {
                note("  held-out: clean \(String(format: "%.2f%%", 100 * e.cleanAccuracy))"
                     + e.robustAccuracy.keys.sorted().map { "; \($0): \(String(format: "%.2f%%", 100 * e.robustAccuracy[$0]!))" }.joined())
                if let w = e.warning { note("  WARNING: \(w)") }
            }
        })
        try Checkpoint.save(model, to: (out as NSString).appendingPathComponent(Checkpoint.fileName), registry: registry)
        let record = MetricsRecord(architecture: archPlugin, options: archConfig, transforms: transforms, run: run, outcome: outcome,
                                   train: trainSet, test: testSet)
        try AtomicFile.write((out as NSString).appendingPathComponent("metrics.json"), data: try prettyJSON(record))
        print(String(format: "test accuracy: %.2f%% (%d images)  model: %@", 100 * outcome.testAccuracy, testSet.count, out))
    }
}

// `brittle attack`: adversarial examples for a slice of the test set, written as float32 .npy
// (never rounded to 8 bits: Documentation/attack-properties.md #13) with their source labels,
// targets (for targeted runs), clean and adversarial predictions, a JSON summary and an example
// grid. Options and output only: the targeting, batching, seeding and scoring are
// BrittleExperiments' AttackRun.
import ArgumentParser
import BrittleExperiments
import BrittleFigures
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

struct AttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Craft adversarial examples against a trained model and write them to a directory.",
        discussion: """
            Writes OUT/adversarial.npy (float32, N x C x H x W), OUT/original.npy, OUT/labels.npy \
            (true classes), OUT/targets.npy (targeted runs), OUT/predictions_clean.npy, \
            OUT/predictions_adversarial.npy, OUT/attack.json (configuration and figures) and \
            OUT/examples.png (originals, amplified perturbations, adversarial images with predictions).
            Example: brittle attack --model runs/cnn --attack pgd-linf --attack-opt epsilon=0.1 --test-limit 64 --out runs/cnn/adv
            """)

    @OptionGroup var modelOption: ModelOptions
    @Option(help: "Attack plugin id (see `brittle plugins list`).") var attack: String
    @OptionGroup var attackParameters: AttackParameterOptions
    @Option(help: "Targeted attack toward: next ((y+1) mod C), random (uniform over classes other than y). Default: untargeted.")
    var targeted: String?
    @OptionGroup var seedOption: SeedOptions
    @Option(help: "Output directory.") var out: String

    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var plugins: PluginOptions
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var bundleLimit: MaxSizeOptions

    func validate() throws {
        if let t = targeted, AttackRun.Targeting(rawValue: t) == nil {
            throw ValidationError("--targeted must be next or random, got '\(t)'")
        }
        try validateOutputDirectory(out)
    }

    func run() throws {
        let registry = try startComputing(threads, memory, bundleLimit, plugins)
        let plugin = try registry.attack(attack)
        let config = try plugin.configuration(try attackParameters.values())
        let attackRun = AttackRun(attack: try plugin.makeAttack(config), targeting: targeted.flatMap(AttackRun.Targeting.init),
                                  seed: seedOption.seed)
        let m = try modelOption.load(registry: registry)
        // --test-limit picks how many test images to attack (default 64).
        var source = data.source
        source.testLimit = source.testLimit ?? 64
        let test = try source.test()
        let bar = ProgressBar("\(attack)", total: test.count)
        let outcome = try attackRun.run(on: m, test) { bar.update($0) }
        let record = AttackRecord(model: modelOption.model, architecture: m.architecture, plugin: plugin, configuration: config,
                                  run: attackRun, outcome: outcome)
        try write(outcome, of: test, record: record, title: "\(plugin.id): \(config.description)")
        print(String(format: "%@ on %d images: clean %.2f%%, adversarial (vs true labels) %.2f%%, %@ success %.2f%%  -> %@",
                     plugin.id, record.examples, 100 * record.cleanAccuracy, 100 * record.robustAccuracy,
                     targeted == nil ? "untargeted" : "targeted", 100 * record.successRate, out))
    }

    /// The run's files in --out: the arrays as .npy, attack.json, and examples.png (originals,
    /// amplified perturbations and adversarial images with predictions, the first 8).
    func write(_ outcome: AttackOutcome, of test: LabeledDataset, record: AttackRecord, title: String) throws {
        let n = test.count
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }
        try NPY.write(outcome.adversarial, to: path("adversarial.npy"))
        try NPY.write(test.images, to: path("original.npy"))
        try NPY.write(test.labels, shape: [n], to: path("labels.npy"))
        if let targets = outcome.targets { try NPY.write(targets, shape: [n], to: path("targets.npy")) }
        try NPY.write(outcome.cleanPredictions, shape: [n], to: path("predictions_clean.npy"))
        try NPY.write(outcome.adversarialPredictions, shape: [n], to: path("predictions_adversarial.npy"))
        try AtomicFile.write(path("attack.json"), data: try prettyJSON(record))
        let shown = Array(0..<min(8, n))
        let names = test.classNames
        func name(_ c: Int) -> String { c < names.count ? names[c] : String(c) }
        let grid = try ImageGrid.attackExamples(
            originals: test.images.gather(shown), adversarial: outcome.adversarial.gather(shown),
            labels: shown.map { i in name(test.labels[i]) + (outcome.targets.map { " -> " + name($0[i]) } ?? "") },
            predictions: shown.map { name(outcome.adversarialPredictions[$0]) },
            title: title)
        try grid.write(to: path("examples.png"))
    }
}

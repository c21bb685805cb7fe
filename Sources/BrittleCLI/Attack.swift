// `brittle attack`: adversarial examples for a slice of the test set, written as float32 .npy
// (never rounded to 8 bits: Documentation/attack-properties.md #13) with their source labels, targets (for targeted
// runs), clean and adversarial predictions, and a JSON summary of the run.
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

    @Option(help: "Run directory written by `brittle train`, a .safetensors checkpoint, or a model bundle FILE.tar.zst (verified as it streams).") var model: String
    @Option(help: "Attack plugin id.") var attack: String
    @Option(name: .customLong("attack-opt"), help: "Attack parameter key=value (repeatable).") var attackOptions: [String] = []
    @Option(help: "Targeted attack toward: next ((y+1) mod C), random (uniform over classes other than y). Default: untargeted.")
    var targeted: String?
    @Option(help: "Seed of random starts and random targets.") var seed: UInt64 = 0
    @Option(help: "Output directory.") var out: String

    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var plugins: PluginOptions
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var bundleLimit: MaxSizeOptions

    func validate() throws {
        if let t = targeted, !["next", "random"].contains(t) {
            throw ValidationError("--targeted must be next or random, got '\(t)'")
        }
        _ = try parsePairs(attackOptions, flag: "--attack-opt")
        try validateOutputDirectory(out)
    }

    func run() throws {
        threads.apply()
        try memory.apply()
        bundleLimit.apply()
        plugins.load()
        let plugin = try Registry.shared.attack(attack)
        let config = try plugin.configuration(try parsePairs(attackOptions, flag: "--attack-opt"))
        let configured = try plugin.makeAttack(config)
        let m = try Checkpoint.load(model)
        try MemoryBudget.current.check(m, use: .inference(batchSize: MemoryBudget.evaluationBatchSize))
        // --test-limit picks how many test images to attack (default 64).
        var test = try data.load(.test)
        let limit = data.testLimit ?? 64
        guard test.imageShape == m.inputShape else {
            throw ValidationError("model expects inputs \(m.inputShape), dataset has \(test.imageShape)")
        }
        if limit < test.count { test = test.subset(Array(0..<limit)) }
        let n = test.count, C = m.classCount
        var targets: [Int]?
        var goal = AttackGoal.untargeted(TrueLabels(test.labels))
        if let rule = targeted {
            var rng = SeededGenerator(seed: seed ^ 0x7A46)
            let t = test.labels.map { y -> Int in
                rule == "next" ? (y + 1) % C : { let r = rng.nextInt(below: C - 1); return r >= y ? r + 1 : r }()
            }
            targets = t
            goal = .targeted(TargetLabels(t))
        }
        let clean = m.predict(test.images)
        let start = Date()
        var adversarial: [Tensor] = []
        var predictions: [Int] = []
        let bar = ProgressBar("\(attack)", total: n)
        var i = 0
        while i < n {
            let j = min(n, i + 250)
            let r = runAttack(configured, on: m, inputs: test.images.slice(i..<j), goal: goal.subset(Array(i..<j)),
                              exampleSeeds: (i..<j).map { seed &+ UInt64($0) })
            adversarial.append(r.inputs)
            predictions += r.predictions
            i = j
            bar.update(i)
        }
        let adv = Tensor.concatenate(adversarial)
        let seconds = Date().timeIntervalSince(start)
        let success: Double
        let correct = (0..<n).filter { clean[$0] == test.labels[$0] }
        if let targets {
            success = Double((0..<n).filter { predictions[$0] == targets[$0] }.count) / Double(n)
        } else {
            success = Double(correct.filter { predictions[$0] != test.labels[$0] }.count) / Double(max(correct.count, 1))
        }
        let robust = Double((0..<n).filter { predictions[$0] == test.labels[$0] }.count) / Double(n)

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }
        try NPY.write(adv, to: path("adversarial.npy"))
        try NPY.write(test.images, to: path("original.npy"))
        try NPY.write(test.labels, shape: [n], to: path("labels.npy"))
        if let targets { try NPY.write(targets, shape: [n], to: path("targets.npy")) }
        try NPY.write(clean, shape: [n], to: path("predictions_clean.npy"))
        try NPY.write(predictions, shape: [n], to: path("predictions_adversarial.npy"))
        let record = AttackRecord(
            model: model, architecture: m.architecture, attack: plugin.id, attackVersion: plugin.version,
            configuration: config.text, threatModel: configured.threatModel, targeted: targeted, examples: n,
            cleanAccuracy: Double(correct.count) / Double(n), robustAccuracy: robust, successRate: success,
            successDefinition: targeted == nil
                ? "fraction of correctly classified examples whose adversarial prediction is wrong"
                : "fraction of all examples whose adversarial prediction equals the target",
            seconds: seconds, seed: seed)
        try writeAtomically(try prettyJSON(record), to: path("attack.json"))
        // Originals, amplified perturbations and adversarial images with predictions (first 8).
        let shown = Array(0..<min(8, n))
        let names = test.classNames
        func name(_ c: Int) -> String { c < names.count ? names[c] : String(c) }
        let grid = try ImageGrid.attackExamples(
            originals: test.images.gather(shown), adversarial: adv.gather(shown),
            labels: shown.map { i in name(test.labels[i]) + (targets.map { " -> " + name($0[i]) } ?? "") },
            predictions: shown.map { name(predictions[$0]) },
            title: "\(plugin.id): \(config.description)")
        try grid.write(to: path("examples.png"))
        print(String(format: "%@ on %d images: clean %.2f%%, adversarial (vs true labels) %.2f%%, %@ success %.2f%%  -> %@",
                     plugin.id, n, 100 * record.cleanAccuracy, 100 * robust, targeted == nil ? "untargeted" : "targeted", 100 * success, out))
    }
}

struct AttackRecord: Codable {
    var model: String
    var architecture: String
    var attack: String
    var attackVersion: String
    var configuration: [String: String]
    var threatModel: ThreatModel
    var targeted: String?
    var examples: Int
    var cleanAccuracy: Double
    var robustAccuracy: Double
    var successRate: Double
    var successDefinition: String
    var seconds: Double
    var seed: UInt64
}

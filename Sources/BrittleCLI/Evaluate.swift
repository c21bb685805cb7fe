// `brittle evaluate`: clean test accuracy of a trained model and, with --attack, robust accuracy
// per epsilon under any attack plugin, with robustness.json and the robust-accuracy curve.
// Options, the epsilon sweep and output only: each row is BrittleExperiments' evaluateRobustness
// (an AttackRun, host-side projection and scoring). The --ensemble path: EvaluateEnsemble.swift.
import ArgumentParser
import BrittleExperiments
import BrittleFigures
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's clean and (--attack, --ensemble) robust test accuracy.",
        discussion: """
            Examples:
              brittle evaluate --model runs/cnn
              brittle evaluate --model runs/cnn --attack pgd-l2 --eps 0.25,0.5,1.0 --steps 20 --test-limit 2000
              brittle evaluate --model runs/cnn --ensemble standard --norm linf --eps 0.03,0.06 --test-limit 1000
            Robust accuracy is measured against the true labels over all examples; attack success \
            is over the examples the model classifies correctly.
            """)

    @OptionGroup var modelOption: ModelOptions

    @Option(help: "Attack plugin id (see `brittle plugins list`).")
    var attack: String?

    // Unconditional: "--eps -1" is a value (and gets the range error), not a missing one.
    @Option(parsing: .unconditional, help: "Comma-separated epsilons (pixel units) to evaluate; default: the attack's own.")
    var eps: String?

    @Option(parsing: .unconditional, help: "Attack steps (for attacks that take `steps`).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Attack restarts (for attacks that take `restarts`).")
    var restarts: Int?

    @OptionGroup var attackParameters: AttackParameterOptions

    @OptionGroup var ensembleOptions: EnsembleOptions

    @OptionGroup var seedOption: SeedOptions

    @Option(help: "Directory for robustness.json and the robust-accuracy-vs-epsilon curve robustness.png (default with --attack: MODEL_DIR/evaluation-ATTACK, or ./evaluation-ATTACK for a file or bundle; with --ensemble: evaluation-ensemble-standard or evaluation-ensemble-ID-ID).")
    var out: String?

    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var plugins: PluginOptions
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var bundleLimit: MaxSizeOptions

    func validate() throws {
        let pairs = try attackParameters.values()
        if let out { try validateOutputDirectory(out) }
        let epsilons = try self.epsilons()
        if ensembleOptions.ensemble != nil { return try validateEnsemble(pairs: pairs, epsilons: epsilons) }
        try ensembleOptions.rejectWithoutEnsemble()
        try rejectContradiction(pairs, "epsilon", epsilons, flag: "--eps")
        try rejectContradiction(pairs, "steps", steps.map { [Double($0)] }, flag: "--steps")
        try rejectContradiction(pairs, "restarts", restarts.map { [Double($0)] }, flag: "--restarts")
    }

    /// --eps as numbers: non-negative and finite, or an error naming the bad item.
    func epsilons() throws -> [Double]? {
        try eps.map { list in
            try list.split(separator: ",", omittingEmptySubsequences: false).map { s -> Double in
                let usage = "epsilons are non-negative numbers in pixel units, separated by commas (e.g. --eps 0.25,0.5,1.0)"
                guard let v = Double(s.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw OptionError("--eps \(list): '\(s)' is not a number; \(usage)")
                }
                guard v >= 0 else { throw OptionError("--eps \(list): \(s) is out of range (negative); \(usage)") }
                return v
            }
        }
    }

    /// A value given both as a dedicated option and as --attack-opt must agree: silently
    /// preferring one would evaluate a different attack than the user asked for.
    func rejectContradiction(_ pairs: [String: String], _ key: String, _ values: [Double]?, flag: String) throws {
        guard let values, let text = pairs[key] else { return }
        guard let v = Double(text), values.allSatisfy({ $0 == v }) else {
            throw OptionError("--attack-opt \(key)=\(text) contradicts \(flag) \(values.map { fmt($0) }.joined(separator: ",")): "
                              + "give the \(key) once, with \(flag) or with --attack-opt \(key)=")
        }
    }

    func fmt(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }

    /// The attack and one configuration per --eps (or its own epsilon), each validated by
    /// making the attack, before any data or model is loaded. Nil without --attack.
    func attackConfigurations(registry: Registry) throws -> (plugin: any AttackPlugin, configurations: [Configuration])? {
        guard let attack else {
            if eps != nil || steps != nil || restarts != nil || !attackParameters.isEmpty {
                throw ValidationError("--eps, --steps, --restarts and --attack-opt need --attack ID")
            }
            return nil
        }
        let p = try registry.attack(attack)
        var text = try attackParameters.values()
        if let steps { text["steps"] = String(steps) }
        if let restarts { text["restarts"] = String(restarts) }
        let epsilons = try self.epsilons()?.map { String($0) } ?? []
        let configurations = try (epsilons.isEmpty ? [nil] : epsilons.map { Optional($0) }).map { e -> Configuration in
            var t = text
            if let e { t["epsilon"] = e }
            let c = try p.configuration(t)
            _ = try p.makeAttack(c)
            return c
        }
        return (p, configurations)
    }

    func run() throws {
        let registry = try startComputing(threads, memory, bundleLimit, plugins)
        if ensembleOptions.ensemble != nil { return try runEnsemble(registry: registry) }
        let sweep = try attackConfigurations(registry: registry)
        let m = try modelOption.load(registry: registry)
        let testSet = try data.source.test()
        try ModelMismatchError.checkInputs(of: m, fit: testSet, role: "test set")
        let start = Date()
        let acc = accuracy(m, on: testSet)
        print(String(format: "model: %@ (%@)\nclean test accuracy: %.2f%% (%d images, %.1fs)",
                     modelOption.model, m.architecture, 100 * acc, testSet.count, Date().timeIntervalSince(start)))
        guard let sweep else { return }
        let (plugin, configurations) = sweep
        var rows: [EvaluationRow] = []
        print("\nattack \(plugin.id) v\(plugin.version)")
        print("epsilon    robust acc   success on correct   seconds   configuration")
        for c in configurations {
            let a = try plugin.makeAttack(c)
            let bar = ProgressBar("\(plugin.id) eps \(c.values["epsilon"].map { "\($0)" } ?? "?")", total: testSet.count)
            let r = evaluateRobustness(m, attack: a, images: testSet.images, labels: testSet.labels, seed: seedOption.seed) { bar.update($0) }
            rows.append(EvaluationRow(attack: plugin.id, attackVersion: plugin.version, configuration: c.text, result: r))
            print(String(format: "%-10@ %9.2f%%   %17.2f%%   %7.1f   %@", "\(a.threatModel.epsilon)" as NSString,
                         100 * r.robustAccuracy, 100 * r.successOnCorrect, r.seconds, c.description))
        }
        let record = EvaluationRecord(model: modelOption.model, architecture: m.architecture, dataset: testSet.name,
                                      examples: testSet.count, cleanAccuracy: acc, rows: rows)
        let norm = try plugin.makeAttack(configurations[0]).threatModel.norm
        try writeRobustness(json: try prettyJSON(record), directoryName: "evaluation-\(plugin.id)",
                            points: rows.map { (Double($0.configuration["epsilon"] ?? "0") ?? 0, Double($0.result.robustAccuracy)) },
                            title: "Robust accuracy under \(plugin.id)", norm: norm, cleanAccuracy: Double(acc),
                            architecture: m.architecture, examples: testSet.count, classCount: m.classCount)
    }

    /// robustness.json (`json`) and robustness.png (robust accuracy against epsilon, with the
    /// clean accuracy at epsilon 0) in --out, default MODEL_DIR/`directoryName` or ./`directoryName`.
    func writeRobustness(json: Data, directoryName: String, points: [(Double, Double)], title: String, norm: Norm,
                         cleanAccuracy: Double, architecture: String, examples: Int, classCount: Int) throws {
        let model = modelOption.model
        var isDirectory: ObjCBool = false
        let modelIsDirectory = FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) && isDirectory.boolValue
        let dir = out ?? (modelIsDirectory ? (model as NSString).appendingPathComponent(directoryName) : directoryName)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let jsonPath = (dir as NSString).appendingPathComponent("robustness.json")
        try AtomicFile.write(jsonPath, data: json)
        let sorted = ([(0.0, cleanAccuracy)] + points).sorted { $0.0 < $1.0 }
        let plot = LinePlot(
            title: "\(title) (\(architecture), \(examples) test images)",
            xAxis: PlotAxis("epsilon (\(norm == .linf ? "Linf" : "L2"), pixel units)", includesZero: true),
            yAxis: PlotAxis("accuracy (%)", range: 0...100),
            series: [.init(architecture, x: sorted.map { $0.0 }, y: sorted.map { 100 * $0.1 })],
            referenceLines: [ReferenceLine(y: 100 / Double(classCount), label: "chance")])
        let plotPath = (dir as NSString).appendingPathComponent("robustness.png")
        try plot.write(to: plotPath)
        print("results: \(jsonPath), curve: \(plotPath)")
    }
}

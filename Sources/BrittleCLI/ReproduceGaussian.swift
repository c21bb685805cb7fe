// `brittle reproduce gaussian`: Section 4 of Ilyas et al. 2019 (the Gaussian model: standard vs
// robust maximum likelihood, metric misalignment, gradient alignment) plus a linear model trained
// by the engine on the same data. Options and output only; the experiment lives in
// BrittleGaussian.
import ArgumentParser
import BrittleExperiments
import BrittleGaussian
import BrittlePlugins
import Foundation

struct ReproduceGaussian: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gaussian",
        abstract: "Reproduce Section 4 of the paper: the Gaussian model, standard vs robust maximum likelihood.",
        discussion: """
            Data y = ±1, x ~ N(y μ*, Σ*) with high- and low-variance directions. Shows, with numbers and \
            figures: (1) the standard classifier's accuracy under an ℓ2 attack collapses because the ℓ2 metric \
            and Σ*'s metric disagree (Theorem 1); (2) robust maximum likelihood learns Σ_r = ½Σ* + (1/λ)I + \
            √((1/λ)Σ* + ¼Σ*²), more isotropic as ε grows, checked against a numerical optimum (Theorem 2); \
            (3) the robust classifier's gradient aligns better with the class means (Theorem 3); and a 2-D \
            picture after Figure 4. Then trains a linear model with Brittle's training loop, clean and with \
            PGD-L2 adversarial training, and compares it with the theory. Writes OUT/report.md, \
            OUT/results.json and OUT/figures/. Seconds to a few minutes on a CPU.
            Example:
              brittle reproduce gaussian --out runs/gaussian
            """)

    @Option(parsing: .unconditional, help: "Dimension d of the data, 2...50: the first ⌈d/2⌉ directions have variance 1, the rest 0.01 (time grows as d³).")
    var dimensions = 10

    @Option(parsing: .unconditional, help: "Budgets ε, comma-separated, non-negative.")
    var epsilons = "0,0.1,0.25,0.5,1,2"

    @Option(parsing: .unconditional, help: "Samples for the standard estimate and the Monte-Carlo checks.")
    var samples = 20_000

    @Option(help: "Seed of every random choice (same seed, same output).")
    var seed: UInt64 = 0

    @Option(help: "Output directory (created if missing).")
    var out = "runs/gaussian"

    @Flag(help: "Skip the engine bridge (no training).")
    var noBridge = false

    @Option(parsing: .unconditional, help: "ℓ2 budget of the bridge's adversarial training and attack.")
    var bridgeEpsilon = 0.5

    @Option(parsing: .unconditional, help: "Epochs of the bridge's training runs.")
    var bridgeEpochs = GaussianBridgeSettings().epochs

    @Option(parsing: .unconditional, help: "Training samples of the bridge.")
    var bridgeSamples = GaussianBridgeSettings().trainSamples

    @Option(parsing: .unconditional, help: "Base learning rate of the bridge's training runs (SGD, momentum 0.9, cosine schedule).")
    var bridgeLearningRate = GaussianBridgeSettings().learningRate

    // Unconditional parsing above, so "--epsilons -1" reaches the range check instead of "missing value".
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var plugins: PluginOptions

    func validate() throws {
        do { try resolvedConfig().validate() } catch let e as GaussianConfigError { throw OptionError(e.description) }
        try validateOutputDirectory(out)
    }

    /// The configuration the options give.
    func resolvedConfig() throws -> GaussianConfig {
        var c = GaussianConfig()
        c.dimensions = dimensions
        c.epsilons = try epsilons.split(separator: ",", omittingEmptySubsequences: false).map { text in
            guard let v = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw GaussianConfigError("--epsilons takes comma-separated numbers, got '\(text)'")
            }
            return v
        }.sorted()
        c.samples = samples
        c.seed = seed
        c.runsBridge = !noBridge
        c.bridge.epsilon = bridgeEpsilon
        c.bridge.epochs = bridgeEpochs
        c.bridge.trainSamples = bridgeSamples
        c.bridge.learningRate = bridgeLearningRate
        return c
    }

    func run() throws {
        threads.apply()
        plugins.load()
        let config = try resolvedConfig()
        let results = try GaussianExperiment.run(config, registry: Registry.shared)
        try GaussianReport.write(results, outputDirectory: out, command: CommandLine.arguments.dropFirst().joined(separator: " "))
        print("")
        for claim in GaussianReport.claims(results) {
            print("\(claim.holds ? "holds          " : "DOES NOT HOLD  ") \(claim.id): \(claim.detail)")
        }
        print("\nreport: \((out as NSString).appendingPathComponent("report.md")) (\(formatDuration(results.seconds)))")
    }
}

// `brittle reproduce gaussian`: the whole Gaussian experiment of Ilyas et al. 2019, Section 4,
// as one function from a configuration to results: the standard estimate from samples, and for
// each ε the robust estimate (closed form and numerical check), the attacked accuracies, the
// misalignment loss and the gradient alignment; then the engine bridge. Not the report
// (GaussianReport.swift) nor the formulas (the other files of this directory).
import BrittlePlugins
import BrittleExperiments
import Foundation

/// What the experiment runs.
public struct GaussianConfig: Codable, Sendable, Equatable {
    /// d, the dimension of the default model (GaussianModel.standard).
    public var dimensions = 10
    /// The budgets ε, ascending; 0 is the standard estimate.
    public var epsilons: [Double] = [0, 0.1, 0.25, 0.5, 1, 2]
    /// Examples of the Monte-Carlo checks and of the standard maximum-likelihood estimate.
    public var samples = 20_000
    /// Seeds every random choice.
    public var seed: UInt64 = 0
    /// Whether to train the engine's linear models (the bridge).
    public var runsBridge = true
    /// The bridge's settings.
    public var bridge = GaussianBridgeSettings()

    /// The default configuration.
    public init() {}

    /// Throws a GaussianConfigError naming the first setting that cannot work.
    public func validate() throws {
        // The numerical check costs O(d³) per step: d = 40 takes about 3 minutes in a debug build.
        guard dimensions >= 2 && dimensions <= 50 else { throw GaussianConfigError("--dimensions must be in 2...50, got \(dimensions)") }
        guard !epsilons.isEmpty else { throw GaussianConfigError("--epsilons needs at least one value") }
        for e in epsilons where !(e >= 0 && e.isFinite) {
            throw GaussianConfigError("--epsilons must be finite and non-negative, got \(e)")
        }
        guard samples >= 100 else { throw GaussianConfigError("--samples must be at least 100, got \(samples)") }
        guard bridge.epsilon > 0 && bridge.epsilon.isFinite else {
            throw GaussianConfigError("--bridge-epsilon must be finite and positive, got \(bridge.epsilon)")
        }
        guard bridge.learningRate > 0 && bridge.learningRate.isFinite else {
            throw GaussianConfigError("--bridge-learning-rate must be finite and positive, got \(bridge.learningRate)")
        }
        guard bridge.epochs >= 1 else { throw GaussianConfigError("--bridge-epochs must be at least 1, got \(bridge.epochs)") }
        guard bridge.trainSamples >= bridge.batchSize && bridge.testSamples >= 100 else {
            throw GaussianConfigError("--bridge-samples must be at least \(max(bridge.batchSize, 100)), got \(bridge.trainSamples)")
        }
    }
}

/// A configuration that cannot work.
public struct GaussianConfigError: Error, CustomStringConvertible {
    /// What is wrong, naming the option.
    public var description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }
}

/// The results for one budget ε.
public struct GaussianEpsilonResult: Codable, Sendable {
    /// ε.
    public var epsilon: Double
    /// t = 1/λ of Theorem 2 for this ε.
    public var inverseLambda: Double
    /// The robust estimate in closed form (μ*, Σ_r).
    public var robust: GaussianEstimate
    /// Eigenvalues of Σ_r, ascending.
    public var robustEigenvalues: [Double]
    /// cond(Σ_r).
    public var conditionNumber: Double
    /// tr Σ_r / (sqrt(d) ‖Σ_r‖_F): 1 for a multiple of the identity.
    public var cosineToIdentity: Double
    /// Eigenvalues of the numerical minimiser of the robust objective, ascending.
    public var numericalEigenvalues: [Double]
    /// ‖Σ_numerical - Σ_r‖_F / ‖Σ_r‖_F.
    public var numericalCovarianceError: Double
    /// ‖μ_numerical - μ*‖.
    public var numericalMeanError: Double
    /// Steps the numerical minimiser took.
    public var numericalSteps: Int
    /// The standard classifier's accuracy under the worst-case ℓ2 attack of size ε (closed form).
    public var standardAttacked: Double
    /// The same, measured on samples with the exact worst-case perturbation.
    public var standardAttackedMeasured: Double
    /// The robust classifier's (Σ_r⁻¹μ*) accuracy under the same attack (closed form).
    public var robustAttacked: Double
    /// The same, measured on samples.
    public var robustAttackedMeasured: Double
    /// The robust classifier's clean accuracy (closed form).
    public var robustClean: Double
    /// ℓ2 distance from μ* to the standard classifier's boundary.
    public var standardMargin: Double
    /// ℓ2 distance from μ* to the robust classifier's boundary.
    public var robustMargin: Double
    /// C of Theorem 1's adversary with root-mean-square perturbation ε against (μ*, Σ*) (0 at ε = 0).
    public var multiplier: Double
    /// Theorem 1's loss increase for Σ* at that C.
    public var lossIncrease: Double
    /// The same increase measured on samples.
    public var lossIncreaseMeasured: Double
    /// The increase for the isotropic covariance of the same trace, at the same C.
    public var isotropicLossIncrease: Double
    /// cos(∇f_r, μ*) of the robust classifier.
    public var gradientCosine: Double
    /// Worst case over μ of that cosine, 2√κ / (1 + κ).
    public var worstCaseGradientCosine: Double
}

/// Everything `brittle reproduce gaussian` measured.
public struct GaussianResults: Codable, Sendable {
    /// The configuration.
    public var config: GaussianConfig
    /// The data model (μ*, Σ*).
    public var model: GaussianModel
    /// The standard maximum-likelihood estimate from `config.samples` examples.
    public var standard: GaussianEstimate
    /// ‖μ̂ - μ*‖ of that estimate.
    public var standardMeanError: Double
    /// ‖Σ̂ - Σ*‖_F / ‖Σ*‖_F of that estimate.
    public var standardCovarianceError: Double
    /// One entry per ε.
    public var epsilons: [GaussianEpsilonResult]
    /// The engine's trained linear models (empty without the bridge).
    public var bridge: [GaussianBridgeModel]
    /// Wall-clock seconds of the run.
    public var seconds: Double
}

/// Runs the Gaussian experiment.
public enum GaussianExperiment {
    /// Runs `config` (validated first); `registry` provides pgd-l2 for the bridge.
    public static func run(_ config: GaussianConfig, registry: Registry) throws -> GaussianResults {
        try config.validate()
        let start = Date()
        let model = GaussianModel.standard(dimensions: config.dimensions)
        let sample = model.sample(count: config.samples, seed: config.seed)
        let standard = standardMLE(sample)
        let standardClassifier = model.bayesClassifier
        let isotropic = GaussianMatrix.identity(model.dimensions, scale: model.covariance.trace / Double(model.dimensions))
        var rows: [GaussianEpsilonResult] = []
        for (k, epsilon) in config.epsilons.enumerated() {
            note(String(format: "[gaussian] ε = %g: robust estimate, numerical check, attacks", epsilon))
            let t = RobustMLE.inverseLambda(model.covariance, epsilon: epsilon)
            let robust = RobustMLE.estimate(model, epsilon: epsilon)
            let numerical = RobustObjective(model: model, inverseLambda: t).minimize(seed: config.seed &+ UInt64(100 + k))
            let robustClassifier = robust.classifier
            let C = epsilon > 0 ? MisalignmentLoss.multiplier(model.covariance, epsilon: epsilon) : 0
            let eigen = robust.covariance.symmetricEigen.values
            rows.append(GaussianEpsilonResult(
                epsilon: epsilon, inverseLambda: t, robust: robust, robustEigenvalues: eigen,
                conditionNumber: Isotropy.conditionNumber(robust.covariance),
                cosineToIdentity: Isotropy.cosineToIdentity(robust.covariance),
                numericalEigenvalues: numerical.estimate.covariance.symmetricEigen.values,
                numericalCovarianceError: (numerical.estimate.covariance - robust.covariance).frobeniusNorm / robust.covariance.frobeniusNorm,
                numericalMeanError: vectorNorm(zip(numerical.estimate.mean, model.mean).map { $0 - $1 }),
                numericalSteps: numerical.steps,
                standardAttacked: standardClassifier.robustAccuracy(on: model, epsilon: epsilon),
                standardAttackedMeasured: standardClassifier.robustAccuracy(on: sample, epsilon: epsilon),
                robustAttacked: robustClassifier.robustAccuracy(on: model, epsilon: epsilon),
                robustAttackedMeasured: robustClassifier.robustAccuracy(on: sample, epsilon: epsilon),
                robustClean: robustClassifier.robustAccuracy(on: model, epsilon: 0),
                standardMargin: standardClassifier.meanMargin(on: model), robustMargin: robustClassifier.meanMargin(on: model),
                multiplier: C,
                lossIncrease: C > 0 ? MisalignmentLoss.increase(model.covariance, multiplier: C) : 0,
                lossIncreaseMeasured: C > 0 ? MisalignmentLoss.measuredIncrease(model, multiplier: C, sample: sample) : 0,
                isotropicLossIncrease: C > 0 ? MisalignmentLoss.increase(isotropic, multiplier: C) : 0,
                gradientCosine: GradientAlignment.cosine(robust, model: model),
                worstCaseGradientCosine: GradientAlignment.worstCaseCosine(robust.covariance)))
        }
        var bridge: [GaussianBridgeModel] = []
        if config.runsBridge {
            note(String(format: "[gaussian] bridge: standard and PGD-L2 (ε = %g) training of a linear model", config.bridge.epsilon))
            bridge = try GaussianBridge.run(model, settings: config.bridge, registry: registry, seed: config.seed &+ 7)
        }
        return GaussianResults(
            config: config, model: model, standard: standard,
            standardMeanError: vectorNorm(zip(standard.mean, model.mean).map { $0 - $1 }),
            standardCovarianceError: (standard.covariance - model.covariance).frobeniusNorm / model.covariance.frobeniusNorm,
            epsilons: rows, bridge: bridge, seconds: Date().timeIntervalSince(start))
    }
}

// The output of `brittle reproduce gaussian`: results.json, figures/ and report.md in the output
// directory, with the claims of Ilyas et al. 2019, Section 4, each checked against the numbers.
// Not the computation (GaussianExperiment.swift) nor the drawing (GaussianFigures.swift).
import BrittleIO
import BrittleExperiments
import Foundation

/// One claim of the paper's Section 4 and whether the run's numbers support it.
public struct GaussianClaim: Codable, Sendable {
    /// Short id, e.g. "misalignment".
    public var id: String
    /// Whether the numbers support it.
    public var holds: Bool
    /// The numbers behind the verdict.
    public var detail: String
}

/// Writes and renders the report.
public enum GaussianReport {
    /// The claims, checked on `r`.
    public static func claims(_ r: GaussianResults) -> [GaussianClaim] {
        let rows = r.epsilons
        let attacked = rows.filter { $0.epsilon > 0 }
        var out: [GaussianClaim] = []
        let beats = attacked.allSatisfy { $0.robustAttacked > $0.standardAttacked }
        let worst = attacked.max { $0.epsilon < $1.epsilon }
        out.append(GaussianClaim(
            id: "misalignment", holds: beats && attacked.allSatisfy { $0.lossIncrease > $0.isotropicLossIncrease },
            detail: worst.map {
                String(format: "at ε = %g the standard classifier keeps %.1f%% under attack, the robust one %.1f%%; Theorem 1's loss increase is %.3g for Σ* vs %.3g for the isotropic Σ of the same trace",
                       $0.epsilon, 100 * $0.standardAttacked, 100 * $0.robustAttacked, $0.lossIncrease, $0.isotropicLossIncrease)
            } ?? "no ε > 0"))
        let maxError = rows.map(\.numericalCovarianceError).max() ?? 0
        let kappas = rows.map(\.conditionNumber)
        out.append(GaussianClaim(
            id: "robust-covariance", holds: maxError < 1e-6 && strictlyDecreasing(kappas, along: rows.map(\.epsilon)),
            detail: String(format: "cond(Σ_r) %@ over ε = %@; largest relative gap to the numerical optimum %.1e",
                           kappas.map { String(format: "%.3g", $0) }.joined(separator: " → "),
                           rows.map { String(format: "%g", $0.epsilon) }.joined(separator: ", "), maxError)))
        let cosines = rows.map(\.worstCaseGradientCosine)
        out.append(GaussianClaim(
            id: "gradient-alignment",
            holds: strictlyDecreasing(cosines.map { -$0 }, along: rows.map(\.epsilon))
                && strictlyDecreasing(rows.map { -$0.gradientCosine }, along: rows.map(\.epsilon)),
            detail: String(format: "cos(∇f, μ*) %@; worst case over μ %@",
                           rows.map { String(format: "%.3f", $0.gradientCosine) }.joined(separator: " → "),
                           cosines.map { String(format: "%.3f", $0) }.joined(separator: " → "))))
        if let s = r.bridge.first(where: { $0.name == "standard" }), let a = r.bridge.first(where: { $0.name == "adversarial" }) {
            let agree = r.bridge.allSatisfy { abs($0.attackedAccuracy - $0.attackedAccuracyClosedForm) <= 4 * $0.standardError + 0.002 }
            out.append(GaussianClaim(
                id: "engine-bridge",
                holds: s.cosineToStandardTheory >= 0.99 && a.cosineToRobustTheory > a.cosineToStandardTheory && agree,
                detail: String(format: "standard training: cos(w, Σ*⁻¹μ*) = %.3f; PGD training: cos(w, Σ_r⁻¹μ*) = %.3f vs cos(w, Σ*⁻¹μ*) = %.3f; engine PGD accuracy vs closed form %.1f%%/%.1f%% and %.1f%%/%.1f%%",
                               s.cosineToStandardTheory, a.cosineToRobustTheory, a.cosineToStandardTheory,
                               100 * s.attackedAccuracy, 100 * s.attackedAccuracyClosedForm,
                               100 * a.attackedAccuracy, 100 * a.attackedAccuracyClosedForm)))
        }
        return out
    }

    /// Whether `values` fall strictly as `epsilons` rise (ties in ε ignored).
    static func strictlyDecreasing(_ values: [Double], along epsilons: [Double]) -> Bool {
        let order = epsilons.indices.sorted { epsilons[$0] < epsilons[$1] }
        return zip(order, order.dropFirst()).allSatisfy { epsilons[$0] == epsilons[$1] || values[$1] < values[$0] }
    }

    /// Writes results.json, figures/*.png and report.md into `out` (created if missing).
    public static func write(_ r: GaussianResults, outputDirectory out: String, command: String) throws {
        let figures = (out as NSString).appendingPathComponent("figures")
        try FileManager.default.createDirectory(atPath: figures, withIntermediateDirectories: true)
        func figure(_ name: String) -> String { (figures as NSString).appendingPathComponent(name) }
        try GaussianFigures.attackedAccuracy(r, to: figure("attacked-accuracy.png"))
        try GaussianFigures.robustCovariance(r, to: figure("robust-covariance.png"))
        try GaussianFigures.gradientAlignment(r, to: figure("gradient-alignment.png"))
        try GaussianFigures.twoDimensional(r, to: figure("gaussian-2d.png"))
        try AtomicFile.write((out as NSString).appendingPathComponent("results.json"), data: ReproductionReport.resultsEncoder.encode(r))
        try AtomicFile.write((out as NSString).appendingPathComponent("report.md"), data: Data(markdown(r, command: command).utf8))
    }

    static func percent(_ v: Double) -> String { String(format: "%.2f%%", 100 * v) }

    /// The report as markdown.
    public static func markdown(_ r: GaussianResults, command: String) -> String {
        let d = r.config.dimensions
        let variances = r.model.covariance.diagonal
        var md = """
            # The Gaussian model of Ilyas et al. 2019, Section 4

            Command: `brittle \(command)` (seed \(r.config.seed), \(String(format: "%.1f", r.seconds)) s).
            Data: y = ±1, x ~ N(y μ*, Σ*) in d = \(d) dimensions, Σ* = diag(\(variances.map { String(format: "%g", $0) }.joined(separator: ", "))), \
            μ* = (\(r.model.mean.map { String(format: "%g", $0) }.joined(separator: ", "))): every direction has the same \
            signal-to-noise ratio, the low-variance ones with a 10x smaller ℓ2 scale.

            ## Claims

            """
        for c in claims(r) { md += "- **\(c.holds ? "holds" : "DOES NOT HOLD")** \(c.id): \(c.detail)\n" }
        md += """

            ## Standard maximum likelihood

            From \(r.config.samples) samples: ‖μ̂ − μ*‖ = \(String(format: "%.4f", r.standardMeanError)), \
            ‖Σ̂ − Σ*‖_F / ‖Σ*‖_F = \(String(format: "%.4f", r.standardCovarianceError)). The classifier it induces is \
            sign(wᵀx) with w = Σ⁻¹μ; with the true parameters its ℓ2 margin at the class mean is \
            \(String(format: "%.3f", r.epsilons.first?.standardMargin ?? .nan)).

            ## 1. Vulnerability from metric misalignment

            Accuracy under the exact worst-case ℓ2 attack (closed form Φ((wᵀμ* − ε‖w‖)/√(wᵀΣ*w)), and measured on the \
            \(r.config.samples) samples with δ = −εy w/‖w‖), and Theorem 1's loss increase \
            ½ tr[(I + (CΣ* − I)⁻¹)² − I] for the adversary max ℓ(x+δ) − (C/2)‖δ‖² whose RMS perturbation is ε.

            | ε | standard: closed form | measured | robust (trained at ε): closed form | measured | robust clean | loss increase Σ* | measured | isotropic Σ |
            |---|---|---|---|---|---|---|---|---|

            """
        for e in r.epsilons {
            md += "| \(String(format: "%g", e.epsilon)) | \(percent(e.standardAttacked)) | \(percent(e.standardAttackedMeasured)) | \(percent(e.robustAttacked)) | "
                + "\(percent(e.robustAttackedMeasured)) | \(percent(e.robustClean)) | \(String(format: "%.4g", e.lossIncrease)) | "
                + "\(String(format: "%.4g", e.lossIncreaseMeasured)) | \(String(format: "%.4g", e.isotropicLossIncrease)) |\n"
        }
        md += """

            ![accuracy under attack](figures/attacked-accuracy.png)

            ## 2. Robust learning: Σ_r moves toward the identity

            Theorem 2: μ_r = μ*, Σ_r = ½Σ* + (1/λ)I + √((1/λ)Σ* + ¼Σ*²); λ is set so the adversary's RMS perturbation is ε. \
            "numerical" is the minimiser of the robust objective over all (μ, Σ) from a random full start.

            | ε | 1/λ | λmin(Σ_r) | λmax(Σ_r) | cond(Σ_r) | cos(Σ_r, I) | numerical: relative gap | ‖μ − μ*‖ | steps |
            |---|---|---|---|---|---|---|---|---|

            """
        for e in r.epsilons {
            md += String(format: "| %g | %.4g | %.4g | %.4g | %.3f | %.4f | %.1e | %.1e | %d |\n", e.epsilon, e.inverseLambda,
                         e.robustEigenvalues.first!, e.robustEigenvalues.last!, e.conditionNumber, e.cosineToIdentity,
                         e.numericalCovarianceError, e.numericalMeanError, e.numericalSteps)
        }
        md += """

            ![robust covariance](figures/robust-covariance.png)

            ## 3. Gradient alignment

            | ε | cos(∇f, μ*) | worst case over μ, 2√κ/(1+κ) | ℓ2 margin at μ* |
            |---|---|---|---|

            """
        for e in r.epsilons {
            md += String(format: "| %g | %.4f | %.4f | %.4f |\n", e.epsilon, e.gradientCosine, e.worstCaseGradientCosine, e.robustMargin)
        }
        md += """

            ![gradient alignment](figures/gradient-alignment.png)

            ## Two dimensions (after the paper's Figure 4)

            Σ* = diag(1, 0.01), μ* = (1, 0.1): solid = standard, dashed = robust (boundary and 1-sd ellipses around ±μ*).

            ![2-D](figures/gaussian-2d.png)

            """
        if !r.bridge.isEmpty {
            let b = r.config.bridge
            md += """
                ## The engine: a linear model trained by Brittle

                \(b.trainSamples) training and \(b.testSamples) held-out samples, \(b.epochs) epochs of SGD (batch \(b.batchSize), \
                learning rate \(b.learningRate)), PGD-L2 with \(b.attackSteps) steps at ε = \(b.epsilon) for training and for the attack. \
                w = W₊ − W₋ of the two logits. The theory under the same attack: Σ*⁻¹μ* keeps \
                \(percent(r.model.bayesClassifier.robustAccuracy(on: r.model, epsilon: b.epsilon))), Σ_r⁻¹μ* keeps \
                \(percent(RobustMLE.estimate(r.model, epsilon: b.epsilon).classifier.robustAccuracy(on: r.model, epsilon: b.epsilon))).

                | training | cos(w, Σ*⁻¹μ*) | cos(w, Σ_r⁻¹μ*) | cos(w, μ*) | clean | PGD accuracy | closed form for w | seconds |
                |---|---|---|---|---|---|---|---|

                """
            for m in r.bridge {
                md += String(format: "| %@ | %.4f | %.4f | %.4f | %@ | %@ | %@ ± %@ | %.1f |\n", m.name, m.cosineToStandardTheory,
                             m.cosineToRobustTheory, m.cosineToMeans, percent(m.cleanAccuracy), percent(m.attackedAccuracy),
                             percent(m.attackedAccuracyClosedForm), percent(m.standardError), m.seconds)
            }
        }
        return md
    }
}

// Gradient alignment (Ilyas et al. 2019, Theorem 3): the classifier of an estimate (μ, Σ) is
// the log-likelihood ratio f(x) = 2 μᵀΣ⁻¹x, so its input gradient is the constant 2Σ⁻¹μ. Its
// cosine with the direction between the class means (μ*) is 1 when Σ is isotropic; the worst
// case over all μ is 2√κ / (1 + κ) for κ = cond(Σ) (Kantorovich), which rises as robust training
// makes Σ more isotropic. Not the estimates themselves (StandardMLE.swift, RobustMLE.swift).
import BrittleExperiments
import Foundation

/// Cosines between a Gaussian classifier's input gradient and the direction between the means.
public enum GradientAlignment {
    /// cos(∇f, μ*) = cos(Σ⁻¹μ, μ*) for the estimate's (μ, Σ) and the model's μ*.
    public static func cosine(_ estimate: GaussianEstimate, model: GaussianModel) -> Double {
        BrittleGaussian.cosine(estimate.classifier.weights, model.mean)
    }

    /// min over μ of cos(Σ⁻¹μ, μ) = 2√κ / (1 + κ), κ = λmax(Σ) / λmin(Σ): the alignment
    /// Theorem 3 compares between the standard and the robust classifier.
    public static func worstCaseCosine(_ covariance: GaussianMatrix) -> Double {
        let kappa = Isotropy.conditionNumber(covariance)
        return 2 * kappa.squareRoot() / (1 + kappa)
    }
}

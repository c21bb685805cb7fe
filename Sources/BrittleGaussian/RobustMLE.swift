// Robust maximum likelihood for the Gaussian model in closed form (Ilyas et al. 2019, Theorem 2):
// μ_r = μ* and Σ_r = ½Σ* + (1/λ)I + sqrt((1/λ)Σ* + ¼Σ*²), the minimiser of the robust
// objective when the adversary maximises ℓ(x + δ) - (λ/2)‖δ‖² (the Lagrangian form of the ℓ2
// ball). λ is set from ε here so that this adversary's root-mean-square perturbation is ε.
// Not the numerical check of the same optimum (RobustObjective.swift).
import BrittleExperiments
import Foundation

/// Theorem 2's robust estimate, and the map between the budget ε and the multiplier λ.
///
/// Derivation (per eigenvalue s of Σ*, σ of Σ, with t = 1/λ): the adversary's best response to
/// v = x - yμ is δ = (λI - Σ⁻¹)⁻¹ Σ⁻¹ v, which turns the objective into
/// ½ tr((Σ - tI)⁻¹ Σ*) + ½ log det Σ (for Σ ≻ tI). Setting its derivative to zero gives
/// (σ - t)² = s σ, whose root above t is σ = s/2 + t + sqrt(t s + s²/4). At ε = 0, t = 0 and
/// Σ_r = Σ*; as t grows every eigenvalue gains about t, so Σ_r becomes more isotropic.
public enum RobustMLE {
    /// Σ_r for the multiplier λ = 1 / `inverseLambda` (0 gives Σ* itself).
    public static func covariance(_ sigmaStar: GaussianMatrix, inverseLambda t: Double) -> GaussianMatrix {
        sigmaStar.applying { s in s / 2 + t + (t * s + s * s / 4).squareRoot() }
    }

    /// The root-mean-square ℓ2 norm of the Lagrangian adversary's perturbation
    /// δ = (λI - M)⁻¹ M v against the robust estimate Σ_r(λ) (M = Σ_r⁻¹), for v ~ N(0, Σ*):
    /// sqrt(tr(A Σ* A)) with A = (λI - M)⁻¹ M = t (Σ_r - tI)⁻¹.
    public static func perturbationNorm(_ sigmaStar: GaussianMatrix, inverseLambda t: Double) -> Double {
        guard t > 0 else { return 0 }
        let A = covariance(sigmaStar, inverseLambda: t).applying { sigma in t / (sigma - t) }
        return max(0, (A * sigmaStar * A).trace).squareRoot()
    }

    /// The t = 1/λ whose adversary has root-mean-square perturbation `epsilon` (0 for ε = 0).
    /// The norm grows strictly with t (from 0 towards infinity), so bisection finds it.
    public static func inverseLambda(_ sigmaStar: GaussianMatrix, epsilon: Double) -> Double {
        precondition(epsilon >= 0 && epsilon.isFinite, "RobustMLE: ε must be finite and non-negative")
        guard epsilon > 0 else { return 0 }
        var low = 0.0, high = 1e-6
        while perturbationNorm(sigmaStar, inverseLambda: high) < epsilon {
            low = high
            high *= 2
        }
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if perturbationNorm(sigmaStar, inverseLambda: mid) < epsilon { low = mid } else { high = mid }
            if high - low <= 1e-15 * high { break }
        }
        return (low + high) / 2
    }

    /// The robust estimate (μ*, Σ_r) of `model` for budget ε.
    public static func estimate(_ model: GaussianModel, epsilon: Double) -> GaussianEstimate {
        let t = inverseLambda(model.covariance, epsilon: epsilon)
        return GaussianEstimate(mean: model.mean, covariance: covariance(model.covariance, inverseLambda: t))
    }
}

/// How far a covariance is from a multiple of the identity.
public enum Isotropy {
    /// The condition number λmax / λmin (1 for a multiple of the identity).
    public static func conditionNumber(_ sigma: GaussianMatrix) -> Double {
        let values = sigma.symmetricEigen.values
        return values.last! / values.first!
    }

    /// The cosine between Σ and I as vectors of entries, tr Σ / (sqrt(d) ‖Σ‖_F) (1 for a multiple of I).
    public static func cosineToIdentity(_ sigma: GaussianMatrix) -> Double {
        sigma.trace / (Double(sigma.n).squareRoot() * sigma.frobeniusNorm)
    }
}

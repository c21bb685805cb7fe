// Vulnerability from metric misalignment (Ilyas et al. 2019, Theorem 1): the increase of the
// negative log-likelihood of the standard estimate (μ*, Σ*) when an adversary maximises
// ℓ(x + δ) - (C/2)‖δ‖², in closed form, ½ tr[(I + (CΣ* - I)⁻¹)² - I] (the paper states
// tr[(I + (CΣ* - I)⁻¹)²] - d for a likelihood without our factor ½). Small when Σ* is
// isotropic, large when Σ* has low-variance directions, since the ℓ2 adversary then gains much.
// Not the accuracy under attack (LinearClassifier.swift).
import BrittleExperiments
import Foundation

/// The Lagrangian adversary against the standard estimate, and the loss it adds.
public enum MisalignmentLoss {
    /// ½ tr[(I + (CΣ - I)⁻¹)² - I] for C > 1 / λmin(Σ); the estimate is (μ*, Σ) and the data Σ.
    public static func increase(_ sigma: GaussianMatrix, multiplier C: Double) -> Double {
        0.5 * sigma.applying { s in
            let r = 1 + 1 / (C * s - 1)
            return r * r - 1
        }.trace
    }

    /// The root-mean-square norm of that perturbation when v ~ N(0, Σ).
    public static func perturbationNorm(_ sigma: GaussianMatrix, multiplier C: Double) -> Double {
        sigma.applying { s in s / ((C * s - 1) * (C * s - 1)) }.trace.squareRoot()
    }

    /// The multiplier C whose adversary has root-mean-square perturbation `epsilon` (ε > 0).
    /// The norm falls strictly from infinity (C → 1/λmin) to 0 (C → ∞), so bisection finds it.
    public static func multiplier(_ sigma: GaussianMatrix, epsilon: Double) -> Double {
        precondition(epsilon > 0 && epsilon.isFinite, "MisalignmentLoss: ε must be positive")
        let floor = 1 / sigma.symmetricEigen.values.first!
        var low = floor, high = 2 * floor
        while perturbationNorm(sigma, multiplier: high) > epsilon { high *= 2 }
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if perturbationNorm(sigma, multiplier: mid) > epsilon { low = mid } else { high = mid }
            if high - low <= 1e-15 * high { break }
        }
        return (low + high) / 2
    }

    /// The same increase measured on `sample` of the model (μ*, Σ): the mean of
    /// ℓ(x + δ) - ℓ(x) with each example's own best response δ = (CI - Σ⁻¹)⁻¹ Σ⁻¹ v, v = x - yμ*.
    public static func measuredIncrease(_ model: GaussianModel, multiplier C: Double, sample: GaussianSample) -> Double {
        let precision = model.covariance.inverse
        let response = model.covariance.applying { s in 1 / (C * s - 1) }
        let d = model.dimensions
        var total = 0.0
        for (x, y) in zip(sample.inputs, sample.labels) {
            let v = (0..<d).map { x[$0] - Double(y) * model.mean[$0] }
            let moved = zip(v, response * v).map(+)
            total += 0.5 * (vectorDot(moved, precision * moved) - vectorDot(v, precision * v))
        }
        return total / Double(sample.count)
    }
}

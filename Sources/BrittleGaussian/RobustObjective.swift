// The check on Theorem 2: the robust objective of the Gaussian model minimised numerically over
// ALL (μ, Σ), Σ a full symmetric positive-definite matrix started away from Σ*'s eigenbasis, so
// neither the alignment with Σ*, nor μ_r = μ*, nor the choice of root is assumed. Not the closed
// form (RobustMLE.swift); the two must agree.
import BrittleNN
import BrittleExperiments
import Foundation

/// The population robust objective under the Lagrangian adversary with multiplier λ = 1/t:
///
///     R(μ, Σ) = E[ max_δ ℓ(x + δ, y; μ, Σ) - (λ/2)‖δ‖² ]
///             = ½ tr((Σ - tI)⁻¹ (Σ* + ΔΔᵀ)) + ½ log det Σ + (d/2) log 2π,   Δ = μ - μ*,
///
/// finite only for Σ ≻ tI (below that the adversary's gain is unbounded). The inner maximum is
/// exact (δ = (λI - Σ⁻¹)⁻¹ Σ⁻¹ v); the expectation over x ~ N(yμ*, Σ*) is exact too.
public struct RobustObjective: Sendable {
    /// The data model (μ*, Σ*).
    public var model: GaussianModel
    /// t = 1/λ (0: the standard negative log-likelihood).
    public var inverseLambda: Double

    /// The objective for `model` and multiplier 1 / `inverseLambda`.
    public init(model: GaussianModel, inverseLambda: Double) {
        self.model = model
        self.inverseLambda = inverseLambda
    }

    /// Σ* + ΔΔᵀ: the second moment of v = x - yμ.
    func secondMoment(_ mean: [Double]) -> GaussianMatrix {
        let delta = zip(mean, model.mean).map { $0 - $1 }
        var S = model.covariance
        for i in 0..<delta.count { for j in 0..<delta.count { S[i, j] += delta[i] * delta[j] } }
        return S
    }

    /// R(μ, Σ), or +infinity outside Σ ≻ tI.
    public func value(mean: [Double], covariance sigma: GaussianMatrix) -> Double {
        let d = sigma.n
        let P = sigma - GaussianMatrix.identity(d, scale: inverseLambda)
        guard P.isPositiveDefinite, let logDet = sigma.logDeterminant else { return .infinity }
        return 0.5 * (P.inverse * secondMoment(mean)).trace + 0.5 * logDet + 0.5 * Double(d) * log(2 * Double.pi)
    }

    /// Result of `minimize`.
    public struct Minimum: Sendable {
        /// The minimising (μ, Σ).
        public var estimate: GaussianEstimate
        /// R at the minimum.
        public var value: Double
        /// Steps taken.
        public var steps: Int
        /// The size of the last step's direction relative to Σ (below `tolerance` when converged).
        public var residual: Double
    }

    /// Minimises R from a random start (seeded): μ₀ ~ N(0, I), Σ = tI + P₀ with P₀ a random
    /// full positive-definite matrix. Each step moves P = Σ - tI along the affine-invariant
    /// descent direction -P (∂R/∂P) P = ½(Σ* + ΔΔᵀ) - ½ P Σ⁻¹ P and μ along -P ∂R/∂μ = -Δ,
    /// with a step length that halves until R decreases and P stays positive definite.
    public func minimize(seed: UInt64, maxSteps: Int = 5_000, tolerance: Double = 1e-9) -> Minimum {
        let d = model.dimensions
        var rng = SeededGenerator(seed: seed)
        var mean = (0..<d).map { _ in Double(rng.nextNormal()) }
        let A = GaussianMatrix(n: d, entries: (0..<(d * d)).map { _ in Double(rng.nextNormal()) })
        var P = (1 / Double(d)) * (A * A.transposed) + GaussianMatrix.identity(d, scale: 0.5)
        let tI = GaussianMatrix.identity(d, scale: inverseLambda)
        var current = value(mean: mean, covariance: tI + P)
        var eta = 0.5
        var residual = Double.infinity
        var steps = 0
        while steps < maxSteps {
            steps += 1
            let sigma = tI + P
            let direction = (0.5 * secondMoment(mean) - 0.5 * (P * sigma.inverse * P)).symmetrized
            residual = direction.frobeniusNorm / P.frobeniusNorm + vectorNorm(zip(mean, model.mean).map { $0 - $1 })
            if residual < tolerance { break }
            var accepted = false
            while eta > 1e-12 {
                let candidateP = (P + eta * direction).symmetrized
                let candidateMean = zip(mean, model.mean).map { $0 - eta * ($0 - $1) }
                let v = candidateP.isPositiveDefinite ? value(mean: candidateMean, covariance: tI + candidateP) : .infinity
                if v <= current {
                    (P, mean, current, accepted) = (candidateP, candidateMean, v, true)
                    eta = min(1, eta * 1.5)
                    break
                }
                eta /= 2
            }
            if !accepted { break }
        }
        return Minimum(estimate: GaussianEstimate(mean: mean, covariance: tI + P), value: current, steps: steps, residual: residual)
    }
}

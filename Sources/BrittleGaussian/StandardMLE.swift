// Standard maximum likelihood for the Gaussian model of Ilyas et al. 2019, Section 4: the
// estimates (μ, Σ) that minimise the mean negative log-likelihood
// ℓ(x, y; μ, Σ) = ½ (x - yμ)ᵀ Σ⁻¹ (x - yμ) + ½ log det Σ + (d/2) log 2π. Closed form:
// μ = mean of y·x, Σ = mean of (x - yμ)(x - yμ)ᵀ. Not the robust estimate (RobustMLE.swift).
import BrittleExperiments
import Foundation

/// Estimated parameters (μ, Σ) of the Gaussian model, and the classifier they induce.
public struct GaussianEstimate: Codable, Sendable, Equatable {
    /// μ: the estimated mean of class +1.
    public var mean: [Double]
    /// Σ: the estimated shared covariance.
    public var covariance: GaussianMatrix

    /// An estimate with these parameters.
    public init(mean: [Double], covariance: GaussianMatrix) {
        self.mean = mean
        self.covariance = covariance
    }

    /// The classifier the estimate induces: the sign of the log-likelihood ratio
    /// log p(x | +1) - log p(x | -1) = 2 μᵀ Σ⁻¹ x, i.e. w = Σ⁻¹ μ, no bias.
    public var classifier: LinearClassifier { LinearClassifier(weights: covariance.inverse * mean, bias: 0) }

    /// The mean negative log-likelihood ℓ of `sample` under these parameters.
    public func negativeLogLikelihood(_ sample: GaussianSample) -> Double {
        let d = mean.count
        let precision = covariance.inverse
        let logDet = covariance.logDeterminant ?? .infinity
        var total = 0.0
        for (x, y) in zip(sample.inputs, sample.labels) {
            let v = (0..<d).map { x[$0] - Double(y) * mean[$0] }
            total += 0.5 * vectorDot(v, precision * v)
        }
        return total / Double(sample.count) + 0.5 * logDet + 0.5 * Double(d) * log(2 * Double.pi)
    }
}

/// The maximum-likelihood estimate of (μ, Σ) from labelled examples.
public func standardMLE(_ sample: GaussianSample) -> GaussianEstimate {
    precondition(sample.count > 0, "standardMLE: no examples")
    let d = sample.inputs[0].count
    let n = Double(sample.count)
    var mean = [Double](repeating: 0, count: d)
    for (x, y) in zip(sample.inputs, sample.labels) { for i in 0..<d { mean[i] += Double(y) * x[i] / n } }
    var covariance = GaussianMatrix(n: d, entries: [Double](repeating: 0, count: d * d))
    for (x, y) in zip(sample.inputs, sample.labels) {
        let v = (0..<d).map { x[$0] - Double(y) * mean[$0] }
        for i in 0..<d { for j in 0..<d { covariance[i, j] += v[i] * v[j] / n } }
    }
    return GaussianEstimate(mean: mean, covariance: covariance)
}

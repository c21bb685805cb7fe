// The data model of Section 4 of Ilyas et al. 2019 ("Adversarial Examples Are Not Bugs, They
// Are Features"): y uniform on {-1, +1}, x ~ N(y μ*, Σ*) in d dimensions; the default spectrum
// that makes the paper's point, and seeded sampling (example i from its own stream). Not the
// estimators (StandardMLE.swift, RobustMLE.swift) nor the engine's data (GaussianBridge.swift).
import BrittleNN
import BrittleExperiments
import Foundation

/// The class-conditional Gaussian model: x ~ N(y μ*, Σ*), y = ±1 with probability 1/2 each.
public struct GaussianModel: Codable, Sendable, Equatable {
    /// μ*: the mean of class +1 (class -1 has mean -μ*).
    public var mean: [Double]
    /// Σ*: the covariance shared by both classes (symmetric positive definite).
    public var covariance: GaussianMatrix

    /// The model with these parameters.
    public init(mean: [Double], covariance: GaussianMatrix) {
        precondition(mean.count == covariance.n, "GaussianModel: mean of \(mean.count) entries for a \(covariance.n)-d covariance")
        self.mean = mean
        self.covariance = covariance
    }

    /// The dimension d.
    public var dimensions: Int { mean.count }

    /// The default model of the experiment: Σ* diagonal, the first ⌈d/2⌉ directions of variance
    /// `highVariance` and the rest of variance `lowVariance`, and μ*_i = `zScore` · sqrt(Σ*_ii),
    /// so every direction separates the classes equally well on its own (the same z-score)
    /// while the low-variance ones do it with means 10x smaller in ℓ2 (with the defaults):
    /// predictive but not robust.
    public static func standard(dimensions d: Int, highVariance: Double = 1, lowVariance: Double = 0.01,
                                zScore: Double = 1) -> GaussianModel {
        precondition(d >= 2 && highVariance > 0 && lowVariance > 0)
        let high = (d + 1) / 2
        let variances = (0..<d).map { $0 < high ? highVariance : lowVariance }
        return GaussianModel(mean: variances.map { zScore * $0.squareRoot() }, covariance: GaussianMatrix(diagonal: variances))
    }

    /// `count` labelled examples. Example i draws its label and noise from
    /// `SeededGenerator.stream(seed: seed, index: i)`, so it does not depend on `count`.
    public func sample(count: Int, seed: UInt64) -> GaussianSample {
        guard let L = covariance.cholesky else { preconditionFailure("GaussianModel: Σ* is not positive definite") }
        let d = dimensions
        var inputs: [[Double]] = []
        var labels: [Int] = []
        inputs.reserveCapacity(count)
        labels.reserveCapacity(count)
        for i in 0..<count {
            var rng = SeededGenerator.stream(seed: seed, index: UInt64(i))
            let y = rng.next() & 1 == 0 ? 1 : -1
            let z = (0..<d).map { _ in Double(rng.nextNormal()) }
            let noise = L * z
            inputs.append((0..<d).map { Double(y) * mean[$0] + noise[$0] })
            labels.append(y)
        }
        return GaussianSample(inputs: inputs, labels: labels)
    }

    /// The Bayes-optimal linear classifier sign(wᵀx) with w = Σ*⁻¹ μ*.
    public var bayesClassifier: LinearClassifier { LinearClassifier(weights: covariance.inverse * mean, bias: 0) }
}

/// Labelled examples of a GaussianModel.
public struct GaussianSample: Sendable {
    /// The inputs, one d-vector per example.
    public var inputs: [[Double]]
    /// The labels, +1 or -1.
    public var labels: [Int]

    /// The number of examples.
    public var count: Int { labels.count }
}

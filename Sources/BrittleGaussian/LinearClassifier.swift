// A linear classifier sign(wᵀx + b) on the Gaussian model and its accuracy under the exact
// worst-case ℓ2 attack of size ε, in closed form: the attack moves x by ε along -y w/‖w‖, so
// y(wᵀx + b) falls by exactly ε‖w‖, and y wᵀx ~ N(wᵀμ*, wᵀΣ*w). Also the same accuracy measured
// on samples with that perturbation (the Monte-Carlo check). Not the training (GaussianBridge.swift).
import BrittleExperiments
import Foundation

/// sign(wᵀx + b): +1 when the score is positive, else -1.
public struct LinearClassifier: Codable, Sendable, Equatable {
    /// w.
    public var weights: [Double]
    /// b.
    public var bias: Double

    /// The classifier with these parameters.
    public init(weights: [Double], bias: Double) {
        self.weights = weights
        self.bias = bias
    }

    /// wᵀx + b.
    public func score(_ x: [Double]) -> Double { vectorDot(weights, x) + bias }

    /// The predicted label, +1 or -1.
    public func predict(_ x: [Double]) -> Int { score(x) > 0 ? 1 : -1 }

    /// The ℓ2 perturbation of norm ε that lowers y·score the most: -ε y w / ‖w‖.
    public func worstCasePerturbation(label y: Int, epsilon: Double) -> [Double] {
        let scale = -epsilon * Double(y) / vectorNorm(weights)
        return weights.map { scale * $0 }
    }

    /// The accuracy on `model`'s distribution when every input is moved by the worst-case
    /// perturbation of norm ε (ε = 0: the clean accuracy):
    /// ½ Φ((wᵀμ* + b - ε‖w‖) / s) + ½ Φ((wᵀμ* - b - ε‖w‖) / s), s = sqrt(wᵀΣ*w).
    public func robustAccuracy(on model: GaussianModel, epsilon: Double) -> Double {
        let m = vectorDot(weights, model.mean)
        let s = vectorDot(weights, model.covariance * weights).squareRoot()
        let r = epsilon * vectorNorm(weights)
        return 0.5 * normalCDF((m + bias - r) / s) + 0.5 * normalCDF((m - bias - r) / s)
    }

    /// The same accuracy measured on `sample`, each example moved by its worst-case perturbation.
    public func robustAccuracy(on sample: GaussianSample, epsilon: Double) -> Double {
        var correct = 0
        for (x, y) in zip(sample.inputs, sample.labels) {
            let delta = worstCasePerturbation(label: y, epsilon: epsilon)
            if predict(zip(x, delta).map(+)) == y { correct += 1 }
        }
        return Double(correct) / Double(sample.count)
    }

    /// The ℓ2 distance from the class mean μ* to the decision boundary: the ε at which the
    /// median example of class +1 is flipped, (wᵀμ* + b) / ‖w‖.
    public func meanMargin(on model: GaussianModel) -> Double {
        (vectorDot(weights, model.mean) + bias) / vectorNorm(weights)
    }
}

/// Φ, the standard normal distribution function.
public func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

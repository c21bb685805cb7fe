// SyntheticFeatures: the robust/non-robust feature distribution of Tsipras et al. 2019, as a
// seeded image dataset: y uniform in {-1,+1}; x0 = y w.p. p else -y (robust, weakly
// predictive); x1..xd ~ N(eta*y, 1) (non-robust: flipped by an L-inf step of 2*eta). Not a
// trainer. Reference: Tsipras et al., "Robustness May Be at Odds with Accuracy", ICLR 2019, §2.1.

import BrittleIO
import BrittleNN
import Foundation

/// Generator of the Tsipras et al. (2019) distribution, stored as pixels in [0, 1].
public struct SyntheticFeatures: Sendable, Equatable {
    /// Number of non-robust features (d); the image holds d + 1 values.
    public var d: Int = 63
    /// Probability that the robust feature agrees with the label.
    public var p: Double = 0.9
    /// Mean shift of each non-robust feature (the paper's eta; 2/sqrt(d) keeps their combined
    /// signal-to-noise ratio at 2, i.e. ~97.7% accuracy for the mean of the d features).
    public var eta: Double = 2 / 63.0.squareRoot()
    /// Pixel = clamp(0.5 + scale * x, 0, 1).
    public var scale: Double = 0.125
    /// Seed of the generator; the train split uses stream 0, the test split stream 1.
    public var seed: UInt64 = 0
    /// Examples per split.
    public var counts: [DataSplit: Int] = [.train: 10_000, .test: 2_000]

    /// The defaults above.
    public init() {}

    /// The generator a recipe's `parameters` and `splits` describe (missing keys: defaults).
    public init(recipe: DatasetRecipe) {
        let q = recipe.parameters ?? [:]
        if let v = q["d"] { d = Int(v) }
        if let v = q["p"] { p = v }
        if let v = q["eta"] { eta = v }
        if let v = q["scale"] { scale = v }
        if let v = q["seed"] { seed = UInt64(v) }
        if let n = recipe.splits["train"] { counts[.train] = n }
        if let n = recipe.splits["test"] { counts[.test] = n }
    }

    /// The image shape (1, side, side) holding d + 1 features, zero-padded when d + 1 is not a
    /// square.
    public var imageShape: [Int] {
        let side = Int(Double(d + 1).squareRoot().rounded(.up))
        return [1, side, side]
    }

    /// Class names: label 0 is y = -1, label 1 is y = +1.
    public static let classNames = ["y=-1", "y=+1"]

    /// One split: images (N, 1, side, side), labels 0/1. Deterministic for a given seed.
    public func generate(_ split: DataSplit) -> LabeledDataset {
        let n = counts[split] ?? 0
        var rng = SeededGenerator.stream(seed: seed, index: split == .train ? 0 : 1)
        let pixels = imageShape.reduce(1, *)
        var labels = [Int](repeating: 0, count: n)
        var values = [Float](repeating: 0.5, count: n * pixels)
        let (p, eta, scale) = (Float(self.p), Float(self.eta), Float(self.scale))
        for i in 0..<n {
            let y: Float = rng.nextUniform() < 0.5 ? -1 : 1
            labels[i] = y > 0 ? 1 : 0
            let robust = rng.nextUniform() < p ? y : -y
            values[i * pixels] = min(1, max(0, 0.5 + scale * robust))
            for j in stride(from: 1, through: d, by: 1) {
                values[i * pixels + j] = min(1, max(0, 0.5 + scale * (eta * y + rng.nextNormal())))
            }
        }
        return LabeledDataset(
            images: Tensor(shape: [n] + imageShape, scalars: values), labels: labels,
            classNames: Self.classNames, name: "synthetic-features:\(split.rawValue)")
    }

    /// The parameters as recorded in a bundle manifest.
    public var parameters: [String: Double] {
        ["d": Double(d), "p": p, "eta": eta, "scale": scale, "seed": Double(seed)]
    }
}

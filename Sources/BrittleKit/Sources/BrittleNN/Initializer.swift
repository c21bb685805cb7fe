// Seeded parameter initialisers.

/// Random tensors for parameter initialisation, all drawn from a caller's seeded generator.
public enum Initializer {
    /// Uniform in [-bound, bound).
    public static func uniform(_ shape: [Int], bound: Float, rng: inout SeededGenerator) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.scalars[i] = (rng.nextUniform() * 2 - 1) * bound }
        return t
    }

    /// Normal with mean 0 and the given standard deviation.
    public static func normal(_ shape: [Int], std: Float, rng: inout SeededGenerator) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.scalars[i] = rng.nextNormal() * std }
        return t
    }
}

// Showing signed perturbations (delta = x_adv - x) as images: a diverging map around a neutral
// middle, amplified because a perturbation inside a small epsilon ball is invisible at 1x.
// Gray keeps the channels (0.5 + a * delta); red/blue uses the channel mean (white at zero).
import BrittleNN

/// The colour map of a perturbation image.
public enum DivergingMap: Sendable, Equatable {
    /// `0.5 + amplification * delta`, clamped to [0, 1], channel by channel (mid-gray at zero).
    case gray
    /// White at zero, towards red for positive and blue for negative values of the channel mean;
    /// saturates where the gray map clips (|amplification * delta| = 0.5).
    case redBlue
}

/// Turning a signed perturbation into an image tensor in [0, 1].
public enum PerturbationImage {
    /// `delta` ((N, C, H, W) or (C, H, W)) as an image of the same rank: C channels for `.gray`,
    /// 3 for `.redBlue`. Non-finite values show as the neutral colour.
    public static func render(_ delta: Tensor, map: DivergingMap = .gray, amplification: Float = 5) -> Tensor {
        let rank = delta.rank
        precondition(
            rank == 3 || rank == 4, "PerturbationImage: expected (N, C, H, W) or (C, H, W), got \(delta.shape)")
        let C = delta.shape[rank - 3]
        let H = delta.shape[rank - 2]
        let W = delta.shape[rank - 1]
        let N = rank == 4 ? delta.shape[0] : 1
        let plane = H * W
        switch map {
        case .gray:
            var out = delta
            out.scalars = delta.scalars.map { $0.isFinite ? min(1, max(0, 0.5 + amplification * $0)) : 0.5 }
            return out
        case .redBlue:
            var shape = delta.shape
            shape[rank - 3] = 3
            return Tensor(shape: shape) { out, _ in
                delta.withUnsafePointer { d in
                    for n in 0..<N {
                        for i in 0..<plane {
                            var mean: Float = 0
                            for c in 0..<C { mean += d[(n * C + c) * plane + i] }
                            mean /= Float(C)
                            let t = mean.isFinite ? min(1, max(-1, 2 * amplification * mean)) : 0
                            let (r, g, b): (Float, Float, Float) = t >= 0 ? (1, 1 - t, 1 - t) : (1 + t, 1 + t, 1)
                            out[(n * 3 + 0) * plane + i] = r
                            out[(n * 3 + 1) * plane + i] = g
                            out[(n * 3 + 2) * plane + i] = b
                        }
                    }
                }
            }
        }
    }

    /// The amplification that maps the largest |delta| to the ends of the map (1 if delta is 0).
    public static func fullRangeAmplification(for delta: Tensor) -> Float {
        let m = delta.scalars.reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
        return m > 0 ? 0.5 / m : 1
    }
}

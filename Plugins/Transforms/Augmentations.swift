// The in-tree training transforms: normalize (a model input layer, so epsilon stays in pixel
// units), and the augmentations random-crop, horizontal-flip and gaussian-noise. Augmentations
// are seeded per example (stream(seed, index)), so an image's result does not depend on its batch.
// Not the dataset constructions (InvertRepresentation.swift, AdversarialRelabel.swift).
import BrittleNN
import BrittlePlugins

/// Per-channel (x - mean) / std inside the model. The data itself is unchanged.
public final class NormalizeTransform: InputLayerPlugin {
    public init() {}
    public let id = "normalize"
    public let version = "1.0.0"
    public let summary = "Per-channel (x - mean) / std as the model's first layer (epsilon stays in pixel units)"
    public let parameters = [
        ParameterSpec("mean", .floatList, default: .floatList([0.2860]), help: "Per-channel means joined by '/' (Fashion-MNIST: 0.2860)"),
        ParameterSpec("std", .floatList, default: .floatList([0.3530]), help: "Per-channel standard deviations joined by '/' (Fashion-MNIST: 0.3530)"),
    ]

    public func makeLayer(_ c: Configuration, channels: Int) throws -> Layer {
        let mean = c.floatList("mean").map(Float.init), std = c.floatList("std").map(Float.init)
        func expand(_ v: [Float], _ name: String) throws -> [Float] {
            if v.count == channels { return v }
            if v.count == 1 { return Array(repeating: v[0], count: channels) }
            throw ConfigurationError(plugin: id, parameter: name, message: "has \(v.count) values for \(channels) channels")
        }
        let s = try expand(std, "std")
        guard s.allSatisfy({ $0 > 0 }) else {
            throw ConfigurationError(plugin: id, parameter: "std", message: "must be positive, got \(c.floatList("std"))")
        }
        return Normalize(mean: try expand(mean, "mean"), std: s)
    }
}

/// Zero-pads each image by `padding` and crops it back at a random offset.
public final class RandomCropTransform: AugmentationPlugin {
    public init() {}
    public let id = "random-crop"
    public let version = "1.0.0"
    public let summary = "Random translation: pad with zeros, crop back to the original size at a random offset"
    public let parameters = [
        ParameterSpec("padding", .int(0...32), default: .int(2), help: "Pixels of zero padding on each side"),
    ]

    public func makeAugmentation(_ c: Configuration) throws -> any Augmentation {
        RandomCrop(padding: c.int("padding"))
    }
}

/// A random translation by up to `padding` pixels each way, zeros shifted in.
final class RandomCrop: Augmentation {
    let padding: Int
    init(padding: Int) { self.padding = padding }

    func augment(_ images: Tensor, seed: UInt64) -> Tensor {
        let p = padding
        let shape = images.shape
        let N = shape[0], C = shape[1], H = shape[2], W = shape[3]
        return Tensor(shape: shape) { dst, _ in
            images.withUnsafePointer { src in
                for n in 0..<N {
                    var rng = SeededGenerator.stream(seed: seed, index: UInt64(n))
                    let dy = rng.nextInt(below: 2 * p + 1) - p, dx = rng.nextInt(below: 2 * p + 1) - p
                    for ch in 0..<C {
                        let base = (n * C + ch) * H * W
                        for h in 0..<H {
                            for w in 0..<W {
                                let sh = h + dy, sw = w + dx
                                dst[base + h * W + w] = (sh >= 0 && sh < H && sw >= 0 && sw < W) ? src[base + sh * W + sw] : 0
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Mirrors each image left-right with probability `probability`.
public final class HorizontalFlipTransform: AugmentationPlugin {
    public init() {}
    public let id = "horizontal-flip"
    public let version = "1.0.0"
    public let summary = "Mirror images left-right at random"
    public let parameters = [
        ParameterSpec("probability", .float(0...1), default: .float(0.5), help: "Chance that an image is flipped"),
    ]

    public func makeAugmentation(_ c: Configuration) throws -> any Augmentation {
        HorizontalFlip(probability: Float(c.float("probability")))
    }
}

/// A left-right mirror of each image with probability `probability`.
final class HorizontalFlip: Augmentation {
    let probability: Float
    init(probability: Float) { self.probability = probability }

    func augment(_ images: Tensor, seed: UInt64) -> Tensor {
        let prob = probability
        let shape = images.shape
        let N = shape[0], C = shape[1], H = shape[2], W = shape[3]
        var out = images
        out.withUnsafeMutablePointer { x in
            for n in 0..<N {
                var rng = SeededGenerator.stream(seed: seed, index: UInt64(n))
                guard rng.nextUniform() < prob else { continue }
                for row in 0..<(C * H) {
                    let r = x + (n * C * H + row) * W
                    for w in 0..<(W / 2) { let t = r[w]; r[w] = r[W - 1 - w]; r[W - 1 - w] = t }
                }
            }
        }
        return out
    }
}

/// Adds N(0, std^2) noise to every pixel, then clamps to the input range if asked.
public final class GaussianNoiseTransform: AugmentationPlugin {
    public init() {}
    public let id = "gaussian-noise"
    public let version = "1.0.0"
    public let summary = "Add Gaussian pixel noise (clamped to [0, 1] by default)"
    public let parameters = [
        ParameterSpec("std", .float(0...10), default: .float(0.1), help: "Standard deviation of the noise"),
        ParameterSpec("clamp", .bool, default: .bool(true), help: "Clamp the result to [0, 1]"),
    ]

    public func makeAugmentation(_ c: Configuration) throws -> any Augmentation {
        GaussianNoise(std: Float(c.float("std")), clamp: c.bool("clamp"))
    }
}

/// N(0, std^2) pixel noise, clamped to [0, 1] when `clamp`.
final class GaussianNoise: Augmentation {
    let std: Float, clamp: Bool
    init(std: Float, clamp: Bool) {
        self.std = std
        self.clamp = clamp
    }

    func augment(_ images: Tensor, seed: UInt64) -> Tensor {
        let std = std, clamp = clamp
        let item = images.itemSize
        var out = images
        out.withUnsafeMutablePointer { x in
            for n in 0..<images.batchSize {
                var rng = SeededGenerator.stream(seed: seed, index: UInt64(n))
                for i in (n * item)..<((n + 1) * item) {
                    let v = x[i] + std * rng.nextNormal()
                    x[i] = clamp ? min(max(v, 0), 1) : v
                }
            }
        }
        return out
    }
}

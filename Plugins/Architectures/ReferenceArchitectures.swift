// The reference architectures of Brittle: mlp, cnn-small and resnet-mini for 28x28 inputs (any
// C x H x W works where the arithmetic allows). Each builds a Classifier whose `features` end at
// the penultimate layer the paper's experiments read. Built from the kit's layers only, so this
// module becomes the architecture plugin unchanged.
import BrittleNN

/// An error in an architecture configuration, naming the key and what is allowed.
public struct ArchitectureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Builders for the reference architectures.
public enum ReferenceArchitectures {
    /// Architecture ids, as the CLI spells them.
    public static let ids = ["mlp", "cnn-small", "resnet-mini"]

    /// One-line summaries, by id.
    public static let summaries: [String: String] = [
        "mlp": "Multilayer perceptron: flatten, hidden ReLU layers (default 256-256), linear head",
        "cnn-small": "conv3x3 1->32, ReLU, maxpool 2, conv3x3 32->64, ReLU, maxpool 2, linear ->128, ReLU, linear head",
        "resnet-mini": "Small pre-activation ResNet (3 stages, BatchNorm, global average pooling)",
    ]

    /// Builds architecture `id` for inputs of shape (C, H, W) and `classCount` classes.
    /// Unknown ids or configuration keys are errors that name the allowed values.
    public static func build(_ id: String, configuration: [String: String] = [:], inputShape: [Int],
                             classCount: Int, seed: UInt64) throws -> Classifier {
        var rng = SeededGenerator(seed: seed)
        let config = try Config(id: id, values: configuration)
        switch id {
        case "mlp":
            let hidden = try config.intList("hidden", default: [256, 256])
            try config.finish()
            var layers: [Layer] = [Flatten()]
            var width = inputShape.reduce(1, *)
            for h in hidden {
                layers += [Linear(width, h, rng: &rng), ReLU()]
                width = h
            }
            return Classifier(
                features: Sequential(layers), head: Sequential([Linear(width, classCount, rng: &rng)]),
                architecture: id, configuration: configuration, inputShape: inputShape, classCount: classCount)
        case "cnn-small":
            let c1 = try config.int("channels1", default: 32, range: 1...1024)
            let c2 = try config.int("channels2", default: 64, range: 1...1024)
            let hidden = try config.int("hidden", default: 128, range: 1...65536)
            try config.finish()
            let (C, H, W) = (inputShape[0], inputShape[1], inputShape[2])
            let flat = c2 * (H / 4) * (W / 4)
            let features = Sequential([
                Conv2d(C, c1, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(2),
                Conv2d(c1, c2, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2d(2),
                Flatten(), Linear(flat, hidden, rng: &rng), ReLU(),
            ])
            return Classifier(
                features: features, head: Sequential([Linear(hidden, classCount, rng: &rng)]),
                architecture: id, configuration: configuration, inputShape: inputShape, classCount: classCount)
        case "resnet-mini":
            let width = try config.int("width", default: 16, range: 1...512)
            let blocks = try config.int("blocks", default: 1, range: 1...8)
            try config.finish()
            var layers: [Layer] = [Conv2d(inputShape[0], width, kernelSize: 3, padding: 1, bias: false, rng: &rng)]
            var channels = width
            for (stage, out) in [width, 2 * width, 4 * width].enumerated() {
                for b in 0..<blocks {
                    let stride = (stage > 0 && b == 0) ? 2 : 1
                    layers.append(preActivationBlock(channels, out, stride: stride, rng: &rng))
                    channels = out
                }
            }
            layers += [BatchNorm2d(channels), ReLU(), GlobalAvgPool()]
            return Classifier(
                features: Sequential(layers), head: Sequential([Linear(channels, classCount, rng: &rng)]),
                architecture: id, configuration: configuration, inputShape: inputShape, classCount: classCount)
        default:
            throw ArchitectureError("unknown architecture '\(id)'; known: \(ids.joined(separator: ", "))")
        }
    }

    /// He et al. 2016 ("Identity Mappings in Deep Residual Networks") pre-activation block.
    /// Identity blocks add x itself; projecting blocks (stride or width change) apply the 1x1
    /// shortcut to the pre-activated input, as in the reference implementation.
    static func preActivationBlock(_ cin: Int, _ cout: Int, stride: Int, rng: inout SeededGenerator) -> Layer {
        let body: [Layer] = [
            Conv2d(cin, cout, kernelSize: 3, stride: stride, padding: 1, bias: false, rng: &rng),
            BatchNorm2d(cout), ReLU(),
            Conv2d(cout, cout, kernelSize: 3, padding: 1, bias: false, rng: &rng),
        ]
        if stride == 1 && cin == cout {
            return Residual(Sequential([BatchNorm2d(cin), ReLU()] + body))
        }
        let shortcut = Conv2d(cin, cout, kernelSize: 1, stride: stride, bias: false, rng: &rng)
        return Sequential([BatchNorm2d(cin), ReLU(), Residual(Sequential(body), shortcut: shortcut)])
    }
}

/// Typed reads of a string configuration that reject unknown keys at the end.
struct Config {
    let id: String
    let values: [String: String]

    init(id: String, values: [String: String]) throws {
        self.id = id
        self.values = values
    }

    func int(_ key: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        guard let s = values[key] else { return d }
        guard let v = Int(s), range.contains(v) else {
            throw ArchitectureError("\(id): option '\(key)' must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(s)'")
        }
        return v
    }

    func intList(_ key: String, default d: [Int]) throws -> [Int] {
        guard let s = values[key] else { return d }
        let parts = s.split(separator: "-").map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ArchitectureError("\(id): option '\(key)' must be widths joined by '-' (e.g. 256-256), got '\(s)'")
        }
        return parts.map { $0! }
    }

    func finish() throws {
        let known: [String: [String]] = ["mlp": ["hidden"], "cnn-small": ["channels1", "channels2", "hidden"],
                                         "resnet-mini": ["width", "blocks"]]
        let allowed = known[id] ?? []
        for k in values.keys.sorted() where !allowed.contains(k) {
            throw ArchitectureError("\(id): unknown option '\(k)'; allowed: \(allowed.joined(separator: ", "))")
        }
    }
}

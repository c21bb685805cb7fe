// The starter sources `brittle plugins new` writes for the data-side families of plugin API v4:
// an augmentation, an input layer and a dataset construction, each a small working example of
// its protocol, and the conformance test each package runs. The attack starter, the package
// manifest and the entry points are in PluginsNew.swift.

/// The families `plugins new` has a starter for.
let starterFamilies = ["attack", "augmentation", "input-layer", "construction"]

/// The plugin source file for `family` (one of `starterFamilies`).
func pluginTemplate(family: String, id: String, type: String) -> String {
    switch family {
    case "augmentation": return augmentationTemplate(id: id, type: type)
    case "input-layer": return inputLayerTemplate(id: id, type: type)
    case "construction": return constructionTemplate(id: id, type: type)
    default: return attackTemplate(id: id, type: type)
    }
}

/// The conformance check the starter's test runs for `family`.
func conformanceCheck(family: String) -> String {
    switch family {
    case "augmentation": return "AugmentationConformance"
    case "input-layer": return "InputLayerConformance"
    case "construction": return "ConstructionConformance"
    default: return "AttackConformance"
    }
}

/// How to try the built plugin, for `family`.
func tryItCommand(family: String, id: String, libraries: String) -> String {
    switch family {
    case "augmentation", "input-layer":
        return "brittle train --plugin-path \(libraries) --transform \(id) --out RUN_DIR"
    case "construction":
        return "brittle datasets build --plugin-path \(libraries) --transform \(id) --model RUN_DIR --limit 100 --out D.tar.zst"
    default:
        return "brittle evaluate --model RUN_DIR --plugin-path \(libraries) --attack \(id) --eps 0.5,1.0"
    }
}

func augmentationTemplate(id: String, type: String) -> String {
    """
    // The '\(id)' augmentation: a starting point. As written it adds uniform pixel noise in
    // [-amount, amount] and clamps to [0, 1]. Replace `augment` with your own; draw example i's
    // randomness from stream(seed, i) only, and never modify the input tensor.
    import BrittleNN
    import BrittlePlugins

    public final class \(type): AugmentationPlugin {
        public init() {}
        public let id = "\(id)"
        public let version = "0.1.0"
        public let summary = "Uniform pixel noise (starter template)"
        public let parameters = [
            ParameterSpec("amount", .float(0...1), default: .float(0.05), help: "Largest change of a pixel"),
        ]

        public func makeAugmentation(_ configuration: Configuration) throws -> any Augmentation {
            UniformNoise(amount: Float(configuration.float("amount")))
        }
    }

    final class UniformNoise: Augmentation {
        let amount: Float
        init(amount: Float) { self.amount = amount }

        func augment(_ images: Tensor, seed: UInt64) -> Tensor {
            let d = images.itemSize
            var out = images
            for i in 0..<images.batchSize {
                var rng = SeededGenerator.stream(seed: seed, index: UInt64(i))
                for j in (i * d)..<((i + 1) * d) {
                    out.scalars[j] = min(max(out.scalars[j] + amount * (2 * rng.nextUniform() - 1), 0), 1)
                }
            }
            return out
        }
    }

    """
}

func inputLayerTemplate(id: String, type: String) -> String {
    """
    // The '\(id)' input layer: a starting point. As written it maps x to 2x - 1 (pixels to
    // [-1, 1]) in front of the model. Keep the shape, keep it free of trainable parameters, and
    // keep `backward` exact: attacks differentiate through it.
    import BrittleNN
    import BrittlePlugins

    public final class \(type): InputLayerPlugin {
        public init() {}
        public let id = "\(id)"
        public let version = "0.1.0"
        public let summary = "x -> scale * x + shift in front of the model (starter template)"
        public let parameters = [
            ParameterSpec("scale", .float(1e-6...1e6), default: .float(2), help: "Multiplier"),
            ParameterSpec("shift", .float(-1e6...1e6), default: .float(-1), help: "Offset added after scaling"),
        ]

        public func makeLayer(_ configuration: Configuration, channels: Int) throws -> Layer {
            Affine(scale: Float(configuration.float("scale")), shift: Float(configuration.float("shift")))
        }
    }

    final class Affine: Layer {
        let scale: Float, shift: Float
        init(scale: Float, shift: Float) { (self.scale, self.shift) = (scale, shift) }
        var summary: String { "Affine(\\(scale) x + \\(shift))" }

        func forward(_ x: Tensor, mode: Mode) -> Tensor {
            var y = x
            for i in 0..<y.count { y.scalars[i] = scale * y.scalars[i] + shift }
            return y
        }

        func backward(_ dy: Tensor, _ options: Backprop) -> Tensor {
            guard options.inputGradient else { return noGradient }
            return dy * scale
        }
    }

    """
}

func constructionTemplate(id: String, type: String) -> String {
    """
    // The '\(id)' dataset construction: a starting point. As written it moves each image a few
    // normalised L2 steps toward a smaller penultimate representation ||g(x)||, through the
    // model's representation oracle, and keeps the label. Replace `construct` with your own;
    // `model.attacks` runs attack plugins with the host's projection and scoring.
    import BrittleNN
    import BrittlePlugins

    public final class \(type): ConstructionPlugin {
        public init() {}
        public let id = "\(id)"
        public let version = "0.1.0"
        public let summary = "Shrink each image's representation by a few gradient steps (starter template)"
        public let parameters = [
            ParameterSpec("steps", .int(0...10_000), default: .int(5), help: "Gradient steps"),
            ParameterSpec("step-size", .float(0...100), default: .float(0.1), help: "L2 length of each step"),
        ]
        public let preservesLabels = true

        public func makeConstruction(_ configuration: Configuration, registry: Registry) throws -> any DatasetConstruction {
            RepresentationShrink(steps: configuration.int("steps"), stepSize: Float(configuration.float("step-size")))
        }
    }

    final class RepresentationShrink: DatasetConstruction {
        let steps: Int, stepSize: Float
        init(steps: Int, stepSize: Float) { (self.steps, self.stepSize) = (steps, stepSize) }

        func construct(from source: LabeledDataset, using model: ConstructionModel, context: ConstructionContext) throws -> LabeledDataset {
            var x = source.images
            let n = x.batchSize, d = x.itemSize, geometry = NormGeometry(.l2)
            for step in 0..<steps {
                // L = ||g(x)||^2 per example, so dL/dg = 2 g(x).
                let gradient = model.representation.inputGradient(at: x) { g in g * 2 }
                x.withUnsafeMutablePointer { p in
                    gradient.withUnsafePointer { gp in
                        for i in 0..<n {
                            geometry.step(p + i * d, along: gp + i * d, d, length: -stepSize)
                            for j in (i * d)..<((i + 1) * d) { p[j] = min(max(p[j], 0), 1) }
                        }
                    }
                }
                context.progress(step + 1, steps, "step \\(step + 1)/\\(steps)")
            }
            var output = source
            output.images = x
            return output
        }
    }

    """
}

// Conformance checks for the data-side plugin families: augmentations (shape, count and labels
// kept, deterministic per seed, per example, input untouched), input layers (shape kept,
// per-example, the same in both modes, no trainable parameters, an exact pullback) and dataset
// constructions (sane output, deterministic per seed, source untouched). Not attacks or
// architectures (AttackConformance.swift, ArchitectureConformance.swift).
import BrittleNN
import BrittlePlugins

/// Checks an augmentation plugin against the `Augmentation` contract.
public enum AugmentationConformance {
    /// Failures of `plugin` configured with `parameters` on small random batches (empty: conforms).
    public static func check(_ plugin: any AugmentationPlugin, parameters: [String: String] = [:],
                             imageShape: [Int] = [1, 8, 8], seed: UInt64 = 5) -> [String] {
        var r = ConformanceReport(plugin.id)
        let augmentation: any Augmentation
        do { augmentation = try plugin.makeAugmentation(try plugin.configuration(parameters)) } catch {
            r.expect(false, "configuration rejected: \(error)")
            return r.failures
        }
        let data = LabeledDataset(images: randomImages(12, imageShape, seed: 1), labels: (0..<12).map { $0 % 3 },
                                  classNames: ["a", "b", "c"], name: "conformance")
        // A deep copy: a copy of the tensor would share storage with what a plugin might write through.
        let before = data.images.scalars.map { $0 }
        do {
            let a = try data.augmented(by: augmentation, seed: seed)
            let b = try data.augmented(by: augmentation, seed: seed)
            r.expect(data.images.scalars == before, "the input images were modified")
            r.expect(a.images == b.images, "not deterministic under a fixed seed")
            r.expect(a.count == data.count && a.labels == data.labels, "count or labels changed")
            r.expect(a.images.scalars.allSatisfy { $0.isFinite }, "non-finite values")
            // Example i depends on stream(seed, i) only: a shorter batch gives the same first images.
            let head = try data.subset(Array(0..<5)).augmented(by: augmentation, seed: seed)
            r.expect(head.images == a.images.slice(0..<5), "an example's result depends on the rest of its batch")
        } catch { r.expect(false, "augment failed: \(error)") }
        return r.failures
    }
}

/// Checks an input-layer plugin against the `InputLayerPlugin` contract.
public enum InputLayerConformance {
    /// Failures of `plugin` configured with `parameters` for `channels`-channel inputs (empty: conforms).
    public static func check(_ plugin: any InputLayerPlugin, parameters: [String: String] = [:], channels: Int = 3) -> [String] {
        var r = ConformanceReport(plugin.id)
        let layer: Layer
        do { layer = try plugin.makeLayer(try plugin.configuration(parameters), channels: channels) } catch {
            r.expect(false, "configuration rejected: \(error)")
            return r.failures
        }
        let x = randomImages(6, [channels, 5, 5], seed: 1)
        let before = x.scalars.map { $0 }  // a deep copy, as above
        let buffers = layer.namedBuffers.map { $0.1.value }
        let y = layer.forward(x, mode: .evaluation)
        r.expect(x.scalars == before, "the input was modified")
        r.expect(y.shape == x.shape, "output shape \(y.shape) for input \(x.shape): the model behind it expects the input shape")
        guard y.shape == x.shape else { return r.failures }
        r.expect(y.scalars.allSatisfy { $0.isFinite }, "non-finite values")
        r.expect(layer.namedParameters.isEmpty, "has trainable parameters \(layer.namedParameters.map(\.0)): an input layer is fixed")
        r.expect(layer.forward(x, mode: .evaluation) == y, "not deterministic")
        r.expect(layer.forward(x, mode: .training) == y, "training mode differs from evaluation mode (attacks run in evaluation)")
        r.expect(layer.namedBuffers.map { $0.1.value } == buffers, "forward changed the layer's buffers")
        r.expect(layer.forward(x.slice(0..<2), mode: .evaluation) == y.slice(0..<2), "an example's output depends on its batch")

        // Attacks differentiate through the layer: dL/dx for L = <f(x), w> against finite differences.
        var rng = SeededGenerator(seed: 3)
        let w = Initializer.normal(x.shape, std: 1, rng: &rng), v = Initializer.normal(x.shape, std: 1, rng: &rng)
        _ = layer.forward(x, mode: .evaluation)
        let dx = layer.backward(w, Backprop(parameterGradients: false))
        r.expect(dx.shape == x.shape, "input gradient of shape \(dx.shape) for input \(x.shape)")
        if dx.shape == x.shape {
            let loss = { (t: Tensor) in Double(layer.forward(t, mode: .evaluation).dot(w)) }
            r.expect(matchesFiniteDifference(Double(dx.dot(v)), scale: loss(x)) { loss(x + v * $0) },
                     "input gradient disagrees with finite differences")
        }
        return r.failures
    }
}

/// Checks a construction plugin against the `DatasetConstruction` contract.
public enum ConstructionConformance {
    /// Failures of `plugin` configured with `parameters`, run with `model` (default: a small
    /// conv net for 1x8x8 images and 3 classes) on 12 random images (empty: conforms).
    public static func check(_ plugin: any ConstructionPlugin, parameters: [String: String] = [:], model: Classifier? = nil,
                             registry: Registry = .shared, seed: UInt64 = 5) -> [String] {
        var r = ConformanceReport(plugin.id)
        let construction: any DatasetConstruction
        do { construction = try plugin.makeConstruction(try plugin.configuration(parameters), registry: registry) } catch {
            r.expect(false, "configuration rejected: \(error)")
            return r.failures
        }
        let classifier = model ?? smallConvModel(inputShape: [1, 8, 8], classes: 3, seed: 1)
        let classes = classifier.classCount
        let source = LabeledDataset(images: randomImages(12, classifier.inputShape, seed: 1), labels: (0..<12).map { $0 % classes },
                                    classNames: (0..<classes).map { "c\($0)" }, name: "conformance")
        let (images, labels) = (source.images.scalars.map { $0 }, source.labels.map { $0 })  // deep copies, as above
        do {
            let oracles = ConstructionModel(classifier)
            let a = try construction.construct(from: source, using: oracles, context: ConstructionContext(seed: seed))
            let b = try construction.construct(from: source, using: oracles, context: ConstructionContext(seed: seed))
            r.expect(source.images.scalars == images && source.labels == labels, "the source dataset was modified")
            r.expect(a.images == b.images && a.labels == b.labels, "not deterministic under a fixed seed")
            r.expect(a.imageShape == source.imageShape, "image shape changed \(source.imageShape) -> \(a.imageShape)")
            r.expect(a.classNames == source.classNames, "classes changed \(source.classNames) -> \(a.classNames)")
            r.expect(a.count >= 1, "no examples built from \(source.count)")
            r.expect(a.labels.allSatisfy { (0..<classes).contains($0) }, "labels outside 0..<\(classes)")
            r.expect(a.images.scalars.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "pixels that are not finite numbers in [0, 1]")
            if plugin.preservesLabels {
                r.expect(a.count == source.count && a.labels == source.labels, "count or labels changed though preservesLabels")
            }
        } catch { r.expect(false, "construct failed: \(error)") }
        return r.failures
    }
}

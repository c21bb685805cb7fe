// Augmentation plugins: per-batch randomness applied to training images, such as random crops
// and flips. An augmentation sees images only, so it cannot change a label or the example count;
// the host checks that it keeps the shape. Not model input layers (InputLayer.swift) nor dataset
// constructions that need a model (Construction.swift).
import BrittleNN

/// A configured augmentation.
public protocol Augmentation: AnyObject {
    /// `images` (N, C, H, W) augmented, in the same shape. Example i's randomness must come from
    /// `SeededGenerator.stream(seed: seed, index: i)` alone, so its result does not depend on the
    /// rest of the batch and the same seed gives the same images. Must not modify `images`.
    func augment(_ images: Tensor, seed: UInt64) -> Tensor
}

/// Builds augmentations. Invalid parameters must be rejected here, at configuration time.
public protocol AugmentationPlugin: Plugin {
    /// The augmentation `configuration` describes (already validated against the schema).
    func makeAugmentation(_ configuration: Configuration) throws -> any Augmentation
}

extension LabeledDataset {
    /// This batch with its images augmented by `augmentation` under `seed`; the labels, class
    /// names and name are kept. The host's side of every augmentation: throws if the
    /// augmentation returned images of another shape.
    public func augmented(by augmentation: any Augmentation, seed: UInt64) throws -> LabeledDataset {
        let out = augmentation.augment(images, seed: seed)
        guard out.shape == images.shape else {
            throw PluginError("an augmentation returned images of shape \(out.shape) for a batch of shape \(images.shape); "
                              + "an augmentation must keep every image and its shape (fix the plugin)")
        }
        var batch = self
        batch.images = out
        return batch
    }
}

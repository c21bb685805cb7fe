// Input-layer plugins: a fixed layer placed at the front of the model, such as per-channel
// normalisation. It lives inside the model so attack budgets stay in pixel units, and a
// checkpoint records it (Classifier.inputTransforms) so loading rebuilds it. Not augmentations
// (Augmentation.swift): the data itself is never changed.
import BrittleNN

/// Builds the layer that goes in front of a model.
public protocol InputLayerPlugin: Plugin {
    /// The layer for inputs with `channels` channels. It maps (N, C, H, W) to the same shape,
    /// acts on each example alone, behaves the same in training and evaluation, has no trainable
    /// parameters (buffers are fine) and an exact pullback, since attacks differentiate through
    /// it. Throws a `ConfigurationError` when the configuration does not fit `channels`.
    func makeLayer(_ configuration: Configuration, channels: Int) throws -> Layer
}

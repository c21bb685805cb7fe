// What `--transform ID[:key=value,...]` names on a training command: an augmentation applied to
// each batch or an input layer placed in front of the model. A dataset construction is refused
// with the command that runs it (it needs a model and may change labels). Not the spec parser
// (BrittleExperiments) nor the training loop.

/// A plugin a training run can apply, by family.
public enum TrainingTransform {
    /// Applied to the images of every training batch.
    case augmentation(any AugmentationPlugin)
    /// Placed at the front of the model being trained.
    case inputLayer(any InputLayerPlugin)

    /// The plugin, whichever family it is.
    public var plugin: any Plugin {
        switch self {
        case .augmentation(let p): return p
        case .inputLayer(let p): return p
        }
    }
}

extension Registry {
    /// The augmentation or input layer `id`. Throws, naming the fix, for a dataset construction,
    /// a plugin of another family or an unknown id.
    public func trainingTransform(_ id: String) throws -> TrainingTransform {
        switch entry(id)?.plugin {
        case let p as any AugmentationPlugin: return .augmentation(p)
        case let p as any InputLayerPlugin: return .inputLayer(p)
        case is any ConstructionPlugin:
            throw PluginError("'\(id)' is a dataset construction: it needs a model and may change labels or counts, so it "
                              + "cannot run per batch. Build a dataset with it first (`brittle datasets build --transform \(id) "
                              + "--model MODEL --out D.tar.zst`), then train on that dataset (--dataset D.tar.zst)")
        default:
            let augmentations = ids(.augmentation), layers = ids(.inputLayer)
            if augmentations.isEmpty && layers.isEmpty { _ = try augmentation(id) }
            var message = "unknown transform '\(id)'"
            if let e = entry(id) { message += " ('\(id)' is \(e.family.withArticle) plugin)" }
            throw PluginError(message + "; known augmentations: \(augmentations.joined(separator: ", ")); "
                              + "input layers: \(layers.joined(separator: ", "))")
        }
    }
}

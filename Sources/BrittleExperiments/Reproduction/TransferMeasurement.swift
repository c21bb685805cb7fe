// The transfer stage of one seed (the paper's Figure 3): the accuracy of every model of the run
// on untargeted examples crafted on the standard model, and per architecture its accuracy when
// trained on the relabelled set (x) against transfer success on the same architecture trained
// on D (y). Reads the upstream stages' files; writes transfer.json. Not the examples' crafting.
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// What the transfer stage measured (transfer.json).
struct TransferMeasurement: Codable {
    static let file = "transfer.json"
    static let examplesFile = "examples.safetensors"

    var source: TransferSource
    /// Accuracy on the transferred examples, by model name ("standard", "d_rand", ...).
    var transferredAccuracy: [String: Float]
    var results: [TransferResult]

    /// Upstream: the examples' stage, then the stages of `work.models` in order, then per
    /// architecture its model on the relabelled set and its model on D; `names` are theirs.
    static func measure(_ work: TransferWork, data: LabeledDataset, upstream: [String], names: [String],
                        registry: Registry) throws -> TransferMeasurement {
        func model(_ i: Int) throws -> Classifier {
            try Checkpoint.load((upstream[i] as NSString).appendingPathComponent(Checkpoint.fileName), registry: registry)
        }
        let examplesPath = (upstream[0] as NSString).appendingPathComponent(examplesFile)
        let (tensors, _, meta) = try Safetensors.read(path: examplesPath)
        guard let examples = tensors["adversarial"], let sourceAccuracy = meta["source_accuracy"].flatMap(Float.init) else {
            throw ReproductionError("\(examplesPath) is damaged: delete \(upstream[0]) and rerun")
        }
        var accuracy: [String: Float] = [:]
        for (i, name) in work.models.enumerated() {
            accuracy[name] = accuracyOn(try model(1 + i), examples, data.labels)
        }
        var results: [TransferResult] = []
        for (j, arch) in work.architectures.enumerated() {
            let onRelabelled = 1 + work.models.count + 2 * j, onD = onRelabelled + 1
            let record = try TrainingRecord.read(directory: upstream[onRelabelled])
            let t = transferSuccess(against: try model(onD), clean: data.images, adversarial: examples, labels: data.labels)
            results.append(TransferResult(
                architecture: arch, seed: work.seed, relabelledSet: work.relabelledSet.name,
                accuracyTrainedOnRelabelled: record.testAccuracy, targetCleanAccuracy: t.cleanAccuracy,
                transferSuccess: t.success, examples: data.count, stages: [names[onRelabelled], names[onD]]))
        }
        return TransferMeasurement(
            source: TransferSource(seed: work.seed, epsilon: work.epsilon, steps: work.steps, examples: data.count,
                                   sourceAccuracy: sourceAccuracy),
            transferredAccuracy: accuracy, results: results)
    }
}

// Standard (non-adversarial) supervised training and clean evaluation of a Classifier: seeded
// shuffling, mini-batch SGD with momentum and a learning-rate schedule, per-epoch metrics.
// The same seed and thread count give bit-identical weights. Not what runs around the loop
// (augmentations, adversarial steps, the monitor: TrainingRun) nor the attacks.
import BrittleGEMM
import BrittleIO
import BrittleNN
import Foundation

/// Hyperparameters of a training run (recorded in the run's metrics).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    public var epochs: Int = 10
    public var batchSize: Int = 128
    public var learningRate: Float = 0.05
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    public var schedule: LearningRateSchedule = .cosine(floor: 0)
    public var seed: UInt64 = 0
    public init() {}
}

/// Metrics of one epoch.
public struct EpochMetrics: Codable, Sendable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Float
    public var trainAccuracy: Float
    public var testAccuracy: Float?
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// Trains `model` on `data` and returns per-epoch metrics. `test`, when given, is evaluated
/// after each epoch. `onEpoch` sees each epoch's metrics as they come.
/// `augment`, when given, maps each mini-batch before the step; its seed is derived from the
/// run seed, the epoch and the batch, so augmentation is reproducible.
/// `resumeFile`, when given, is a training checkpoint written after every epoch (weights,
/// buffers, momentum, metrics so far): if it exists when training starts, training continues
/// after its last epoch and ends with the same weights as an uninterrupted run.
/// Throws MemoryBudgetError, before any batch is allocated, when the model and its batches do
/// not fit `MemoryBudget.current`.
public func train(
    _ model: Classifier, on data: LabeledDataset, configuration c: TrainingConfiguration,
    test: LabeledDataset? = nil, augment: ((LabeledDataset, UInt64) throws -> LabeledDataset)? = nil,
    resumeFile: String? = nil, onEpoch: (EpochMetrics) -> Void = { _ in }
) throws -> [EpochMetrics] {
    try MemoryBudget.current.check(model, use: .training(batchSize: c.batchSize))
    let sgd = SGD(momentum: c.momentum, weightDecay: c.weightDecay)
    let n = data.count
    let batches = (n + c.batchSize - 1) / c.batchSize
    var history: [EpochMetrics] = []
    if let resumeFile, FileManager.default.fileExists(atPath: resumeFile) {
        history = try TrainingCheckpoint.restore(model, sgd: sgd, configuration: c, from: resumeFile)
        note("resuming after epoch \(history.count)/\(c.epochs) from \(resumeFile)")
    }
    for epoch in history.count..<c.epochs {
        var rng = SeededGenerator.stream(seed: c.seed, index: UInt64(epoch))
        var order = Array(0..<n)
        order.shuffle(using: &rng)
        let bar = ProgressBar("epoch \(epoch + 1)/\(c.epochs)", total: n)
        let t0 = Date()
        var lossSum = 0.0, correct = 0, seen = 0
        var lr: Float = c.learningRate
        for b in 0..<batches {
            let idx = Array(order[(b * c.batchSize)..<min(n, (b + 1) * c.batchSize)])
            var (x, y) = data.batch(idx)
            if let augment {
                var g = SeededGenerator.stream(seed: c.seed ^ 0xA5A5, index: UInt64(epoch * batches + b))
                let seed = g.next()
                let out = try augment(LabeledDataset(images: x, labels: y, classNames: data.classNames, name: data.name), seed)
                (x, y) = (out.images, out.labels)
            }
            lr = c.schedule.rate(base: c.learningRate, epoch: Float(epoch) + Float(b) / Float(batches), epochs: c.epochs)
            let (losses, logits) = trainingStep(model, x, y, sgd: sgd, learningRate: lr)
            lossSum += losses.reduce(0.0) { $0 + Double($1) }
            correct += Agreement.count(logits.argmaxRows(), y)
            seen += idx.count
            bar.update(seen, String(format: "loss %.3f  acc %.1f%%", lossSum / Double(seen), 100 * Double(correct) / Double(seen)))
        }
        let secs = Date().timeIntervalSince(t0)
        var m = EpochMetrics(epoch: epoch + 1, learningRate: lr, trainLoss: Float(lossSum / Double(max(seen, 1))),
                             trainAccuracy: Float(correct) / Float(max(seen, 1)), testAccuracy: nil,
                             seconds: secs, imagesPerSecond: Double(seen) / secs)
        if let test { m.testAccuracy = accuracy(model, on: test) }
        history.append(m)
        if let resumeFile { try TrainingCheckpoint.save(model, sgd: sgd, configuration: c, history: history, to: resumeFile) }
        onEpoch(m)
    }
    model.mode = .evaluation
    return history
}

/// One SGD step on batch (x, y) in training mode: mean cross-entropy, parameter gradients,
/// update. Returns the per-example losses and the logits (before the update).
@discardableResult
public func trainingStep(_ model: Classifier, _ x: Tensor, _ y: [Int], sgd: SGD, learningRate: Float)
    -> (losses: [Float], logits: Tensor)
{
    model.mode = .training
    model.zeroGradients()
    let logits = model.logits(x)
    let (losses, dz) = CrossEntropy.evaluate(logits: logits, labels: y, reduction: .mean)
    model.backward(logitGradient: dz, parameterGradients: true, inputGradient: false)
    sgd.step(model.parameters, learningRate: learningRate)
    return (losses, logits)
}

/// Clean accuracy of `model` on `data` (evaluation mode).
public func accuracy(_ model: Classifier, on data: LabeledDataset, batchSize: Int = MemoryBudget.evaluationBatchSize) -> Float {
    let predictions = model.predict(data.images, batchSize: batchSize)
    return Agreement.accuracy(predictions, data.labels)
}

/// Mid-training checkpoints: the weights, buffers and momentum after an epoch, with the metrics
/// so far and the configuration they belong to, in one safetensors file (written atomically).
public enum TrainingCheckpoint {
    /// Writes the state after `history.count` epochs to `path`.
    public static func save(_ model: Classifier, sgd: SGD, configuration: TrainingConfiguration,
                            history: [EpochMetrics], to path: String) throws {
        var tensors = (model.namedParameters + model.namedBuffers).map { (name: $0.0, tensor: $0.1.value) }
        for (name, p) in model.namedParameters {
            if let v = sgd.velocity(of: p) { tensors.append((name: "velocity." + name, tensor: Tensor(shape: p.value.shape, scalars: v))) }
        }
        try Safetensors.write(tensors, metadata: ["brittle.training": jsonString(configuration),
                                                  "brittle.history": jsonString(history)], to: path)
    }

    /// Loads the state in `path` into `model` and `sgd`; returns the metrics of the epochs done.
    /// Refuses a checkpoint written for another configuration.
    public static func restore(_ model: Classifier, sgd: SGD, configuration: TrainingConfiguration, from path: String) throws -> [EpochMetrics] {
        let (tensors, _, meta) = try Safetensors.read(path: path)
        guard meta["brittle.training"] == jsonString(configuration),
              let historyText = meta["brittle.history"],
              let history = try? JSONDecoder().decode([EpochMetrics].self, from: Data(historyText.utf8))
        else {
            throw DataError("\(path) is a training checkpoint of another configuration: delete it to start over")
        }
        for (name, p) in model.namedParameters + model.namedBuffers {
            guard let t = tensors[name], t.shape == p.value.shape else {
                throw DataError("\(path): tensor '\(name)' missing or of the wrong shape: delete the file to start over")
            }
            p.value = t
        }
        for (name, p) in model.namedParameters {
            if let v = tensors["velocity." + name] { sgd.setVelocity(v.scalars, of: p) }
        }
        return history
    }
}

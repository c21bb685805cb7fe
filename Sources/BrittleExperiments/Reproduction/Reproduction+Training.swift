// The training stages of `brittle reproduce`: the standard and the (L2 PGD) robust model on D,
// models on the constructed sets and on D_sub, each a cached, resumable stage of Reproduction
// keyed by its training configuration and its data. Not the training loop (Training.swift) nor
// the measuring stages (Reproduction+Evaluation.swift).
import BrittleDatasets
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

extension Reproduction {
    /// What a training stage's key holds.
    struct TrainKey: Encodable {
        var architecture: String
        var training: TrainingConfiguration
        var data: [String: String]
        var adversarial: [String: String]?
        var testLimit: Int?
    }

    /// Trains `architecture` on `data()` (loaded only when the stage runs) and records its clean
    /// accuracy on the original test set. Resumes from its per-epoch checkpoint if killed.
    func trainStage(_ name: String, architecture: String, dataKey: [String: String], upstream: [StageRef] = [],
                    epochs: Int, seed: UInt64, adversarial: [String: String]? = nil,
                    data: () throws -> LabeledDataset) throws -> StageRef {
        var training = TrainingConfiguration()
        training.epochs = epochs
        training.batchSize = config.batchSize
        training.learningRate = config.learningRate
        training.momentum = config.momentum
        training.weightDecay = config.weightDecay
        training.seed = seed
        let key = TrainKey(architecture: architecture, training: training, data: dataKey, adversarial: adversarial, testLimit: config.testLimit)
        let ref = try stage(name, configuration: key, upstream: upstream) { dir, stageKey in
            let set = try data()
            let test = try self.test()
            let plugin = try self.registry.architecture(architecture)
            let model = try TrainingRun.model(plugin, configuration: try plugin.configuration([:]), inputShape: set.imageShape,
                                              classCount: set.numClasses, seed: seed, batchSize: training.batchSize)
            var run = TrainingRun(configuration: training, registry: self.registry)
            run.monitor = 0
            if let adversarial {
                var params = adversarial
                let attackPlugin = try self.registry.attack(params.removeValue(forKey: "attack") ?? "pgd-l2")
                run.adversary = try TrainingRun.Adversary(plugin: attackPlugin, configuration: try attackPlugin.configuration(params))
            }
            self.log("  \(architecture) on \(set.count) images, \(epochs) epochs, seed \(seed)" + (adversarial.map { ", adversarial \($0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))" } ?? ""))
            // The test set is measured once, after the last epoch.
            let outcome = try run.run(model, on: set, test: test, testEachEpoch: false, resumeFile: self.resumeFile(name, stageKey),
                                      log: self.log)
            try Checkpoint.save(model, to: (dir as NSString).appendingPathComponent(Checkpoint.fileName), registry: self.registry)
            let record = TrainingRecord(architecture: architecture, trainImages: set.count, epochs: outcome.epochs,
                                        testAccuracy: outcome.testAccuracy, testImages: test.count, seconds: outcome.seconds)
            try prettyJSON(record).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("training.json")))
        }
        try? FileManager.default.removeItem(atPath: resumeFile(name, ref.key))
        return ref
    }

    /// Per-epoch training checkpoint of a stage, beside the cache's stage directories (a killed
    /// stage's partial directory is discarded; this file is not).
    func resumeFile(_ name: String, _ key: String) -> String {
        (cache.root as NSString).appendingPathComponent("\(name)-\(key.prefix(16)).resume.safetensors")
    }

    /// The standard model on D.
    func standardModel(seed: UInt64) throws -> StageRef {
        try trainStage("standard-\(config.architecture)-s\(seed)", architecture: config.architecture,
                       dataKey: datasetKey(limit: config.standardTrainLimit), epochs: config.standardEpochs, seed: seed) {
            try DataSource.first(config.standardTrainLimit, of: self.train())
        }
    }

    /// The robust model on D: Madry L2 adversarial training.
    func robustModel(seed: UInt64) throws -> StageRef {
        let attack = ["attack": "pgd-l2", "epsilon": "\(config.robustEpsilon)", "steps": "\(config.robustSteps)",
                      "step-size": "\(config.robustStepSize)"]
        return try trainStage("robust-\(config.architecture)-s\(seed)", architecture: config.architecture,
                              dataKey: datasetKey(limit: config.robustTrainLimit), epochs: config.robustEpochs, seed: seed,
                              adversarial: attack) {
            try DataSource.first(config.robustTrainLimit, of: self.train())
        }
    }

    /// A model of `config.architecture` (or `architecture`) trained on training set `set`.
    func setModel(_ set: TrainingSet, seed: UInt64, architecture: String? = nil) throws -> StageRef {
        let arch = architecture ?? config.architecture
        switch set {
        case .constructed(let c):
            let data = try constructedSet(c, seed: seed)
            return try trainStage("train-\(c.name)-\(arch)-s\(seed)", architecture: arch, dataKey: ["set": c.name], upstream: [data],
                                  epochs: config.setEpochs, seed: seed) {
                try DatasetBundle.load(data.datasetFile, split: .train)
            }
        case .subset:
            var key = datasetKey(limit: nil)
            key["subset"] = "\(config.setSize) drawn with seed \(seed)"
            return try trainStage("train-d_sub-\(arch)-s\(seed)", architecture: arch, dataKey: key, epochs: config.setEpochs, seed: seed) {
                try self.train().subset(self.subsetIndices(seed: seed))
            }
        }
    }
}

// Running `brittle reproduce`: the experiments in order over the cached stages of
// Reproduction.swift (Figure 2's robust features, Table 1's non-robust features, Figure 3's
// transfer), collecting ReproductionResults. A failed run removes the empty directories it
// created. Not the stages themselves (Reproduction.swift) nor the report (ReproductionReport).
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

extension Reproduction {
    /// Runs `experiments` and returns the results (also written by `ReproductionReport`).
    /// A failed run leaves no empty directory it created behind.
    public func run(_ experiments: [ReproductionExperiment]) throws -> ReproductionResults {
        do { return try runExperiments(experiments) } catch {
            removeEmptyCreatedDirectories()
            throw error
        }
    }

    func runExperiments(_ experiments: [ReproductionExperiment]) throws -> ReproductionResults {
        let start = Date()
        let wanted = Set(experiments)
        var results = ReproductionResults(config: config, experiments: experiments.map(\.rawValue), threads: Parallel.threads)
        _ = try train()
        for seed in config.seeds {
            log("=== seed \(seed) ===")
            var models: [(String, StageRef, TrainingSet?)] = []
            let standard = try standardModel(seed: seed)
            models.append(("standard", standard, nil))
            var sets: [TrainingSet] = []
            if wanted.contains(.robustFeatures) {
                models.append(("robust", try robustModel(seed: seed), nil))
                sets += [.constructed(.dR), .constructed(.dNR), .subset]
            }
            if wanted.contains(.nonRobustFeatures) {
                sets += [.subset, .constructed(.dRand)]
                if config.randAnyControl { sets.append(.constructed(.dRandAny)) }
                if config.robustSourceControl { sets.append(.constructed(.dRandRobust)) }
                sets += config.detEpsilons.map { .constructed(.dDet($0)) }
            }
            if wanted.contains(.transfer) {
                sets.append(.constructed(config.transferSet == "det" ? .dDet(config.detEpsilons[0]) : .dRand))
            }
            var seen = Set<String>()
            sets = sets.filter { seen.insert($0.name).inserted }
            for set in sets {
                models.append((set.name, try setModel(set, seed: seed), set))
            }
            // Sets' construction figures.
            for case .constructed(let c) in sets {
                let ref = try constructedSet(c, seed: seed)
                let record = try JSONDecoder().decode(ConstructionRecord.self, from: Data(contentsOf: URL(fileURLWithPath: (ref.directory as NSString).appendingPathComponent("construction.json"))))
                results.sets.append(SetResult(name: c.name, label: c.label, seed: seed, spec: record.spec, sourceModel: record.sourceModel,
                                              images: record.images, reported: record.reported, stage: ref.name))
            }
            // Evaluations.
            for (name, ref, set) in models {
                let e = try evaluation(of: ref)
                let training = try TrainingRecord.read(ref)
                results.models.append(ModelResult(name: name, label: set?.label ?? ModelResult.label(name), seed: seed,
                                                  architecture: training.architecture, trainImages: training.trainImages,
                                                  epochs: training.epochs.count, evaluation: e, stage: ref.name))
            }
            if wanted.contains(.transfer) {
                try runTransfer(seed: seed, models: models, into: &results)
            }
        }
        results.subsetIndices = try config.seeds.map { try subsetIndices(seed: $0) }
        results.timings = timings
        results.seconds = Date().timeIntervalSince(start)
        results.claims = ReproductionClaims.evaluate(results)
        return results
    }

    /// Figure 3, and the accuracy of every model of the run on examples transferred from the
    /// standard model.
    func runTransfer(seed: UInt64, models: [(String, StageRef, TrainingSet?)], into results: inout ReproductionResults) throws {
        let (examples, sourceAccuracy) = try transferExamples(seed: seed)
        let data = try robustTest()
        let relabelled: ConstructedSet = config.transferSet == "det" ? .dDet(config.detEpsilons[0]) : .dRand
        results.transferSources.append(TransferSource(seed: seed, epsilon: config.transferEpsilon, steps: config.transferSteps,
                                                      examples: data.count, sourceAccuracy: sourceAccuracy))
        // Accuracy on the transferred examples of every model of the run.
        for (name, ref, _) in models {
            let m = try Checkpoint.load(ref.modelFile, registry: registry)
            let acc = accuracyOn(m, examples, data.labels)
            if let i = results.models.firstIndex(where: { $0.name == name && $0.seed == seed }) {
                results.models[i].transferredAccuracy = acc
            }
        }
        // The architectures: x = accuracy on the original test set when trained on the relabelled
        // set; y = transfer success against the same architecture trained on D.
        for arch in config.transferArchitectures {
            let onRelabelled = try setModel(.constructed(relabelled), seed: seed, architecture: arch)
            let onD = try trainStage("target-\(arch)-s\(seed)", architecture: arch, dataKey: datasetKey(limit: config.transferTrainLimit),
                                     epochs: config.transferEpochs, seed: seed &+ 1000) {
                try DataSource.first(config.transferTrainLimit, of: self.train())
            }
            let x = try TrainingRecord.read(onRelabelled).testAccuracy
            let t = transferSuccess(against: try Checkpoint.load(onD.modelFile, registry: registry), clean: data.images, adversarial: examples, labels: data.labels)
            results.transfer.append(TransferResult(
                architecture: arch, seed: seed, relabelledSet: relabelled.name, accuracyTrainedOnRelabelled: x,
                targetCleanAccuracy: t.cleanAccuracy, transferSuccess: t.success, examples: data.count,
                stages: [onRelabelled.name, onD.name]))
        }
    }
}

// results.json from a plan's finished stages: each model's training and evaluation records,
// each set's construction record, the transfer stage's figures, and the claims checked on them.
// Reads only the stage directories, so it works on a finished run, a partial run (the missing
// stages are listed) and a run whose stages ran as Slurm jobs on other nodes. Not the rendering
// (ReproductionReport), which is a function of these results.
import Foundation

extension ReproductionResults {
    /// The results of `run` from the finished stages in `cache`. `ranNow` are the stages this
    /// invocation computed (the others show as cached); `seconds` is its wall-clock time (nil:
    /// the sum of the stages' times).
    public static func assemble(_ run: PlannedRun, plan: ReproductionPlan, cache: StageCache, ranNow: Set<String> = [],
                                seconds: Double? = nil) throws -> ReproductionResults {
        var r = ReproductionResults(config: run.config, experiments: run.experiments.map { $0.rawValue }, threads: plan.threads)
        var directories: [String: String] = [:], missing: [String] = []
        func finished(_ key: String) -> PlannedStage? {
            guard let s = plan.stage(key), cache.isFinished(s) else {
                if let s = plan.stage(key), !missing.contains(s.name) { missing.append(s.name) }
                return nil
            }
            directories[s.name] = s.directoryName
            return s
        }
        func read<T: Decodable>(_ type: T.Type, _ s: PlannedStage, _ file: String) throws -> T {
            let path = (cache.directory(of: s) as NSString).appendingPathComponent(file)
            do { return try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw ReproductionError("\(path) is damaged (\(error)): delete \(cache.directory(of: s)) and run again")
            }
        }
        for seed in run.seeds {
            for set in seed.sets {
                guard let s = finished(set.construction) else { continue }
                let record = try read(ConstructionRecord.self, s, "construction.json")
                r.sets.append(SetResult(name: set.name, label: set.label, seed: seed.seed, spec: record.spec, sourceModel: record.sourceModel,
                                        images: record.images, reported: record.reported, stage: s.name))
            }
            for m in seed.models {
                // Both looked up, so a missing evaluation is listed even when its training is missing too.
                let t = finished(m.train), e = finished(m.evaluation)
                let ensemble = try m.ensemble.flatMap(finished).map { try read(EnsembleMeasurement.self, $0, EnsembleMeasurement.file).summary }
                guard let t, let e else { continue }
                let training = try read(TrainingRecord.self, t, "training.json")
                r.models.append(ModelResult(name: m.name, label: m.label, seed: seed.seed, setSeed: m.setSeed, architecture: training.architecture,
                                            trainImages: training.trainImages, epochs: training.epochs.count,
                                            evaluation: try read(ModelEvaluation.self, e, "evaluation.json"), ensemble: ensemble,
                                            stage: t.name))
            }
            if let key = seed.transfer, let s = finished(key) {
                let m = try read(TransferMeasurement.self, s, TransferMeasurement.file)
                r.transferSources.append(m.source)
                r.transfer += m.results
                for (name, acc) in m.transferredAccuracy {
                    if let i = r.models.firstIndex(where: { $0.name == name && $0.seed == seed.seed }) { r.models[i].transferredAccuracy = acc }
                }
                for stage in m.results.flatMap(\.stages) {
                    if let p = plan.stages.first(where: { $0.name == stage && s.upstream.contains($0.key) }) { directories[stage] = p.directoryName }
                }
            }
        }
        r.subsetIndices = run.subsetIndices
        r.stageDirectories = directories
        r.missingStages = missing
        var timings: [StageTiming] = []
        for key in Set(run.stageKeys).union(run.seeds.compactMap(\.transfer).flatMap { plan.stage($0)?.upstream ?? [] }) {
            guard let s = plan.stage(key), let secs = cache.seconds(s) else { continue }
            timings.append(StageTiming(stage: s.name, key: String(s.key.prefix(16)), seconds: secs, cached: !ranNow.contains(key)))
        }
        r.timings = timings.sorted { ($0.stage, $0.key) < ($1.stage, $1.key) }
        r.seconds = seconds ?? timings.map(\.seconds).reduce(0, +)
        r.claims = ReproductionClaims.evaluate(r)
        return r
    }
}

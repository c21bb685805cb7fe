// `brittle reproduce --from-bundle FILE`: verifies an experiment bundle (checksums, as it streams;
// models are read into memory, nothing is unpacked), re-measures with every model it holds the
// figures results.json records (clean and robust accuracy, the (y+1) share, transfer) on the
// original test set, and compares. Not the bundle format (BrittleArchive) nor a rerun of training.
import BrittleArchive
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// One re-measured figure.
public struct VerifiedFigure: Sendable {
    public var model: String
    public var seed: UInt64
    public var metric: String
    public var recorded: Float
    public var measured: Float
    public var matches: Bool
}

public enum ReproductionVerify {
    /// Re-measures the bundle's figures; a figure matches when it differs by at most
    /// `tolerance` (a fraction: 0.005 is half a point). Same seed and thread count give the
    /// same figures bit for bit here; the tolerance allows another CPU's rounding.
    public static func verify(
        bundle path: String, tolerance: Float = 0.005, registry: Registry, options: BundleReadOptions = .init(),
        log: (String) -> Void = note
    ) throws
        -> (results: ReproductionResults, figures: [VerifiedFigure])
    {
        // Every entry is verified as it streams by; results.json and the models are kept in
        // memory (budgeted), the datasets only hashed: nothing is unpacked to disk.
        let (manifest, entries) = try BundleReader.readEntries(path, options: options) {
            $0.path == "results.json" || ($0.path.hasPrefix("models/") && $0.path.hasSuffix(".safetensors"))
        }
        guard manifest.kind == .experiment, let resultsBytes = entries["results.json"] else {
            throw ReproductionError("\(path) is a \(manifest.kind.rawValue) bundle without results.json, not an experiment bundle of `brittle reproduce`")
        }
        log("verified \(manifest.entries.count) entries of \(path) against their SHA-256")
        let results = try ReproductionReport.decodeResults(Data(resultsBytes), source: path + ":results.json")
        let c = results.config
        let test = try DataSource(dataset: c.dataset, dataDirectory: c.dataDir, testLimit: c.testLimit).test()
        let robustTest = test.subset(Array(0..<min(test.count, c.robustTestLimit)))

        func model(_ stage: String) throws -> Classifier {
            let entry = ReproductionReport.modelEntry(stage)
            guard let bytes = entries[entry] else {
                throw ReproductionError("\(path) lacks \(entry), the model results.json names")
            }
            return try Checkpoint.load(safetensors: bytes, name: path + ":" + entry, registry: registry)
        }
        var figures: [VerifiedFigure] = []
        func compare(_ m: String, _ seed: UInt64, _ metric: String, _ recorded: Float, _ measured: Float) {
            figures.append(VerifiedFigure(model: m, seed: seed, metric: metric, recorded: recorded, measured: measured,
                                          matches: abs(recorded - measured) <= tolerance))
        }
        // Transferred examples: re-crafted on each seed's standard model.
        var transferred: [UInt64: Tensor] = [:]
        for source in results.transferSources {
            guard let standard = results.models.first(where: { $0.name == "standard" && $0.seed == source.seed }) else { continue }
            transferred[source.seed] = try craftTransferExamples(on: try model(standard.stage), robustTest,
                                                                 epsilon: source.epsilon, steps: source.steps, registry: registry).inputs
        }
        for m in results.models {
            log("re-evaluating \(m.label), \(m.seedDescription)")
            // A set seed other than 0 shows as d_r/t1.
            let shown = m.name + (m.setSeed.flatMap { $0 == 0 ? nil : "/t\($0)" } ?? "")
            let classifier = try model(m.stage)
            let e = try evaluateModel(classifier, test: test, robustTest: robustTest, epsilons: m.evaluation.robust.map(\.epsilon),
                                      steps: m.evaluation.steps, label: m.name, registry: registry)
            compare(shown, m.seed, "clean", m.evaluation.cleanAccuracy, e.cleanAccuracy)
            compare(shown, m.seed, "(y+1) share", m.evaluation.nextClassFraction, e.nextClassFraction)
            for p in m.evaluation.robust {
                compare(shown, m.seed, "robust eps \(ReproductionReport.number(p.epsilon))", p.robustAccuracy, e.robustAccuracy(p.epsilon) ?? .nan)
            }
            if let t = m.transferredAccuracy, let x = transferred[m.seed] {
                compare(shown, m.seed, "on transferred", t, accuracyOn(classifier, x, robustTest.labels))
            }
        }
        for t in results.transfer {
            guard let x = transferred[t.seed], t.stages.count == 2 else { continue }
            let measured = transferSuccess(against: try model(t.stages[1]), clean: robustTest.images, adversarial: x, labels: robustTest.labels)
            compare(t.architecture, t.seed, "transfer success", t.transferSuccess, measured.success)
        }
        return (results, figures)
    }
}

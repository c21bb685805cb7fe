// The outputs of a reproduction run: results.json, config.json, report.md (this run's figures
// beside the issue's Fashion-MNIST reference and the paper's CIFAR-10 figures, the claims, the
// configuration and the time of every stage), the figures, and the whole run as one experiment
// bundle (report, results, figures, models, constructed datasets).
import BrittleArchive
import BrittleDatasets
import BrittleFigures
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// Writes what a run measured.
public enum ReproductionReport {
    /// Name of the experiment bundle in the output directory.
    public static let bundleName = "experiment.tar.zst"

    /// A number without trailing zeros: 2.0 -> "2", 0.25 -> "0.25".
    public static func number(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e9 { return String(Int(d)) }
        var s = String(format: "%.4f", d)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    static var resultsEncoder: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static var resultsDecoder: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// Reads results.json.
    public static func readResults(_ path: String) throws -> ReproductionResults {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReproductionError("cannot read \(path)") }
        return try decodeResults(data, source: path)
    }

    /// Decodes the bytes of a results.json (`source` names them in errors).
    public static func decodeResults(_ data: Data, source path: String) throws -> ReproductionResults {
        do { return try resultsDecoder.decode(ReproductionResults.self, from: data) } catch {
            throw ReproductionError("\(path) is not a results.json of `brittle reproduce`: \(error)")
        }
    }

    /// Writes results.json, config.json, report.md, figures/ and (unless `bundle` is false) the
    /// experiment bundle into the run's output directory. `command` is recorded.
    public static func write(_ results: ReproductionResults, run: Reproduction, command: String, bundle: Bool = true) throws {
        let out = run.outputDirectory
        let fm = FileManager.default
        let figures = (out as NSString).appendingPathComponent("figures")
        try fm.createDirectory(atPath: figures, withIntermediateDirectories: true)
        var figureFiles: [String] = []
        if let f = try datasetGrid(results, run: run, to: (figures as NSString).appendingPathComponent("datasets.png")) { figureFiles.append(f) }
        if let f = try robustCurves(results, to: (figures as NSString).appendingPathComponent("robust-accuracy.png")) { figureFiles.append(f) }
        if let f = try transferScatter(results, to: (figures as NSString).appendingPathComponent("transfer.png")) { figureFiles.append(f) }

        try AtomicFile.write((out as NSString).appendingPathComponent("results.json"), data: resultsEncoder.encode(results))
        try AtomicFile.write((out as NSString).appendingPathComponent("config.json"), data: results.config.encoded())
        let markdown = render(results, figures: figureFiles.map { "figures/" + ($0 as NSString).lastPathComponent }, command: command)
        try AtomicFile.write((out as NSString).appendingPathComponent("report.md"), data: Data(markdown.utf8))
        if bundle { try writeBundle(results, run: run, command: command, figures: figureFiles) }
    }

    // MARK: report.md

    /// The issue's Fashion-MNIST reference (PyTorch, same protocol, N = 5,000) and the paper's
    /// CIFAR-10 figures, by row.
    struct Reference {
        var fmnistClean: String
        var fmnistRobust: String
        var cifarClean: String
        var cifarRobust: String
    }

    static func reference(_ name: String) -> Reference {
        switch name {
        case "standard": return Reference(fmnistClean: "91.1%", fmnistRobust: "15%", cifarClean: "~95%", cifarRobust: "4.5%")
        case "robust": return Reference(fmnistClean: "85.1%", fmnistRobust: "72.8%", cifarClean: "—", cifarRobust: "—")
        case "d_r": return Reference(fmnistClean: ">= 78%", fmnistRobust: "32.6% / 32.8%", cifarClean: "84.1%", cifarRobust: "48.3%")
        case "d_nr": return Reference(fmnistClean: ">= 78%", fmnistRobust: "2.9% / 5.1%", cifarClean: "87.7%", cifarRobust: "0.8%")
        case "d_sub": return Reference(fmnistClean: "—", fmnistRobust: "30.1%", cifarClean: "—", cifarRobust: "—")
        case "d_rand": return Reference(fmnistClean: "65.0% (eps 2), 46-56% (eps 1)", fmnistRobust: "≈ 0", cifarClean: "63.3%", cifarRobust: "~0%")
        case "d_det_eps1": return Reference(fmnistClean: "3.2%", fmnistRobust: "—", cifarClean: "43.7% (eps 0.5)", cifarRobust: "~0%")
        case "d_det_eps2": return Reference(fmnistClean: "7.9%", fmnistRobust: "—", cifarClean: "43.7% (eps 0.5)", cifarRobust: "~0%")
        case let n where n.hasPrefix("d_det"): return Reference(fmnistClean: "—", fmnistRobust: "—", cifarClean: "43.7% (eps 0.5)", cifarRobust: "~0%")
        default: return Reference(fmnistClean: "—", fmnistRobust: "—", cifarClean: "—", cifarRobust: "—")
        }
    }

    /// "85.1%" for one seed, "85.1% (84.2–86.0)" for several.
    static func spread(_ values: [Double]) -> String {
        let v = values.filter(\.isFinite)
        guard !v.isEmpty else { return "—" }
        let m = String(format: "%.1f%%", 100 * mean(v))
        guard v.count > 1 else { return m }
        return m + String(format: " (%.1f–%.1f)", 100 * v.min()!, 100 * v.max()!)
    }

    static func render(_ r: ReproductionResults, figures: [String], command: String) -> String {
        let c = r.config
        let eps = c.headlineEpsilon
        var md = "# Brittle reproduction: \"Adversarial Examples Are Not Bugs, They Are Features\" on \(c.dataset)\n\n"
        md += "Preset `\(c.preset)`, experiments \(r.experiments.joined(separator: ", ")), seeds \(c.seeds.map(String.init).joined(separator: ", ")), "
        md += "\(c.architecture), \(r.threads) threads, Brittle \(r.brittleVersion). Wall-clock time of this run: \(formatDuration(r.seconds))"
        let computed = r.timings.filter { !$0.cached }.map(\.seconds).reduce(0, +)
        let all = r.timings.map(\.seconds).filter(\.isFinite).reduce(0, +)
        md += " (stages computed now: \(formatDuration(computed)); all stages when first computed: \(formatDuration(all))).\n\n"
        md += "Command: `brittle \(command)`\n\n"
        if c.preset == "smoke" {
            md += "**Smoke preset:** every stage with tiny budgets, to check that the pipeline runs end to end. Its figures mean nothing; run `--preset quick` for results.\n\n"
        }
        md += "All accuracies are on the ORIGINAL \(c.dataset) test set: clean accuracy on \(r.models.first?.evaluation.testImages ?? 0) images, "
        md += "robust accuracy under untargeted L2 PGD (\(c.evalSteps) steps of 2.5·eps/\(c.evalSteps), no random start) on the first \(r.models.first?.evaluation.robustImages ?? c.robustTestLimit) of them. "
        md += "With several seeds a figure is the mean with (min–max). \"Reference\" is the issue's careful PyTorch run of the same protocol on Fashion-MNIST "
        md += "(N = 5,000, 300 inversion steps); \"paper\" is Ilyas et al. 2019 on CIFAR-10 (ResNet-50, robust accuracy at L2 eps 0.25): different data and scale, shown for the shape of the result.\n\n"

        if !r.claims.isEmpty {
            md += "## Claims\n\n| | claim | this run |\n|---|---|---|\n"
            for claim in r.claims {
                let mark = claim.holds.map { $0 ? "holds" : "**does not hold**" } ?? "reported"
                md += "| \(mark) | \(claim.statement) | \(claim.detail) |\n"
            }
            md += "\n"
        }

        let notes = findings(r)
        if !notes.isEmpty {
            md += "## Findings\n\n" + notes.map { "- " + $0 + "\n" }.joined() + "\n"
        }

        let epsHeader = c.evalEpsilons.map { "robust eps \(number($0))" }
        func row(_ name: String, label: String? = nil) -> String? {
            let ms = r.models(name)
            guard let first = ms.first else { return nil }
            let ref = reference(name)
            var cells = [label ?? first.label, "\(first.trainImages)", spread(ms.map { Double($0.evaluation.cleanAccuracy) })]
            cells += c.evalEpsilons.map { e in spread(ms.compactMap { $0.evaluation.robustAccuracy(e) }.map(Double.init)) }
            cells += [ref.fmnistClean, ref.fmnistRobust, ref.cifarClean, ref.cifarRobust]
            return "| " + cells.joined(separator: " | ") + " |\n"
        }
        let header = "| training set | images | clean | " + epsHeader.joined(separator: " | ")
            + " | reference clean | reference robust eps 1 | paper clean | paper robust |\n|" + String(repeating: "---|", count: 7 + epsHeader.count) + "\n"

        if r.experiments.contains(ReproductionExperiment.robustFeatures.rawValue) {
            md += "## Robust features (the paper's Figure 2)\n\n"
            md += "Standard and adversarial training on D, and standard training on D_R (inverted from the robust model's representation) and D_NR (from the standard model's), "
            md += "beside the honest control D_sub: the same \(c.setSize) source images with their true labels.\n\n"
            md += header
            for n in ["standard", "robust", "d_r", "d_nr", "d_sub"] { md += row(n) ?? "" }
            md += "\n"
        }
        if r.experiments.contains(ReproductionExperiment.nonRobustFeatures.rawValue) {
            md += "## Non-robust features (the paper's Table 1)\n\n"
            md += "Standard training on images pushed by targeted L2 PGD on the standard model toward a new label t and relabelled t: "
            md += "to a person each still shows its old class. \"(y+1) share\" is the share of test predictions equal to (y + 1) mod 10: "
            md += "a model that learned D_det's map y -> y+1 from robust features that survived the perturbation scores high there and below chance on the real labels.\n\n"
            md += "| training set | targeted success of the construction | target = y | clean | robust eps \(number(eps)) | (y+1) share | reference clean | paper clean |\n|---|---|---|---|---|---|---|---|\n"
            var names = ["d_sub", "d_rand", "d_rand_any", "d_rand_robust"]
            names += c.detEpsilons.map { ConstructedSet.dDet($0).name }
            for n in names {
                let ms = r.models(n)
                guard let first = ms.first else { continue }
                let sets = r.sets(n)
                let success = sets.isEmpty ? "—" : spread(sets.compactMap { $0.reported["targeted-success"] })
                let same = sets.isEmpty ? "—" : spread(sets.compactMap { $0.reported["target-equals-label"] })
                let ref = reference(n)
                md += "| \(first.label) | \(success) | \(same) | \(spread(ms.map { Double($0.evaluation.cleanAccuracy) })) | "
                md += "\(spread(ms.compactMap { $0.evaluation.robustAccuracy(eps) }.map(Double.init))) | "
                md += "\(spread(ms.map { Double($0.evaluation.nextClassFraction) })) | \(ref.fmnistClean) | \(ref.cifarClean) |\n"
            }
            md += "\nReference targeted success: 89% at eps 2 (33% at eps 1); reference (y+1) share of the D_det model: 62% at eps 2 (78% at eps 1).\n\n"
        }
        if !r.transfer.isEmpty || r.models.contains(where: { $0.transferredAccuracy != nil }) {
            md += "## Transfer (the paper's Figure 3)\n\n"
            if let s = r.transferSources.first {
                md += "Untargeted L2 PGD at eps \(number(s.epsilon)) (\(s.steps) steps) crafted on the standard \(c.architecture) on \(s.examples) test images "
                md += "(the source's own accuracy on them: \(spread(r.transferSources.map { Double($0.sourceAccuracy) }))).\n\n"
            }
            md += "Accuracy on the transferred examples:\n\n| model | clean | on transferred examples | reference |\n|---|---|---|---|\n"
            let refs = ["d_rand": "2.0%", "d_r": "74.5%", "robust": "81.9%"]
            var seen: [String] = []
            for m in r.models where m.transferredAccuracy != nil && !seen.contains(m.name) { seen.append(m.name) }
            for n in seen {
                let ms = r.models(n)
                md += "| \(ms[0].label)\(n == "standard" ? " (white-box: the source itself)" : "") | \(spread(ms.map { Double($0.evaluation.cleanAccuracy) })) | "
                md += "\(spread(ms.compactMap(\.transferredAccuracy).map(Double.init))) | \(refs[n] ?? "—") |\n"
            }
            if !r.transfer.isEmpty {
                let set = r.transfer[0].relabelledSet == "d_rand" ? "D_rand" : "D_det"
                md += "\nArchitectures: x = clean accuracy on the original test set when trained on \(set); "
                md += "y = transfer success against the same architecture trained on D (share of the images it classifies correctly whose transferred version it gets wrong).\n\n"
                md += "| architecture | seed | x: accuracy trained on \(set) | y: transfer success | its clean accuracy (trained on D) |\n|---|---|---|---|---|\n"
                for t in r.transfer {
                    md += "| \(t.architecture) | \(t.seed) | \(String(format: "%.1f%%", 100 * t.accuracyTrainedOnRelabelled)) | "
                    md += "\(String(format: "%.1f%%", 100 * t.transferSuccess)) | \(String(format: "%.1f%%", 100 * t.targetCleanAccuracy)) |\n"
                }
            }
            md += "\n"
        }
        if !r.sets.isEmpty {
            md += "## Constructed sets\n\n| set | seed | built by | source model | images | reported by the transform |\n|---|---|---|---|---|---|\n"
            for s in r.sets {
                let figures = s.reported.keys.sorted().map { "\($0) \(String(format: "%.4g", s.reported[$0]!))" }.joined(separator: ", ")
                md += "| \(s.label) | \(s.seed) | `\(s.spec)` | \(s.sourceModel) | \(s.images) | \(figures) |\n"
            }
            md += "\n"
        }
        if !figures.isEmpty {
            md += "## Figures\n\n" + figures.map { "![\($0)](\($0))\n" }.joined(separator: "\n") + "\n"
        }
        md += "## Stages\n\nEach stage is cached under `stages/` by the SHA-256 of its configuration and its upstream stages: a rerun skips finished stages, "
        md += "a killed run resumes (training from its last finished epoch), a changed setting reruns only what depends on it.\n\n"
        md += "| stage | key | seconds | |\n|---|---|---|---|\n"
        for t in r.timings {
            md += "| \(t.stage) | \(t.key) | \(t.seconds.isFinite ? String(format: "%.1f", t.seconds) : "—") | \(t.cached ? "cached" : "computed") |\n"
        }
        md += "\n## Configuration\n\nEvery key can be overridden with `--set key=value` or a JSON `--config` file.\n\n```json\n"
        md += String(decoding: (try? c.encoded()) ?? Data(), as: UTF8.self) + "\n```\n\n"
        md += "Re-check this run from its bundle: `brittle reproduce --from-bundle \(bundleName)` (re-evaluates every model and compares the figures).\n"
        return md
    }
}

extension ReproductionReport {
    /// What the figures say where they depart from the paper or the reference, computed from
    /// this run (a claim that does not hold is a finding to explain, not to hide).
    static func findings(_ r: ReproductionResults) -> [String] {
        var notes: [String] = []
        let claims = Dictionary(r.claims.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func clean(_ n: String) -> Double { 100 * mean(r.models(n).map { Double($0.evaluation.cleanAccuracy) }) }
        func success(_ n: String) -> Double { 100 * mean(r.sets(n).compactMap { $0.reported["targeted-success"] }) }
        func transferred(_ n: String) -> Double { 100 * mean(r.models(n).compactMap(\.transferredAccuracy).map(Double.init)) }
        if claims["leakage-control"]?.holds == false {
            var note = String(format: "**The leakage control does not behave as in the paper.** The targeted attack on the robust model reaches only %.1f%% targeted success, ", success("d_rand_robust"))
            note += String(format: "yet a model trained on the relabelled images reaches %.1f%% on the original test set (D_rand from the standard model: %.1f%%). ", clean("d_rand_robust"), clean("d_rand"))
            note += "At eps \(number(r.config.randEpsilon)), \(number(r.config.randEpsilon / r.config.robustEpsilon))x the robust model's training radius, the perturbation against a robust model adds perceptible, robust features of the target class "
            note += "(robust models have perceptually aligned gradients), so the relabelled set teaches 'features of t -> t' without any non-robust feature. "
            if r.models("d_rand_robust").contains(where: { $0.transferredAccuracy != nil }) {
                note += String(format: "Its model keeps %.1f%% on examples transferred from the standard model, against %.1f%% for D_rand's: it relies on robust features. ", transferred("d_rand_robust"), transferred("d_rand"))
            }
            note += "The control needs a budget too small to paint robust features (try `--set rand_epsilon=1.0`). At this budget D_rand's accuracy alone does not prove that non-robust features carry it; its robust accuracy (≈ 0) and its transfer figures, shown beside it, are the better evidence."
            notes.append(note)
        }
        for det in r.config.detEpsilons {
            let name = ConstructedSet.dDet(det).name
            guard !r.models(name).isEmpty else { continue }
            let leak = 100 * mean(r.models(name).map { Double($0.evaluation.nextClassFraction) })
            if clean(name) < 10 && leak > 50 {
                notes.append(String(format: "**D_det (eps %@) fails, as expected on Fashion-MNIST:** %.1f%% clean accuracy, below chance, while %.1f%% of its test predictions are (y + 1) mod 10. ", number(det), clean(name), leak)
                             + "The images still carry their class's robust features, and with t = y + 1 fixed per class the model learns y -> y + 1 from them instead of the non-robust features the attack added. D_rand's random targets break that shortcut.")
            }
        }
        if let c = claims["transfer-correlation"], c.holds != true, !r.transfer.isEmpty {
            let order = r.transfer.map { String(format: "%@ (x %.1f%%, y %.1f%%)", $0.architecture, 100 * $0.accuracyTrainedOnRelabelled, 100 * $0.transferSuccess) }
            notes.append("**Figure 3's correlation does not show here** (\(c.detail)): \(order.joined(separator: ", ")). "
                         + "With \(r.transfer.count) points from one source model this is weak evidence either way; the paper used more architectures, and transfer success here is low for all of them at eps \(number(r.config.transferEpsilon)).")
        }
        if r.config.preset == "quick" {
            notes.append("The quick preset trains the robust model on \(r.config.robustTrainLimit.map(String.init) ?? "all") images and builds N = \(r.config.setSize) images per set with \(r.config.inversionIterations) inversion steps "
                         + "(the reference: robust model on all 60,000, N = 5,000, 300 steps) to run in well under an hour on 2 cores; `--preset paper` runs the full protocol with 2 seeds.")
        }
        return notes
    }
}

extension Reproduction {
    /// The finished stage `name` of this run, if it ran.
    func stageRef(_ name: String) -> StageRef? { stages[name] }
}

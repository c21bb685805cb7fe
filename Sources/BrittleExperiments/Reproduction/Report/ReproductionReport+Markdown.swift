// report.md: this run's figures in tables beside cited reference figures (Datasets/references/,
// through ReferenceFigures), the claims, the findings, the constructed sets, the stages and the
// configuration. A function of the results and the references only: it runs nothing and measures
// nothing, so a finished run can be re-rendered.
import BrittleNN
import Foundation

extension ReproductionReport {
    /// "85.1%" for one value, "85.1% (84.2–86.0)" (mean, min–max) for two, and with three or
    /// more also the 95% t interval of the mean: "85.1% (84.2–86.0; CI 83.9–86.3)".
    static func spread(_ values: [Double]) -> String {
        guard let s = SweepStatistics(values) else { return "—" }
        let m = String(format: "%.1f%%", 100 * s.mean)
        guard s.n > 1 else { return m }
        var text = m + String(format: " (%.1f–%.1f", 100 * s.min, 100 * s.max)
        if let lo = s.ci95Lower, let hi = s.ci95Upper { text += String(format: "; CI %.1f–%.1f", 100 * lo, 100 * hi) }
        return text + ")"
    }

    static func render(_ r: ReproductionResults, figures: [String], command: String, references: ReferenceFigures) -> String {
        let c = r.config
        // The Fashion-MNIST reference applies only to a run on its dataset; the paper's figures are
        // always shown (for the shape of the result).
        let local = references.sources.first { $0.id != "ilyas2019" && $0.dataset == c.dataset }?.id ?? ""
        func ref(_ set: String, _ metric: ReferenceFigures.Metric) -> String { references.value(local, set: set, metric) }
        func paper(_ set: String, _ metric: ReferenceFigures.Metric) -> String { references.value("ilyas2019", set: set, metric) }
        let eps = c.headlineEpsilon
        var md = "# Brittle reproduction: \"Adversarial Examples Are Not Bugs, They Are Features\" on \(c.dataset)\n\n"
        md += "Preset `\(c.preset)`, experiments \(r.experiments.joined(separator: ", ")), seeds \(c.seeds.map(String.init).joined(separator: ", ")), "
        md += "set seeds \(c.setSeeds.map(String.init).joined(separator: ", ")), "
        md += "\(c.architecture), \(r.threads) threads, Brittle \(r.brittleVersion). Wall-clock time of this run: \(formatDuration(r.seconds))"
        let computed = r.timings.filter { !$0.cached }.map(\.seconds).reduce(0, +)
        let all = r.timings.map(\.seconds).filter(\.isFinite).reduce(0, +)
        md += " (stages computed now: \(formatDuration(computed)); all stages when first computed: \(formatDuration(all))).\n\n"
        md += "Command: `brittle \(command)`\n\n"
        if let missing = r.missingStages, !missing.isEmpty {
            md += "**Partial run:** \(missing.count) stage(s) had not finished when this report was written (\(missing.prefix(8).joined(separator: ", "))\(missing.count > 8 ? ", ..." : "")); "
            md += "figures that need them are missing below. `brittle reproduce status OUT` shows why; run the same command again to finish.\n\n"
        }
        if c.preset == "smoke" {
            md += "**Smoke preset:** every stage with tiny budgets, to check that the pipeline runs end to end. Its figures mean nothing; run `--preset quick` for results.\n\n"
        }
        md += "All accuracies are on the ORIGINAL \(c.dataset) test set: clean accuracy on \(r.models.first?.evaluation.testImages ?? 0) images, "
        md += "robust accuracy under untargeted L2 PGD (\(c.evalSteps) steps of 2.5·eps/\(c.evalSteps), no random start) on the first \(r.models.first?.evaluation.robustImages ?? c.robustTestLimit) of them"
        if let e = r.models.first(where: { $0.ensemble != nil })?.ensemble {
            md += ", and at eps \(number(e.epsilon)) under the attack ensemble (\(e.members.map(\.attack).joined(separator: ", ")), each on what the ones before left robust) on the first \(e.examples)"
        }
        md += ". "
        let replicates = c.seeds.count * c.setSeeds.count
        if replicates > 1 {
            md += "A model on D has one value per pipeline seed (\(c.seeds.count)); a model trained on a constructed set or D_sub one per pipeline seed and set seed "
            md += "(\(c.seeds.count) × \(c.setSeeds.count) = \(replicates)). A figure is their mean with (min–max) and, with 3 or more values, the 95% t interval of the mean (CI). "
            md += "A claim holds only if it holds for the means; beside it, how many of the \(replicates) seed runs it holds in. "
        }
        md += "Reference figures are quoted from `Datasets/references/ilyas2019.json`:\n\n"
        for s in references.sources where s.id == local || s.id == "ilyas2019" {
            md += "- **\(s.id == local ? "reference" : "paper")**: \(s.citation) \(s.protocol)\n"
        }
        if local.isEmpty { md += "- no reference run on \(c.dataset) is on file: the reference columns show —.\n" }
        md += "\n"

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

        let ensemble = c.robustEvaluation == "ensemble"
        let epsHeader = c.evalEpsilons.map { "robust eps \(number($0))" } + (ensemble ? ["ensemble eps \(number(eps))"] : [])
        func row(_ name: String, label: String? = nil) -> String? {
            let ms = r.models(name)
            guard let first = ms.first else { return nil }
            var cells = [label ?? first.label, "\(first.trainImages)", spread(ms.map { Double($0.evaluation.cleanAccuracy) })]
            cells += c.evalEpsilons.map { e in spread(ms.compactMap { $0.evaluation.robustAccuracy(e) }.map(Double.init)) }
            if ensemble { cells.append(ensembleCell(ms)) }
            cells += [ref(name, .clean), ref(name, .robust), paper(name, .clean), paper(name, .robust)]
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
            md += "| training set | targeted success of the construction | target = y | clean | robust eps \(number(eps)) |"
                + (ensemble ? " ensemble eps \(number(eps)) |" : "") + " (y+1) share | reference clean | paper clean |\n|---|---|---|---|---|"
                + (ensemble ? "---|" : "") + "---|---|---|\n"
            var names = ["d_sub", "d_rand", "d_rand_any", "d_rand_robust"]
            names += c.detEpsilons.map { ConstructedSet.dDet($0).name }
            for n in names {
                let ms = r.models(n)
                guard let first = ms.first else { continue }
                let sets = r.sets(n)
                let success = sets.isEmpty ? "—" : spread(sets.compactMap { $0.reported["targeted-success"] })
                let same = sets.isEmpty ? "—" : spread(sets.compactMap { $0.reported["target-equals-label"] })
                md += "| \(first.label) | \(success) | \(same) | \(spread(ms.map { Double($0.evaluation.cleanAccuracy) })) | "
                md += "\(spread(ms.compactMap { $0.evaluation.robustAccuracy(eps) }.map(Double.init))) | "
                if ensemble { md += "\(ensembleCell(ms)) | " }
                md += "\(spread(ms.map { Double($0.evaluation.nextClassFraction) })) | \(ref(n, .clean)) | \(paper(n, .clean)) |\n"
            }
            let shares = c.detEpsilons.map { ConstructedSet.dDet($0).name }.map { "\(ref($0, .nextClassShare)) (\($0))" }
            md += "\nReference targeted success: \(ref("d_rand", .targetedSuccess)); reference (y+1) share of the D_det model: \(shares.joined(separator: ", ")).\n\n"
        }
        md += referenceSection(r, references: references, source: local)
        md += ensembleSection(r)
        if !r.transfer.isEmpty || r.models.contains(where: { $0.transferredAccuracy != nil }) {
            md += "## Transfer (the paper's Figure 3)\n\n"
            if let s = r.transferSources.first {
                md += "Untargeted L2 PGD at eps \(number(s.epsilon)) (\(s.steps) steps) crafted on the standard \(c.architecture) on \(s.examples) test images "
                md += "(the source's own accuracy on them: \(spread(r.transferSources.map { Double($0.sourceAccuracy) }))).\n\n"
            }
            md += "Accuracy on the transferred examples:\n\n| model | clean | on transferred examples | reference |\n|---|---|---|---|\n"
            var seen: [String] = []
            for m in r.models where m.transferredAccuracy != nil && !seen.contains(m.name) { seen.append(m.name) }
            for n in seen {
                let ms = r.models(n)
                md += "| \(ms[0].label)\(n == "standard" ? " (white-box: the source itself)" : "") | \(spread(ms.map { Double($0.evaluation.cleanAccuracy) })) | "
                md += "\(spread(ms.compactMap(\.transferredAccuracy).map(Double.init))) | \(ref(n, .transferred)) |\n"
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
                let correlation = TransferCorrelation(r.transfer)
                if correlation.architectures.contains(where: { $0.seeds > 1 }) {
                    md += "\nPer architecture, mean over seeds (min–max; 95% t interval from 3 seeds):\n\n| architecture | seeds | x | y |\n|---|---|---|---|\n"
                    for a in correlation.architectures {
                        let points = r.transfer.filter { $0.architecture == a.name }
                        md += "| \(a.name) | \(a.seeds) | \(spread(points.map { Double($0.accuracyTrainedOnRelabelled) })) | "
                        md += "\(spread(points.map { Double($0.transferSuccess) })) |\n"
                    }
                }
                md += "\nFigure 3's correlation, one point per architecture: \(correlation.summary).\n"
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

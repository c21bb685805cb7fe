// The reference preset's comparison: every figure the reference run quotes as numbers
// (Datasets/references/, a figure's "seeds"), beside this run's: its mean and spread, the
// reference's values per seed, the difference of the means, and whether this run's mean lies
// inside the reference's seed range and the reference's mean inside this run's. Rendered for the
// reference preset only: under another protocol a difference measures the protocol as well.
import Foundation

extension ReproductionReport {
    /// One figure of the reference run and the same figure of this run (percent).
    struct ReferenceComparison {
        var set: String
        var label: String
        var metric: ReferenceFigures.Metric
        var run: [Double]
        var reference: [Double]

        var difference: Double { mean(run) - mean(reference) }

        /// This run's mean inside [min, max] of the reference's seeds (nil: one reference seed).
        var insideReferenceSpread: Bool? {
            guard reference.count >= 2, let lo = reference.min(), let hi = reference.max() else { return nil }
            return (lo...hi).contains(mean(run))
        }

        /// The reference's mean inside [min, max] of this run's values (nil: one value here).
        var referenceInsideRunSpread: Bool? {
            guard run.count >= 2, let lo = run.min(), let hi = run.max() else { return nil }
            return (lo...hi).contains(mean(reference))
        }
    }

    /// This run's values (percent) of `metric` on training set `set`: one per model or set.
    static func measured(_ r: ReproductionResults, set: String, _ metric: ReferenceFigures.Metric) -> [Double] {
        let ms = r.models(set)
        switch metric {
        case .clean: return ms.map { 100 * Double($0.evaluation.cleanAccuracy) }
        case .robust: return ms.compactMap { $0.evaluation.robustAccuracy(1.0) }.map { 100 * Double($0) }
        case .transferred: return ms.compactMap(\.transferredAccuracy).map { 100 * Double($0) }
        case .nextClassShare: return ms.map { 100 * Double($0.evaluation.nextClassFraction) }
        case .targetedSuccess: return r.sets(set).compactMap { $0.reported["targeted-success"] }.map { 100 * $0 }
        }
    }

    /// The comparisons of `r` against reference source `source`: every figure with numeric
    /// seeds that this run measured, at this run's relabelling budget where the figure names one.
    static func referenceComparisons(_ r: ReproductionResults, references: ReferenceFigures, source: String) -> [ReferenceComparison] {
        references.figures.compactMap { f in
            guard f.source == source, let seeds = f.seeds, !seeds.isEmpty else { return nil }
            if let budget = f.epsilon, f.set.hasPrefix("d_rand"), budget != r.config.randEpsilon { return nil }
            let run = measured(r, set: f.set, f.metric)
            guard !run.isEmpty else { return nil }
            return ReferenceComparison(set: f.set, label: r.models(f.set).first?.label ?? f.set, metric: f.metric, run: run, reference: seeds)
        }
    }

    /// The section "Against the reference run" (empty unless the preset is `reference` and the
    /// reference quotes numbers this run measured).
    static func referenceSection(_ r: ReproductionResults, references: ReferenceFigures, source: String) -> String {
        guard r.config.preset == "reference" else { return "" }
        let rows = referenceComparisons(r, references: references, source: source)
        guard !rows.isEmpty else { return "" }
        func pct(_ v: [Double]) -> String { v.map { String(format: "%.1f%%", $0) }.joined(separator: " / ") }
        func yesNo(_ b: Bool?) -> String { b.map { $0 ? "yes" : "**no**" } ?? "—" }
        var md = "## Against the reference run\n\n"
        md += "This run used the reference protocol (preset `reference`). Each figure the reference quotes as numbers, beside this run's "
        md += "(robust accuracy: L2 PGD at eps 1). \"inside its spread\": this run's mean lies within the reference's range over its seeds "
        md += "(— where the reference quotes one seed); \"reference inside ours\": the reference's mean lies within this run's range.\n\n"
        md += "| training set | metric | this run | reference (per seed) | difference (points) | inside its spread | reference inside ours |\n"
        md += "|---|---|---|---|---|---|---|\n"
        for row in rows {
            md += "| \(row.label) | \(row.metric.rawValue) | \(spread(row.run.map { $0 / 100 })) | \(pct(row.reference)) | "
            md += String(format: "%+.1f", row.difference) + " | \(yesNo(row.insideReferenceSpread)) | \(yesNo(row.referenceInsideRunSpread)) |\n"
        }
        let comparable = rows.filter { $0.insideReferenceSpread != nil || $0.referenceInsideRunSpread != nil }
        let within = comparable.filter { $0.insideReferenceSpread == true || $0.referenceInsideRunSpread == true }.count
        md += "\n\(within) of the \(comparable.count) figures with a spread on either side agree within one of the two spreads"
        md += "; \(rows.count - comparable.count) figures are one value on each side, compared by their difference only.\n\n"
        return md
    }
}

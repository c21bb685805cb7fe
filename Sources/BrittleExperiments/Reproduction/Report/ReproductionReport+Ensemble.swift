// report.md's strong evaluation: each model's robust accuracy at the headline budget under PGD
// beside the attack ensemble (AutoAttack-style), what each member added, and the sanity flags
// raised. A function of the results only; the ensemble is run by the ensemble stages
// (EnsembleMeasurement).
import Foundation

extension ReproductionReport {
    /// The ensemble's robust accuracy of `models` (one per seed), "—" where it was not measured.
    static func ensembleCell(_ models: [ModelResult]) -> String {
        let v = models.compactMap { $0.ensemble?.robustAccuracy }.map(Double.init)
        return v.count == models.count ? spread(v) : "—"
    }

    /// The "Strong evaluation" section, empty when no model has ensemble figures.
    static func ensembleSection(_ r: ReproductionResults) -> String {
        let measured = r.models.filter { $0.ensemble != nil }
        guard let first = measured.first?.ensemble else { return "" }
        let c = r.config
        let members = first.members.map(\.attack)
        var md = "## Strong evaluation: PGD-\(c.evalSteps) beside the attack ensemble\n\n"
        // PGD's figure comes from the evaluation stage, on its robust-test images; when the
        // ensemble attacks fewer, the two columns are different samples and the table says so.
        let pgdImages = measured.first?.evaluation.robustImages ?? first.examples
        let sameImages = pgdImages == first.examples
        md += "Robust accuracy at L2 eps \(number(first.epsilon)) under PGD-\(c.evalSteps) on the first \(pgdImages) test images "
        md += "and under the ensemble on the first \(first.examples)"
        md += sameImages ? "" : " (the clean and ensemble columns are on those \(first.examples); \"ensemble − PGD\" therefore mixes the attacks' strength with the difference between the two samples)"
        md += ": the ensemble \(members.joined(separator: " → ")) (Croce & Hein, ICML 2020) runs each attack only on the examples "
        md += "still classified correctly, and an example counts as robust only if it survives them all. AutoAttack's standard version also runs "
        md += "FAB-T, which Brittle does not have. Ensemble settings: \(c.ensembleSteps) APGD steps, \(c.ensembleTargetClasses) APGD-T target classes, "
        md += "\(c.ensembleQueries) Square queries. "
        md += c.robustEvaluation == "ensemble" ? "The claims about robust accuracy use the ensemble's figure.\n\n" : "\n\n"
        md += "| model | clean | PGD-\(c.evalSteps) | " + members.map { "after \($0)" }.joined(separator: " | ") + " | ensemble − PGD | flags |\n"
        md += "|" + String(repeating: "---|", count: 5 + members.count) + "\n"
        var seen: [String] = []
        for m in measured where !seen.contains(m.name) { seen.append(m.name) }
        for name in seen {
            let ms = r.models(name).filter { $0.ensemble != nil }
            let pgd = ms.compactMap { $0.evaluation.robustAccuracy(first.epsilon) }.map(Double.init)
            let ens = ms.compactMap { $0.ensemble?.robustAccuracy }.map(Double.init)
            var cells = [ms[0].label, spread(ms.compactMap { $0.ensemble.map { Double($0.cleanAccuracy) } }), spread(pgd)]
            for (k, _) in members.enumerated() {
                cells.append(spread(ms.compactMap { $0.ensemble?.members[safe: k].map { $0.robustAccuracy } }))
            }
            cells.append(pgd.count == ens.count && !pgd.isEmpty ? String(format: "%+.1f points", 100 * (mean(ens) - mean(pgd))) : "—")
            let flags = Set(ms.flatMap { $0.ensemble?.flags.map(\.id) ?? [] }).sorted()
            cells.append(flags.isEmpty ? "none" : flags.joined(separator: ", "))
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        let raised = measured.flatMap { m in (m.ensemble?.flags ?? []).map { (m, $0) } }
        if !raised.isEmpty {
            md += "\nSanity flags (on the first \(first.sanitySample) images of each model):\n\n"
            for (m, f) in raised { md += "- \(m.label), \(m.seedDescription): **\(f.id)**: \(f.message)\n" }
        }
        return md + "\n"
    }
}

fileprivate extension Array {
    /// The element at `index`, or nil outside the array.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

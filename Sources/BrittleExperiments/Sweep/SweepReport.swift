// The outputs of `brittle sweep`: sweep.json (the SweepTable), sweep.md (a table per headline
// figure, rows = grid points, and the claims' seed counts) and one PNG per headline figure
// against the swept setting, the seed spread as error bars. Renders a finished table; runs and
// measures nothing, and knows nothing of the CLI.
import BrittleFigures
import BrittleIO
import Foundation

/// Writes what a sweep measured.
public enum SweepReport {
    /// Writes sweep.json, sweep.md and figures/<figure>.png into `directory` (created if
    /// missing), every file atomically; returns the figure paths. `command` is recorded.
    @discardableResult
    public static func write(_ table: SweepTable, to directory: String, command: String) throws -> [String] {
        let figuresDirectory = (directory as NSString).appendingPathComponent("figures")
        try FileManager.default.createDirectory(atPath: figuresDirectory, withIntermediateDirectories: true)
        var written: [String: String] = [:]
        for f in table.figures {
            let path = (figuresDirectory as NSString).appendingPathComponent(fileName(f.id))
            try plot(f, in: table).write(to: path)
            written[f.id] = "figures/" + fileName(f.id)
        }
        try AtomicFile.write((directory as NSString).appendingPathComponent("sweep.json"), bytes: [UInt8](table.encoded()))
        let md = markdown(table, command: command, figureFiles: written)
        try AtomicFile.write((directory as NSString).appendingPathComponent("sweep.md"), bytes: Array(md.utf8))
        return table.figures.compactMap { written[$0.id] }.map { (directory as NSString).appendingPathComponent($0) }
    }

    /// "clean/d_r" -> "clean-d_r.png" (only letters, digits, '.', '_', '-').
    static func fileName(_ id: String) -> String {
        let safe = id.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? String($0) : "-" }.joined()
        return safe + ".png"
    }

    /// A figure's value as shown: "85.1%" or "0.412".
    static func format(_ v: Double, unit: String) -> String {
        guard v.isFinite else { return "—" }
        return unit == "%" ? String(format: "%.1f%%", v) : String(format: "%.3f", v)
    }

    // MARK: Markdown

    /// sweep.md. `figureFiles` maps figure ids to their relative image paths.
    public static func markdown(_ t: SweepTable, command: String, figureFiles: [String: String] = [:]) -> String {
        let keys = t.grid.keys
        let seedList = t.seeds.map(String.init).joined(separator: ", ")
        var md = "# Sweep of `\(t.experiment)` over \(keys.map { "`\($0)`" }.joined(separator: " × "))\n\n"
        let runs = t.points.count * t.seeds.count
        md += "\(t.points.count) grid points × \(t.seeds.count) seeds (\(seedList)) = \(runs) reproductions, run as one stage graph"
        if let e = t.execution {
            md += " on the `\(e.executor)` executor"
            if let s = e.stages {
                md += ": \(s) distinct stages (shared stages computed once)"
                if let c = e.cachedStages { md += ", \(c) of them already cached" }
            }
            if let sec = e.seconds, sec.isFinite { md += ", in \(formatDuration(sec))" }
        }
        md += ".\n\nCommand: `brittle \(command)`"
        if let r = t.execution?.rerenderedBy { md += " (this page re-rendered from its finished stages by `brittle \(r)`)" }
        md += "\n\n"
        md += "Each cell summarises one grid point over its seeds: the mean, the range (min–max), a 95% Student-t interval of the mean when n >= 3, "
        md += "and n, the seeds that measured the figure. Accuracies are in percent on the original test set; robust accuracy is L2 PGD at the point's `headline_epsilon`"
        let eps = Set(t.headlineEpsilons.filter(\.isFinite))
        md += eps.count == 1 ? " (\(ReproductionReport.number(eps.first!)))" : ""
        md += t.figures.contains { $0.id.hasPrefix("ensemble/") } ? "; the attack ensemble attacks at the same budget.\n\n" : ".\n\n"
        md += "Grid points, in order (first key slowest):\n\n| point | " + keys.joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: keys.count) + "\n"
        for p in t.points { md += "| \(p.index) | " + p.settings.map(\.value).joined(separator: " | ") + " |\n" }
        md += "\n"

        if !t.claims.isEmpty {
            md += "## Claims\n\nSeeds for which each claim of the issue holds, of the seeds that checked it (\"reported\": no pass/fail).\n\n"
            for c in t.claims { md += "- `\(c.id)`: \(c.statement)\n" }
            md += "\n| " + keys.joined(separator: " | ") + " | " + t.claims.map { "`\($0.id)`" }.joined(separator: " | ") + " |\n|"
            md += String(repeating: "---|", count: keys.count + t.claims.count) + "\n"
            for (i, p) in t.points.enumerated() {
                let cells = t.claims.map { c in c.checked[i] == 0 ? (c.seeds[i] == 0 ? "—" : "reported") : "\(c.holds[i])/\(c.checked[i])" }
                md += "| " + (p.settings.map(\.value) + cells).joined(separator: " | ") + " |\n"
            }
            md += "\n"
        }

        md += "## Headline figures\n\n"
        for f in t.figures {
            md += "### \(f.label)\n\n"
            if let file = figureFiles[f.id] { md += "![\(f.label)](\(file))\n\n" }
            md += "| " + keys.joined(separator: " | ") + " | mean | min–max | 95% CI | n |\n|"
            md += String(repeating: "---|", count: keys.count + 4) + "\n"
            for (i, p) in t.points.enumerated() {
                var cells = p.settings.map(\.value)
                if let s = f.points[i] {
                    cells.append(format(s.mean, unit: f.unit))
                    cells.append(s.n > 1 ? "\(format(s.min, unit: f.unit))–\(format(s.max, unit: f.unit))" : "—")
                    if let lo = s.ci95Lower, let hi = s.ci95Upper {
                        cells.append("\(format(lo, unit: f.unit))–\(format(hi, unit: f.unit))")
                    } else {
                        cells.append("—")
                    }
                    cells.append("\(s.n)")
                } else {
                    cells += ["—", "—", "—", "0"]
                }
                md += "| " + cells.joined(separator: " | ") + " |\n"
            }
            md += "\n"
        }
        return md
    }

    // MARK: Figures

    /// A headline figure against the first swept key: x is its value when every value is a
    /// number (on a logarithmic axis when the values are positive and span a factor of 10 or
    /// more, as set sizes from 1,000 to 20,000 do), else its values as categories in grid order;
    /// with more keys, one line per combination of the others. A point's y is the seed mean,
    /// its bar the seed min-max.
    static func plot(_ f: SweepFigure, in t: SweepTable) -> LinePlot {
        let axes = t.grid.axes
        let first = axes[0]
        let numeric = first.values.allSatisfy { $0.number != nil }
        func x(_ p: SweepPoint) -> Double {
            let s = p.settings[0]
            return numeric ? s.number! : Double(first.values.firstIndex(of: s) ?? 0)
        }
        // Series: the points sharing the values of every key but the first, in grid order.
        var groups: [(name: String, points: [SweepPoint])] = []
        for p in t.points {
            let name = p.settings.dropFirst().map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            if let g = groups.firstIndex(where: { $0.name == name }) { groups[g].points.append(p) } else { groups.append((name, [p])) }
        }
        var series: [LinePlot.Series] = groups.map { g in
            let sorted = g.points.sorted { x($0) < x($1) }
            let stats = sorted.map { f.points[$0.index] }
            let bars = zip(sorted, stats).compactMap { p, s in s.flatMap { $0.n > 1 ? ErrorBar(x: x(p), low: $0.min, high: $0.max) : nil } }
            return LinePlot.Series(g.name.isEmpty ? "mean over seeds" : g.name, x: sorted.map(x), y: stats.map { $0?.mean ?? .nan }, errorBars: bars)
        }
        // A figure the other keys do not change (D_det against set_size when rand_epsilon is also
        // swept: one shared stage per set size) is one line, not coincident copies.
        if series.count > 1, series.dropFirst().allSatisfy({ $0.points == series[0].points && $0.errorBars == series[0].errorBars }) {
            let others = axes.dropFirst().map(\.key).joined(separator: ", ")
            series = [LinePlot.Series("the same at every \(others)", points: series[0].points, errorBars: series[0].errorBars)]
        }
        // Values per point: the seeds, times the set seeds for figures of a set's models.
        let n = f.points.compactMap { $0?.n }.max() ?? t.seeds.count
        let xs = series.flatMap { $0.points.map(\.x) }
        let ys = series.flatMap { $0.points.map(\.y) + $0.errorBars.flatMap { [$0.low, $0.high] } }
        let logarithmic = numeric && logarithmicAxis(xs)
        let xRange = logarithmic ? paddedLogarithmic(xs) : padded(numeric ? xs : [-0.5, Double(first.values.count) - 0.5])
        var plot = LinePlot(
            title: f.label, xAxis: PlotAxis(logarithmic ? first.key + " (log scale)" : first.key, range: xRange, scale: logarithmic ? .logarithmic : .linear),
            yAxis: PlotAxis("mean over \(n) seed run\(n == 1 ? "" : "s")\(f.unit == "%" ? " (%)" : ""), bars: min–max", range: padded(ys)),
            series: series, legend: groups.count > 1 ? .automatic : .hidden, width: 820, height: 520)
        if !numeric { plot.categories = first.values.map(\.value) }
        return plot
    }

    /// Whether swept values are best shown on a logarithmic axis: all positive, spanning a
    /// factor of 10 or more.
    static func logarithmicAxis(_ values: [Double]) -> Bool {
        let v = values.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max(), lo > 0 else { return false }
        return hi / lo >= 10
    }

    /// `padded` on a logarithmic axis: the same padding of the values' logarithms.
    static func paddedLogarithmic(_ values: [Double]) -> ClosedRange<Double>? {
        padded(values.filter { $0 > 0 }.map(log10)).map { pow(10, $0.lowerBound)...pow(10, $0.upperBound) }
    }

    /// The finite values' range grown by 6% of its span at each end, so points and bars at the
    /// extremes stand clear of the frame (nil: no finite value; the axis then fits itself).
    static func padded(_ values: [Double]) -> ClosedRange<Double>? {
        let v = values.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max() else { return nil }
        let pad = hi > lo ? 0.06 * (hi - lo) : max(1, abs(lo) * 0.1)
        return (lo - pad)...(hi + pad)
    }
}

// The files of a reproduction run beside report.md: the experiment bundle (report, results,
// figures, every model and constructed dataset) and the figures (the same images across the
// training sets, robust accuracy against epsilon, Figure 3's transfer scatter).
import BrittleArchive
import BrittleDatasets
import BrittleFigures
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

extension ReproductionReport {
    // MARK: Bundle

    /// Entry path of a model stage in the bundle.
    public static func modelEntry(_ stage: String) -> String { "models/\(stage).safetensors" }
    /// Entry path of a constructed set's stage in the bundle.
    public static func datasetEntry(_ stage: String) -> String { "datasets/\(stage).tar.zst" }

    static func writeBundle(_ results: ReproductionResults, outputDirectory out: String, registry: Registry, command: String,
                            figures: [String]) throws {
        var sources: [BundleSource] = ["report.md", "results.json", "config.json"].map {
            .file((out as NSString).appendingPathComponent($0), as: $0)
        }
        sources += figures.map { .file($0, as: "figures/" + ($0 as NSString).lastPathComponent) }
        var modelStages = Set(results.models.map(\.stage))
        for t in results.transfer { modelStages.formUnion(t.stages) }
        for stage in modelStages.sorted() {
            guard let dir = stageDirectory(stage, results, out) else { continue }
            sources.append(.file((dir as NSString).appendingPathComponent(Checkpoint.fileName), as: modelEntry(stage)))
            sources.append(.file((dir as NSString).appendingPathComponent("training.json"), as: "models/\(stage).training.json"))
        }
        for set in results.sets {
            guard let dir = stageDirectory(set.stage, results, out) else { continue }
            sources.append(.file((dir as NSString).appendingPathComponent("dataset.tar.zst"), as: datasetEntry(set.stage)))
        }
        var plugins: [PluginRecord] = []
        let architectures = (results.config.transferArchitectures + [results.config.architecture])
            .map { (try? parsePluginSpec($0, kind: "architecture").id) ?? $0 }
        var ids = Set(architectures + ["pgd-l2", results.config.relabelAttack])
        ids.formUnion(["invert-representation", "adversarial-relabel"])
        for id in ids.sorted() {
            if let e = registry.entry(id) { plugins.append(PluginRecord(id: e.plugin.id, version: e.plugin.version)) }
        }
        var seeds: [String: UInt64] = [:]
        for s in results.config.seeds { seeds["pipeline-\(s)"] = s }
        let manifest = BundleManifest(
            kind: .experiment, brittleVersion: brittleVersion, plugins: plugins,
            configuration: .object([
                "reproduction": try JSONValue.from(results.config),
                "experiments": .array(results.experiments.map(JSONValue.string)),
                "threads": .number(Double(results.threads)),
            ]),
            seeds: seeds, created: CreationInfo(tool: "brittle \(brittleVersion)", command: command))
        let path = (out as NSString).appendingPathComponent(bundleName)
        let start = Date()
        let written = try BundleWriter.write(sources, manifest: manifest, to: path)
        note("wrote \(path): \(written.entries.count) entries, \(formatBytesShort(written.totalSize)) unpacked, in \(formatDuration(Date().timeIntervalSince(start)))")
    }

    /// The directory of stage `name` of `results` under `out`/stages, if it finished.
    static func stageDirectory(_ name: String, _ results: ReproductionResults, _ out: String) -> String? {
        guard let d = results.stageDirectories?[name] else { return nil }
        let path = ((out as NSString).appendingPathComponent("stages") as NSString).appendingPathComponent(d)
        return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(StageCache.marker)) ? path : nil
    }

    static func formatBytesShort(_ n: Int64) -> String {
        n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / 1048576) : String(format: "%.1f KiB", Double(n) / 1024)
    }

    // MARK: Figures

    /// The same training images in D and in every constructed set (first seed), with labels.
    static func datasetGrid(_ r: ReproductionResults, outputDirectory out: String, to path: String) throws -> String? {
        guard let seed = r.config.seeds.first, let indices = r.subsetIndices.first, !indices.isEmpty else { return nil }
        let columns = min(8, indices.count)
        let train = try DataSource(dataset: r.config.dataset, dataDirectory: r.config.dataDir, testLimit: r.config.testLimit).train()
        let names = train.classNames
        func short(_ label: Int) -> String {
            let n = label < names.count ? names[label] : String(label)
            return n.count > 9 ? String(n.prefix(8)) + "." : n
        }
        var rows: [[ImageGrid.Cell?]] = []
        var titles: [String] = []
        let d = train.subset(Array(indices.prefix(columns)))
        rows.append(try ImageGrid.split(d.images).enumerated().map { ImageGrid.Cell($1, caption: short(d.labels[$0])) })
        titles.append("D")
        for set in r.sets where set.seed == seed {
            guard let dir = stageDirectory(set.stage, r, out) else { continue }
            let data = try DatasetBundle.load((dir as NSString).appendingPathComponent("dataset.tar.zst"), split: .train)
            let part = data.subset(Array(0..<columns))
            rows.append(try ImageGrid.split(part.images).enumerated().map { i, image in
                let changed = part.labels[i] != d.labels[i]
                return ImageGrid.Cell(image, caption: short(part.labels[i]), captionColor: changed ? .palette(3) : nil)
            })
            titles.append(set.label.replacingOccurrences(of: ", targets over all classes", with: " (any)")
                .replacingOccurrences(of: " from the robust model", with: " (robust src)"))
        }
        try ImageGrid(rows: rows, rowTitles: titles, title: "The same training images in each set (label below; red: relabelled)").write(to: path)
        return path
    }

    /// Robust accuracy against epsilon for every trained model (seed mean).
    static func robustCurves(_ r: ReproductionResults, to path: String) throws -> String? {
        var series: [LinePlot.Series] = []
        var seen: [String] = []
        for m in r.models where !seen.contains(m.name) { seen.append(m.name) }
        for name in seen {
            let ms = r.models(name)
            guard let first = ms.first else { continue }
            var x = [0.0], y = [100 * mean(ms.map { Double($0.evaluation.robustCleanAccuracy) })]
            for p in first.evaluation.robust {
                x.append(p.epsilon)
                y.append(100 * mean(ms.compactMap { $0.evaluation.robustAccuracy(p.epsilon) }.map(Double.init)))
            }
            series.append(.init(first.label, x: x, y: y))
        }
        guard !series.isEmpty else { return nil }
        let plot = LinePlot(
            title: "Robust accuracy on the original test set (L2 PGD, \(r.config.evalSteps) steps)",
            xAxis: PlotAxis("L2 epsilon"), yAxis: PlotAxis("accuracy (%)", range: 0...100), series: series,
            referenceLines: [ReferenceLine(y: 10, label: "chance")], width: 900, height: 560)
        try plot.write(to: path)
        return path
    }

    /// Figure 3: accuracy when trained on the relabelled set against transfer success.
    static func transferScatter(_ r: ReproductionResults, to path: String) throws -> String? {
        guard !r.transfer.isEmpty else { return nil }
        // Several seeds: each architecture's mean, its min-max over the seeds as error bars.
        let correlation = TransferCorrelation(r.transfer)
        let points = correlation.architectures.contains(where: { $0.seeds > 1 })
            ? correlation.architectures.map {
                ScatterPlot.Point(x: $0.x, y: $0.y, label: $0.name, xSpread: $0.xRange, ySpread: $0.yRange)
            }
            : r.transfer.map {
                ScatterPlot.Point(x: 100 * Double($0.accuracyTrainedOnRelabelled), y: 100 * Double($0.transferSuccess), label: $0.architecture)
            }
        let set = r.transfer.first.map { $0.relabelledSet == "d_rand" ? "D_rand" : "D_det" } ?? "D_rand"
        let plot = ScatterPlot(
            title: "Transfer from the standard \(r.config.architecture) (L2 eps \(number(r.config.transferEpsilon)))",
            xAxis: PlotAxis("accuracy on the original test set when trained on \(set) (%)"),
            yAxis: PlotAxis("transfer success against the model trained on D (%)", range: 0...100),
            points: points, showsFit: points.count >= 3)
        try plot.write(to: path)
        return path
    }
}

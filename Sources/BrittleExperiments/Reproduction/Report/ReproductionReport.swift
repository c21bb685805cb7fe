// The outputs of a reproduction run: results.json, config.json, report.md (this run's figures
// beside the Fashion-MNIST reference and the paper's CIFAR-10 figures, the claims, the
// configuration and the time of every stage), the figures, and the whole run as one experiment
// bundle (report, results, figures, models, constructed datasets). Writes what a run measured;
// measures nothing itself (Reproduction, ModelMeasurements).
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

    /// The encoder of every results.json: sorted snake_case keys, non-finite numbers as strings.
    public static var resultsEncoder: JSONEncoder {
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
    public static func write(_ results: ReproductionResults, outputDirectory out: String, registry: Registry, command: String,
                             bundle: Bool = true) throws {
        let fm = FileManager.default
        let figures = (out as NSString).appendingPathComponent("figures")
        try fm.createDirectory(atPath: figures, withIntermediateDirectories: true)
        var figureFiles: [String] = []
        if let f = try datasetGrid(results, outputDirectory: out, to: (figures as NSString).appendingPathComponent("datasets.png")) { figureFiles.append(f) }
        if let f = try robustCurves(results, to: (figures as NSString).appendingPathComponent("robust-accuracy.png")) { figureFiles.append(f) }
        if let f = try transferScatter(results, to: (figures as NSString).appendingPathComponent("transfer.png")) { figureFiles.append(f) }

        try AtomicFile.write((out as NSString).appendingPathComponent("results.json"), data: resultsEncoder.encode(results))
        try AtomicFile.write((out as NSString).appendingPathComponent("config.json"), data: results.config.encoded())
        let references = (try? ReferenceFigures.load(ReferenceFigures.defaultPath())) ?? .none
        let markdown = render(results, figures: figureFiles.map { "figures/" + ($0 as NSString).lastPathComponent }, command: command, references: references)
        try AtomicFile.write((out as NSString).appendingPathComponent("report.md"), data: Data(markdown.utf8))
        if bundle { try writeBundle(results, outputDirectory: out, registry: registry, command: command, figures: figureFiles) }
    }
}

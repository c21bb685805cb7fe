// `brittle reproduce compare A B`: whether two run directories computed the same thing, stage by
// stage — the check behind "the same seed and thread count give the same results on every
// executor", and what a researcher runs after re-running someone's experiment. Stages are matched
// by cache key (same stage, same inputs, same code); every file a finished stage wrote is compared
// by content, leaving out what legitimately differs between two runs: wall-clock figures
// (`seconds`, `imagesPerSecond`, results.json's per-stage `timings`), the stage record (host,
// time) and each run's own directory in the paths a file names. A bundle (.tar.zst) is verified
// and compared entry by entry.
import BrittleArchive
import BrittleIO
import Foundation

/// What comparing two run directories found.
public struct RunComparison: Sendable {
    /// A stage finished in both runs whose files differ, with the files that do.
    public struct Difference: Sendable, Equatable {
        /// The stage's name.
        public var stage: String
        /// Its files whose content differs ("bundle:entry" inside a bundle), sorted.
        public var files: [String]
    }
    /// Stages finished in both runs whose files are the same.
    public var identical: [String] = []
    /// Stages finished in both runs whose files differ.
    public var differing: [Difference] = []
    /// Stages (by name) finished only in the first run.
    public var onlyInFirst: [String] = []
    /// Stages (by name) finished only in the second run.
    public var onlyInSecond: [String] = []
    /// Files compared in the stages finished in both.
    public var files = 0
    /// Whether both runs' results.json agree (timings and paths left out); nil when either has none.
    public var resultsAgree: Bool?

    /// JSON keys whose values are wall-clock measurements or bookkeeping of how a run went, not
    /// results: results.json's `timings` lists each stage's seconds and whether this invocation
    /// found it cached (true for a report re-rendered from a finished run).
    static let timingKeys: Set<String> = ["seconds", "imagesPerSecond", "timings"]

    /// Compares the finished stages of two run directories.
    public static func compare(_ a: RunDirectory, _ b: RunDirectory) throws -> RunComparison {
        let planA = try a.readPlan(), planB = try b.readPlan()
        let finishedA = planA.stages.filter(a.cache.isFinished), finishedB = planB.stages.filter(b.cache.isFinished)
        let keysB = Dictionary(uniqueKeysWithValues: finishedB.map { ($0.key, $0) })
        let keysA = Set(finishedA.map(\.key))
        var result = RunComparison()
        for stage in finishedA {
            guard let other = keysB[stage.key] else { result.onlyInFirst.append(stage.name); continue }
            let filesA = try contents(of: a.cache.directory(of: stage), run: a)
            let filesB = try contents(of: b.cache.directory(of: other), run: b)
            result.files += filesA.count
            let differing = Set(filesA.keys).union(filesB.keys).filter { filesA[$0] != filesB[$0] }.sorted()
            if differing.isEmpty { result.identical.append(stage.name) } else {
                result.differing.append(Difference(stage: stage.name, files: differing))
            }
        }
        result.onlyInSecond = finishedB.filter { !keysA.contains($0.key) }.map(\.name)
        let resultsA = a.file("results.json"), resultsB = b.file("results.json")
        if FileManager.default.fileExists(atPath: resultsA), FileManager.default.fileExists(atPath: resultsB) {
            result.resultsAgree = try normalizedJSON(at: resultsA, run: a) == normalizedJSON(at: resultsB, run: b)
        }
        return result
    }

    /// Each file of a stage directory (bundle entries as "bundle:entry") mapped to a digest of
    /// its normalized content.
    static func contents(of directory: String, run: RunDirectory) throws -> [String: String] {
        var out: [String: String] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        for name in names where name != "stage.json" && !name.hasSuffix(".log") {
            let path = (directory as NSString).appendingPathComponent(name)
            if name.hasSuffix(".tar.zst") {
                let manifest = try BundleReader.verify(path)
                for entry in manifest.entries { out["\(name):\(entry.path)"] = "\(entry.size):\(entry.sha256)" }
                var header = manifest
                header.entries = []
                out["\(name):\(BundleManifest.fileName)"] = try digest(normalized(JSONEncoder().encode(header), run: run))
            } else if name.hasSuffix(".json") {
                out[name] = try digest(normalizedJSON(at: path, run: run))
            } else {
                out[name] = try SHA256.hash(file: path).sha256
            }
        }
        return out
    }

    static func normalizedJSON(at path: String, run: RunDirectory) throws -> Data {
        try normalized(Data(contentsOf: URL(fileURLWithPath: path)), run: run)
    }

    /// JSON with the run's own directory replaced by "OUT" and the timing keys removed, keys sorted.
    static func normalized(_ json: Data, run: RunDirectory) throws -> Data {
        var text = String(decoding: json, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
        for (spelling, replacement) in run.spellings { text = text.replacingOccurrences(of: spelling, with: replacement) }
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        return try JSONSerialization.data(withJSONObject: stripped(object), options: [.sortedKeys, .fragmentsAllowed])
    }

    static func stripped(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return object.filter { !timingKeys.contains($0.key) }.mapValues(stripped)
        }
        if let array = value as? [Any] { return array.map(stripped) }
        return value
    }

    static func digest(_ data: Data) -> String { SHA256.hash(Array(data)) }

    /// The report: one line per differing stage, then the summary.
    public func render(_ a: String, _ b: String) -> String {
        var lines: [String] = []
        for d in differing { lines.append("DIFFERS    \(d.stage): \(d.files.joined(separator: ", "))") }
        let common = identical.count + differing.count
        lines.append("\(identical.count) of \(common) stages finished in both runs are identical (\(files) files; "
                     + "timings, hosts and the runs' own paths left out)")
        if !onlyInFirst.isEmpty { lines.append("\(onlyInFirst.count) stages finished only in \(a)") }
        if !onlyInSecond.isEmpty { lines.append("\(onlyInSecond.count) stages finished only in \(b)") }
        if let agree = resultsAgree { lines.append("results.json: " + (agree ? "the same figures" : "DIFFERS")) }
        return lines.joined(separator: "\n")
    }

    /// Whether the runs agree on everything both finished.
    public var agrees: Bool { differing.isEmpty && resultsAgree != false }
}

extension RunDirectory {
    /// How this run's own directory may be spelled in its files, with what each becomes: OUT
    /// itself, and the target of stages/ when that is a link to a shared cache.
    var spellings: [(String, String)] {
        let stages = file("stages")
        let resolved = (stages as NSString).resolvingSymlinksInPath
        return (resolved == stages ? [] : [(resolved, "OUT/stages")]) + [(path, "OUT")]
    }
}

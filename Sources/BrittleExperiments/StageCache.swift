// Experiment stages cached by configuration: a stage's directory is named by the SHA-256 of its
// canonical configuration plus its upstream stages' keys, so a rerun skips finished stages and a
// changed parameter reruns exactly what depends on it; an interrupted stage leaves only a partial
// directory the next run discards (completion is an atomic rename). The building block of
// `brittle reproduce`; not what a stage does (Reproduction), which it knows nothing about.
import BrittleArchive
import Foundation

/// Finished stages of an experiment, on disk under `root`.
public final class StageCache {
    /// Directory holding one subdirectory per finished stage.
    public let root: String

    /// Opens (creating) the cache and discards what interrupted runs left half-written.
    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: root) where name.contains(".partial-") {
            try? FileManager.default.removeItem(atPath: (root as NSString).appendingPathComponent(name))
        }
    }

    /// The cache key of stage `stage` with `configuration`, after the stages whose keys are
    /// `upstream` (so a change upstream changes this key too). Key order in the configuration
    /// does not matter: it is hashed as sorted-key JSON.
    public static func key<C: Encodable>(stage: String, configuration: C, upstream: [String] = []) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(StageIdentity(stage: stage, configuration: configuration, upstream: upstream))
        return SHA256.hash([UInt8](data))
    }

    /// Where stage `stage` with `key` lives once finished.
    public func directory(stage: String, key: String) -> String {
        (root as NSString).appendingPathComponent("\(stage)-\(key.prefix(16))")
    }

    /// Whether stage `stage` with `key` has finished.
    public func isFinished(stage: String, key: String) -> Bool {
        FileManager.default.fileExists(atPath: (directory(stage: stage, key: key) as NSString).appendingPathComponent(StageCache.marker))
    }

    /// The stage's output directory: `body` runs first, writing into a fresh directory it is
    /// given, unless the stage already finished with this key. If `body` throws, nothing of it
    /// remains and the error propagates.
    @discardableResult
    public func run(_ stage: String, key: String, _ body: (_ directory: String) throws -> Void) throws -> (directory: String, cached: Bool) {
        let final = directory(stage: stage, key: key)
        if isFinished(stage: stage, key: key) { return (final, true) }
        let fm = FileManager.default
        let partial = final + ".partial-\(getpid())"
        try? fm.removeItem(atPath: partial)
        try fm.createDirectory(atPath: partial, withIntermediateDirectories: true)
        do {
            let start = Date()
            try body(partial)
            let record = ["stage": stage, "key": key, "seconds": String(format: "%.3f", Date().timeIntervalSince(start))]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(record).write(to: URL(fileURLWithPath: (partial as NSString).appendingPathComponent(StageCache.marker)))
            // A finished directory without our marker (a crashed older layout) is replaced.
            try? fm.removeItem(atPath: final)
            guard rename(partial, final) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: final])
            }
        } catch {
            try? fm.removeItem(atPath: partial)
            throw error
        }
        return (final, false)
    }

    /// The marker file a finished stage holds (stage, key, seconds).
    public static let marker = "stage.json"
}

/// What a stage key hashes.
private struct StageIdentity<T: Encodable>: Encodable {
    let stage: String
    let configuration: T
    let upstream: [String]
}

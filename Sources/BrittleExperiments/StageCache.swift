// Experiment stages on disk, by key: a stage's directory is named by its key (the SHA-256 of its
// work, data, upstream keys and code), so a rerun skips finished stages and a changed parameter
// reruns exactly what depends on it. A running stage writes into `<dir>.partial-<host>-<pid>`
// and finishes with an atomic rename; several processes (local children, Slurm jobs on other
// nodes) share one cache, so only partials of dead processes of this host are discarded. A
// failed stage leaves `<dir>.failed.json` (its error, exit status and log) until it succeeds.
// Not what a stage computes (StageRunner) nor the order (the executors).
import BrittleArchive
import BrittleIO
import Foundation

/// Finished stages of an experiment, on disk under `root`.
public final class StageCache: @unchecked Sendable {
    /// Directory holding one subdirectory per finished stage.
    public let root: String

    /// Opens (creating) the cache and discards what dead processes of this host left half-written.
    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: root) {
            guard let owner = StageCache.partialOwner(name), owner.host == StageCache.host, !StageCache.isAlive(owner.pid) else { continue }
            try? FileManager.default.removeItem(atPath: (root as NSString).appendingPathComponent(name))
        }
    }

    /// The cache key of `configuration` named `stage` after `upstream` keys (sorted-key JSON).
    public static func key<C: Encodable>(stage: String, configuration: C, upstream: [String] = []) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hash([UInt8](try encoder.encode(StageIdentity(stage: stage, configuration: configuration, upstream: upstream))))
    }

    /// Where stage `stage` with `key` lives once finished.
    public func directory(stage: String, key: String) -> String {
        (root as NSString).appendingPathComponent("\(stage)-\(key.prefix(16))")
    }

    /// Whether stage `stage` with `key` has finished.
    public func isFinished(stage: String, key: String) -> Bool {
        FileManager.default.fileExists(atPath: (directory(stage: stage, key: key) as NSString).appendingPathComponent(StageCache.marker))
    }

    /// Runs `body` into a fresh partial directory and publishes it, unless the stage finished
    /// already. If `body` throws, nothing of it remains and the error propagates.
    @discardableResult
    public func run(_ stage: String, key: String, _ body: (_ directory: String) throws -> Void) throws -> (directory: String, cached: Bool) {
        let final = directory(stage: stage, key: key)
        if isFinished(stage: stage, key: key) { return (final, true) }
        let fm = FileManager.default
        let partial = final + ".partial-\(StageCache.host)-\(getpid())"
        try? fm.removeItem(atPath: partial)
        try fm.createDirectory(atPath: partial, withIntermediateDirectories: true)
        do {
            let start = Date()
            try body(partial)
            let record = StageMarker(stage: stage, key: key, seconds: Date().timeIntervalSince(start), host: StageCache.host)
            try AtomicFile.write((partial as NSString).appendingPathComponent(StageCache.marker), data: prettyJSON(record))
            // Another process may have finished the same stage meanwhile: its copy is as good.
            if isFinished(stage: stage, key: key) {
                try? fm.removeItem(atPath: partial)
                return (final, true)
            }
            // A directory without a marker (a crashed older layout) is replaced.
            try? fm.removeItem(atPath: final)
            guard rename(partial, final) == 0 else {
                throw ReproductionError("cannot publish stage \(final): \(String(cString: strerror(errno))); check the file system holding \(root)")
            }
        } catch {
            try? fm.removeItem(atPath: partial)
            throw error
        }
        return (final, false)
    }

    /// The marker file a finished stage holds (StageMarker).
    public static let marker = "stage.json"

    // MARK: Processes

    /// This machine's host name (partials and markers record it: the cache may be shared).
    public static let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(cString: buffer)
    }()

    /// The host and pid in a partial directory's name.
    static func partialOwner(_ name: String) -> (host: String, pid: Int32)? {
        guard let r = name.range(of: ".partial-", options: .backwards) else { return nil }
        let tail = name[r.upperBound...]
        guard let dash = tail.lastIndex(of: "-"), let pid = Int32(tail[tail.index(after: dash)...]) else { return nil }
        return (String(tail[..<dash]), pid)
    }

    static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// The processes writing stage `stage` with `key` now (host and pid; on another host,
    /// alive or not cannot be told from here).
    public func writers(stage: String, key: String) -> [(host: String, pid: Int32)] {
        let base = (directory(stage: stage, key: key) as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { $0.hasPrefix(base + ".partial-") }.compactMap(StageCache.partialOwner)
            .filter { $0.host != StageCache.host || StageCache.isAlive($0.pid) }
    }
}

/// What a finished stage's marker records.
public struct StageMarker: Codable, Sendable {
    public var stage: String
    public var key: String
    public var seconds: Double
    public var host: String?
}

/// What a stage key hashes.
private struct StageIdentity<T: Encodable>: Encodable {
    let stage: String
    let configuration: T
    let upstream: [String]
}

// Reading chosen entries of a bundle into memory, with the whole bundle verified on the way:
// what `evaluate --model`, `train --dataset` and `reproduce --from-bundle` use instead of
// unpacking to a temporary directory. Memory follows verified bytes: an entry's declared size
// is checked against the memory budget before its buffer is reserved, and the buffer only
// grows with bytes that arrive. Not the unpacker: see BundleReader+Unpack.swift.

import BrittleIO
import Foundation

extension BundleReader {
    /// Verifies the whole bundle at `path` and returns the bytes of every entry `select`
    /// accepts, by path.
    ///
    /// - Throws: `DataError` for anything `read` reports, and when a selected entry is larger
    ///   than the memory budget (`MemoryLimit`).
    public static func readEntries(
        _ path: String, options: BundleReadOptions = .init(), select: @escaping (BundleEntry) -> Bool
    ) throws -> (manifest: BundleManifest, entries: [String: [UInt8]]) {
        final class Box: @unchecked Sendable {
            let lock = NSLock()
            var sinks: [String: MemorySink] = [:]
        }
        let box = Box()
        let manifest = try read(path, options: options) { entry in
            guard select(entry) else { return nil }
            let sink = try MemorySink(entry, source: path)
            box.lock.withLock { box.sinks[entry.path] = sink }
            return sink
        }
        var entries: [String: [UInt8]] = [:]
        for (name, sink) in box.sinks where sink.isComplete { entries[name] = sink.bytes }
        return (manifest, entries)
    }
}

/// Collects one entry in memory (for entries the caller loads anyway, e.g. dataset arrays).
/// The buffer grows with the bytes that actually arrive; the entry's declared size is only
/// trusted after it was checked against the memory budget, and then only up to 64 MiB ahead.
public final class MemorySink: BundleEntrySink {
    /// The bytes received so far.
    public private(set) var bytes: [UInt8] = []
    /// Whether every byte arrived and matched the manifest's hash.
    public private(set) var isComplete = false
    private let limit: Int64
    private let entry: String

    /// A sink for `entry` of the bundle `source`.
    ///
    /// - Throws: `DataError` when the entry's declared size is above `MemoryLimit.bytes`,
    ///   before anything is allocated.
    public init(_ entry: BundleEntry, source: String) throws {
        try MemoryLimit.check(entry.size, for: "entry '\(entry.path)'", path: source)
        limit = entry.size
        self.entry = source + ":" + entry.path
        bytes.reserveCapacity(Int(min(entry.size, 64 << 20)))
    }

    public func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard Int64(bytes.count + chunk.count) <= limit else {
            throw DataError(.mismatch, path: entry, problem: "more bytes than the manifest declares")
        }
        bytes.append(contentsOf: chunk)
    }
    public func finish() throws { isComplete = true }
}

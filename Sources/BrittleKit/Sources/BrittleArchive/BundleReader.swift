// BundleReader: reads bundles in one streaming pass, distrusting everything: the manifest must
// come first and be valid; every other entry must be a regular file at a safe, unique path
// that the manifest lists with the same size, and its SHA-256 must match; nothing listed may
// be missing; the total is capped (decompression bombs). Not the unpacker's file layout: see
// BundleReader+Unpack.swift. Reference: libarchive archive_read(3).

import BrittleIO
import CArchive
import Foundation

/// Limits applied while reading a bundle.
public struct BundleReadOptions: Sendable {
    /// Largest total of entry sizes accepted. A bundle whose manifest or tar headers declare
    /// more, or that expands to more, is refused before it fills a disk.
    public var maxUnpackedBytes: Int64

    /// The cap every read uses unless told otherwise: 64 GiB, or the host's `--max-size`.
    public static var defaultMaxUnpackedBytes: Int64 {
        get { lock.withLock { processDefault } }
        set {
            precondition(newValue > 0, "BundleReadOptions.defaultMaxUnpackedBytes must be positive")
            lock.withLock { processDefault = newValue }
        }
    }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var processDefault: Int64 = 64 << 30

    /// Limits with a cap of `maxUnpackedBytes` (default `defaultMaxUnpackedBytes`).
    public init(maxUnpackedBytes: Int64 = BundleReadOptions.defaultMaxUnpackedBytes) {
        self.maxUnpackedBytes = maxUnpackedBytes
    }
}

/// Receives one entry's bytes, in order, on the reader's worker thread.
public protocol BundleEntrySink: AnyObject {
    /// The next bytes of the entry (the buffer is reused after the call returns).
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Called once all bytes arrived and their size and SHA-256 matched the manifest.
    func finish() throws
}

/// Reads and verifies bundles written by `BundleWriter`.
public enum BundleReader {
    /// Bytes per decompressed chunk handed from the decompressing thread to the hashing one.
    public static let chunkSize = 1 << 20
    /// Chunks in flight between the two threads: the reader's memory bound is
    /// `chunkSize * chunksInFlight` plus libarchive's and zstd's fixed buffers.
    public static let chunksInFlight = 4

    /// The manifest of the bundle at `path`, reading only the archive's first entry (a tar is
    /// sequential: nothing after the manifest is decompressed).
    ///
    /// - Throws: `DataError` when the file is missing, is not a bundle, or its manifest is
    ///   missing, malformed or of an unknown format version.
    public static func manifest(of path: String) throws -> BundleManifest {
        let archive = try ArchiveInput(path)
        return try archive.readManifest().manifest
    }

    /// Reads the whole bundle, recomputing every entry's size and SHA-256.
    ///
    /// - Returns: the manifest.
    /// - Throws: `DataError` naming the offending entry for any deviation (see the file header).
    @discardableResult
    public static func verify(_ path: String, options: BundleReadOptions = .init()) throws -> BundleManifest {
        try read(path, options: options) { _ in nil }
    }

    /// Reads the bundle at `path`, handing each entry's bytes to the sink `sink(entry)` returns
    /// (nil: the bytes are only verified). Entries are hashed on a second thread while the
    /// next chunk decompresses. A sink's data is only known good once its `finish` is called;
    /// on any error the read stops and the error is thrown.
    @discardableResult
    public static func read(
        _ path: String, options: BundleReadOptions = .init(),
        sink: @escaping (BundleEntry) throws -> BundleEntrySink?
    ) throws -> BundleManifest {
        try read(path, options: options, prepare: { _ in }, sink: sink).manifest
    }

    /// `read`, with `prepare` called on the manifest (and its exact bytes) before any entry.
    static func read(
        _ path: String, options: BundleReadOptions,
        prepare: (BundleManifest) throws -> Void,
        sink: @escaping (BundleEntry) throws -> BundleEntrySink?
    ) throws -> (manifest: BundleManifest, manifestBytes: [UInt8]) {
        let archive = try ArchiveInput(path)
        let (manifest, manifestBytes) = try archive.readManifest()
        guard manifest.totalSize <= options.maxUnpackedBytes else {
            throw bomb(path, "its manifest declares \(manifest.totalSize) bytes", options)
        }
        try prepare(manifest)
        let expected = Dictionary(uniqueKeysWithValues: manifest.entries.map { ($0.path, $0) })
        var seen = Set<String>()
        var unpacked: Int64 = 0
        let pipeline = HashPipeline(path: path, sink: sink)
        defer { pipeline.stop() }

        while let header = try archive.nextHeader() {
            if let error = pipeline.failure { throw error }
            let name = header.path
            guard header.isRegular else {
                // Directory entries, as `tar -C DIR .` writes them, carry nothing: unpacking
                // creates the directories its files need. Only a safe one is skipped.
                if header.isDirectory {
                    if name.isEmpty { continue }
                    try BundlePath.check(name, source: path)
                    continue
                }
                throw DataError(
                    .unsupported, path: path,
                    problem: "entry '\(name.escapingControlCharacters)' is \(header.typeDescription); "
                        + "bundles hold regular files (and directories) only",
                    fix: "This archive was not written by Brittle and is not unpacked")
            }
            try BundlePath.check(name, source: path)
            guard name != BundleManifest.fileName, seen.insert(name).inserted else {
                throw DataError(
                    .malformed, path: path, problem: "the archive holds '\(name)' twice (duplicate entry name)",
                    fix: "This archive was not written by Brittle: pack the directory again with `brittle bundle pack`")
            }
            guard let entry = expected[name] else {
                throw DataError(
                    .mismatch, path: path, problem: "extra entry '\(name)': the manifest does not list it",
                    fix: "The bundle was modified after packing: pack it again with `brittle bundle pack`")
            }
            guard header.size == entry.size else {
                throw DataError(
                    .mismatch, path: path,
                    problem: "entry '\(name)' is \(header.size) bytes in the archive but \(entry.size) in the manifest",
                    fix: "The bundle is damaged or was modified: copy it again, or re-pack it")
            }
            unpacked = try Checked.sum(unpacked, header.size, path: path, field: "the total size of the entries")
            guard unpacked <= options.maxUnpackedBytes else {
                throw bomb(path, "its entries reach \(unpacked) bytes at '\(name)'", options)
            }
            pipeline.begin(entry)
            var received: Int64 = 0
            while true {
                let buffer = pipeline.takeBuffer()
                let n = try archive.readData(into: buffer, entry: name)
                if n == 0 {
                    pipeline.giveBack(buffer)
                    break
                }
                received += Int64(n)
                pipeline.data(buffer, n)
                if let error = pipeline.failure { throw error }
            }
            guard received == entry.size else {
                throw DataError(
                    .truncated, path: path,
                    problem: "entry '\(name)' ends after \(received) of its \(entry.size) bytes",
                    fix: "The bundle is truncated: copy or download it again")
            }
            pipeline.end()
        }
        try pipeline.finish()
        if let missing = manifest.entries.first(where: { !seen.contains($0.path) }) {
            throw DataError(
                .missing, path: path,
                problem: "missing entry '\(missing.path)': the manifest lists it but the archive does not hold it "
                    + "(\(manifest.entries.count - seen.count) of \(manifest.entries.count) entries missing)",
                fix: "The bundle is truncated or was modified: copy it again, or re-pack it")
        }
        return (manifest, manifestBytes)
    }

    static func bomb(_ path: String, _ what: String, _ options: BundleReadOptions) -> DataError {
        DataError(
            .unsupported, path: path,
            problem: "\(what), more than the \(options.maxUnpackedBytes)-byte cap on unpacked data "
                + "(decompression bomb?)",
            fix: "If you trust this bundle, raise the cap (--max-size BYTES)")
    }
}

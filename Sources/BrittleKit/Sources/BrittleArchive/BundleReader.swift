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

// MARK: - libarchive input

/// One open archive being read sequentially.
final class ArchiveInput {
    struct Header {
        var path: String
        var size: Int64
        var fileType: UInt32
        var isHardlink: Bool
        var isSparse: Bool

        var isRegular: Bool { fileType == 0o100000 && !isHardlink && !isSparse }
        var isDirectory: Bool { fileType == 0o040000 && !isHardlink }
        var typeDescription: String {
            if isHardlink { return "a hard link" }
            if isSparse { return "a sparse file" }
            switch fileType {
            case 0o120000: return "a symbolic link"
            case 0o020000: return "a character device"
            case 0o060000: return "a block device"
            case 0o010000: return "a named pipe"
            case 0o140000: return "a socket"
            case 0o040000: return "a directory"
            default: return "of unknown type \(String(fileType, radix: 8))"
            }
        }
    }

    let path: String
    private let archive: OpaquePointer
    private var current = "manifest.json"

    init(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ArchiveIO.posixError(path, "open the bundle", errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DataError(.io, path: path, problem: "not a regular file", fix: "Pass a .tar.zst bundle")
        }
        guard let a = archive_read_new() else {
            throw DataError(.io, path: path, problem: "libarchive could not allocate a reader")
        }
        archive = a
        self.path = path
        // Bundles are zstd-compressed tar and nothing else: checking the magic first gives a
        // clear answer for a .tar.gz or plain .tar instead of libarchive's generic one.
        try Self.requireZstd(path)
        archive_read_support_filter_zstd(a)
        archive_read_support_format_tar(a)
        guard archive_read_open_filename(a, path, 1 << 20) == ARCHIVE_OK else {
            throw damaged("cannot open the bundle")
        }
    }

    deinit { archive_read_free(archive) }

    private static func requireZstd(_ path: String) throws {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw ArchiveIO.posixError(path, "open the bundle", errno)
        }
        defer { try? file.close() }
        let head = [UInt8]((try? file.read(upToCount: 512)) ?? Data())
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return }
        let what: String
        if head.isEmpty { what = "the file is empty" }
        else if head.starts(with: [0x1F, 0x8B]) { what = "it is gzip-compressed" }
        else if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A]) { what = "it is xz-compressed" }
        else if head.starts(with: Array("BZh".utf8)) { what = "it is bzip2-compressed" }
        else if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { what = "it is an uncompressed tar" }
        else { what = "it does not start with the zstd magic number" }
        throw DataError(
            .malformed, path: path, problem: "not a bundle: \(what); bundles are zstd-compressed tar archives",
            fix: "Pack the directory with `brittle bundle pack DIR -o FILE.tar.zst` (or `tar --zstd -cf FILE.tar.zst "
                + "-C DIR manifest.json <the other files>`)")
    }

    /// The next header, or nil at the end of the archive.
    func nextHeader() throws -> Header? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw damaged("cannot read the entry after '\(current)'")
        }
        var name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        if name.hasPrefix("./") { name.removeFirst(2) }
        let fileType = UInt32(archive_entry_filetype(entry))
        if fileType == 0o040000 {
            while name.hasSuffix("/") { name.removeLast() }
            if name == "." { name = "" }
        }
        current = name
        return Header(
            path: current, size: archive_entry_size(entry), fileType: fileType,
            isHardlink: archive_entry_hardlink(entry) != nil, isSparse: archive_entry_sparse_count(entry) > 0)
    }

    /// Fills `buffer` with the current entry's next bytes; returns the count (0 at its end).
    func readData(into buffer: UnsafeMutableRawBufferPointer, entry: String) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = archive_read_data(archive, buffer.baseAddress! + filled, buffer.count - filled)
            if n == 0 { break }
            guard n > 0 else { throw damaged("cannot read entry '\(entry)'") }
            filled += n
        }
        return filled
    }

    /// The first entry, which must be a valid `manifest.json`, and its exact bytes.
    func readManifest() throws -> (manifest: BundleManifest, bytes: [UInt8]) {
        var first = try nextHeader()
        while let h = first, h.isDirectory {  // `tar -C DIR .` starts with the directory itself
            if !h.path.isEmpty { try BundlePath.check(h.path, source: path) }
            first = try nextHeader()
        }
        guard let header = first else {
            throw DataError(
                .missing, path: path, problem: "the archive is empty: no manifest.json",
                fix: "Pack bundles with `brittle bundle pack`")
        }
        guard header.path == BundleManifest.fileName, header.isRegular else {
            throw DataError(
                .missing, path: path,
                problem: "the first entry is '\(header.path.escapingControlCharacters)', not manifest.json "
                    + "(missing manifest)",
                fix: "A bundle's manifest comes first: pack the directory with `brittle bundle pack DIR -o FILE`, or "
                    + "with tar: `tar --zstd -cf FILE -C DIR manifest.json <the other files>`")
        }
        guard header.size >= 0, header.size <= Int64(BundleManifest.maxSize) else {
            throw DataError(
                .malformed, path: path,
                problem: "manifest.json is \(header.size) bytes, more than the \(BundleManifest.maxSize)-byte limit")
        }
        var bytes = [UInt8](repeating: 0, count: Int(header.size))
        let n = try bytes.withUnsafeMutableBytes { try readData(into: $0, entry: BundleManifest.fileName) }
        guard n == bytes.count else {
            throw DataError(
                .truncated, path: path, problem: "manifest.json ends after \(n) of \(bytes.count) bytes",
                fix: "The bundle is truncated: copy or download it again")
        }
        return (try BundleManifest.decode(bytes, source: path), bytes)
    }

    private func damaged(_ action: String) -> DataError {
        let reason = archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
        let notBundle = reason.contains("Unrecognized archive format")
        return DataError(
            notBundle ? .malformed : .truncated, path: path,
            problem: "\(action): \(notBundle ? "not a tar archive" : "the bundle is damaged or truncated") (libarchive: \(reason))",
            fix: notBundle ? "Pass a .tar.zst bundle written by `brittle bundle pack`" : "Copy or download the bundle again")
    }
}

// MARK: - Hashing thread

/// Hands decompressed chunks to a second thread that hashes them and feeds the sinks, so
/// decompression and hashing (+ writing) overlap; at most `chunksInFlight` chunks exist.
final class HashPipeline: @unchecked Sendable {
    private enum Item {
        case begin(BundleEntry)
        case data(UnsafeMutableRawBufferPointer, Int)
        case end
        case stop
    }

    private let path: String
    private let makeSink: (BundleEntry) throws -> BundleEntrySink?
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var head = 0
    private var free: [UnsafeMutableRawBufferPointer] = []
    private var all: [UnsafeMutableRawBufferPointer] = []
    private var error: Error?
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init(path: String, sink: @escaping (BundleEntry) throws -> BundleEntrySink?) {
        self.path = path
        self.makeSink = sink
        for _ in 0..<BundleReader.chunksInFlight {
            all.append(.allocate(byteCount: BundleReader.chunkSize, alignment: 64))
        }
        free = all
        let thread = Thread { [self] in consume() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { for b in all { b.deallocate() } }

    /// The worker's error, if it failed.
    var failure: Error? {
        condition.lock()
        defer { condition.unlock() }
        return error
    }

    func takeBuffer() -> UnsafeMutableRawBufferPointer {
        condition.lock()
        while free.isEmpty { condition.wait() }
        let b = free.removeLast()
        condition.unlock()
        return b
    }

    func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
        condition.lock()
        free.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    func begin(_ entry: BundleEntry) { push(.begin(entry)) }
    func data(_ buffer: UnsafeMutableRawBufferPointer, _ count: Int) { push(.data(buffer, count)) }
    func end() { push(.end) }

    /// Waits for the worker to drain the queue; throws its error.
    func finish() throws {
        stop()
        if let error = failure { throw error }
    }

    /// Ends the worker (idempotent) and waits for it.
    func stop() {
        condition.lock()
        let first = !stopped
        stopped = true
        condition.unlock()
        guard first else { return }
        push(.stop)
        done.wait()
    }

    private func push(_ item: Item) {
        condition.lock()
        queue.append(item)
        condition.broadcast()
        condition.unlock()
    }

    private func pop() -> Item {
        condition.lock()
        while head == queue.count { condition.wait() }
        let item = queue[head]
        head += 1
        if head > 64 {
            queue.removeFirst(head)
            head = 0
        }
        condition.unlock()
        return item
    }

    private func consume() {
        var entry: BundleEntry?
        var hasher: SHA256?
        var sink: BundleEntrySink?
        var failed = false
        func fail(_ e: Error) {
            failed = true
            condition.lock()
            if error == nil { error = e }
            condition.unlock()
        }
        loop: while true {
            let item = pop()
            switch item {
            case .stop: break loop
            case .begin(let e):
                guard !failed else { continue }
                entry = e
                hasher = SHA256()
                do { sink = try makeSink(e) } catch { fail(error) }
            case .data(let buffer, let n):
                if !failed {
                    let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                    hasher?.update(chunk)
                    do { try sink?.write(chunk) } catch { fail(error) }
                }
                giveBack(buffer)
            case .end:
                guard !failed, let e = entry, let h = hasher else { continue }
                let digest = h.finalize()
                if digest != e.sha256 {
                    fail(
                        DataError(
                            .mismatch, path: path,
                            problem: "entry '\(e.path)' is damaged: its SHA-256 is \(digest), the manifest says \(e.sha256)",
                            fix: "The bundle is corrupt or was modified: copy or download it again"))
                } else {
                    do { try sink?.finish() } catch { fail(error) }
                }
                entry = nil
                hasher = nil
                sink = nil
            }
        }
        done.signal()
    }
}

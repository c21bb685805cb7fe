// TarZstWriter: the low-level streaming writer of tar (pax) + zstd archives over libarchive:
// entry headers with pinned metadata (mtime 0, uid/gid 0, no user/group names, 0644), data in
// caller-sized chunks. It does not validate paths or types (tests use it to build hostile
// archives); BundleWriter does. Reference: libarchive archive_write(3); README "Bundles and datasets".

import BrittleIO
import CArchive
import Foundation

/// zstd compression settings of a bundle.
public struct CompressionOptions: Sendable, Equatable {
    /// zstd levels accepted: 1 (fastest) ... 19 (smallest), and the "ultra" levels 20 ... 22.
    public static let levels = 1...22
    /// Worker threads accepted; 0 compresses on the calling thread.
    public static let threadCounts = 0...64

    /// zstd level (default 3: float weights barely compress, so higher levels buy nothing there).
    public var level: Int
    /// zstd worker threads. Part of the output's identity: the same inputs give the same bytes
    /// for the same thread count (0 and >= 1 differ), so it is pinned, never "all cores".
    public var threads: Int

    /// Level 3 with one zstd worker thread (compression overlaps reading and hashing) unless told otherwise.
    public init(level: Int = 3, threads: Int = 1) {
        self.level = level
        self.threads = threads
    }

    /// Checks the ranges here: libarchive 3.6.2 answers an out-of-range level with a misleading
    /// "Undefined option" message.
    public func validate() throws {
        guard Self.levels.contains(level) else {
            throw DataError(
                .unsupported, path: "",
                problem: "zstd level \(level) is out of range",
                fix: "Use a level in \(Self.levels.lowerBound)...\(Self.levels.upperBound) (3 is the default, 19 the usual maximum)")
        }
        guard Self.threadCounts.contains(threads) else {
            throw DataError(
                .unsupported, path: "", problem: "\(threads) zstd threads is out of range",
                fix: "Use \(Self.threadCounts.lowerBound)...\(Self.threadCounts.upperBound) (0: compress on the calling thread)")
        }
    }
}

/// Streams a tar (pax) + zstd archive into a file: `begin` an entry, `write` its bytes in
/// chunks, and `finish`. Writes the path given, in place; see `BundleWriter` for validated,
/// atomic bundles.
public final class TarZstWriter {
    /// What a tar entry is.
    public enum EntryType: Sendable {
        /// A regular file with data.
        case regular
        /// A directory (no data).
        case directory
        /// A symbolic link to `target` (no data).
        case symlink(target: String)
        /// A hard link to the earlier entry `target` (no data).
        case hardlink(target: String)
        /// A character device (no data).
        case characterDevice
        /// A named pipe (no data).
        case fifo
    }

    private let archive: OpaquePointer
    private let path: String
    private var open = true
    private var remaining: Int64 = 0

    /// Opens `fd` (which the caller keeps and closes) for writing; `path` names it in errors.
    public init(fileDescriptor fd: Int32, path: String, compression: CompressionOptions = .init()) throws {
        try compression.validate()
        guard let a = archive_write_new() else {
            throw DataError(.io, path: path, problem: "libarchive could not allocate a writer")
        }
        archive = a
        self.path = path
        func check(_ status: Int32, _ action: String) throws {
            guard status == ARCHIVE_OK else {
                let reason = archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
                archive_write_free(a)
                throw DataError(.io, path: path, problem: "cannot \(action): \(reason)")
            }
        }
        try check(archive_write_add_filter_zstd(a), "enable zstd (is libarchive built with libzstd?)")
        try check(archive_write_set_format_pax_restricted(a), "select the pax tar format")
        try check(
            archive_write_set_filter_option(a, "zstd", "compression-level", String(compression.level)),
            "set zstd level \(compression.level)")
        try check(
            archive_write_set_filter_option(a, "zstd", "threads", String(compression.threads)),
            "set \(compression.threads) zstd threads")
        // No padding of the last block: the archive ends where the data ends.
        try check(archive_write_set_bytes_per_block(a, 0), "set the block size")
        try check(archive_write_open_fd(a, fd), "open the archive for writing")
    }

    deinit {
        if open { archive_write_free(archive) }  // free also closes; errors are moot here
    }

    /// Writes the header of the next entry; a `.regular` entry must then get exactly `size`
    /// bytes through `write` before the next `begin` or `finish`.
    public func begin(path entryPath: String, size: Int64, type: EntryType = .regular) throws {
        try checkNothingPending()
        guard let entry = archive_entry_new() else {
            throw DataError(.io, path: path, problem: "libarchive could not allocate an entry")
        }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, entryPath)
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        var dataSize = Int64(0)
        // AE_IF* are cast macros that do not import: the POSIX values.
        switch type {
        case .regular:
            archive_entry_set_filetype(entry, 0o100000)
            archive_entry_set_perm(entry, 0o644)
            dataSize = size
        case .directory:
            archive_entry_set_filetype(entry, 0o040000)
            archive_entry_set_perm(entry, 0o755)
        case .symlink(let target):
            archive_entry_set_filetype(entry, 0o120000)
            archive_entry_set_perm(entry, 0o777)
            archive_entry_set_symlink(entry, target)
        case .hardlink(let target):
            archive_entry_set_filetype(entry, 0o100000)
            archive_entry_set_perm(entry, 0o644)
            archive_entry_set_hardlink(entry, target)
        case .characterDevice:
            archive_entry_set_filetype(entry, 0o020000)
            archive_entry_set_perm(entry, 0o666)
            archive_entry_set_rdevmajor(entry, 1)
            archive_entry_set_rdevminor(entry, 3)
        case .fifo:
            archive_entry_set_filetype(entry, 0o010000)
            archive_entry_set_perm(entry, 0o644)
        }
        archive_entry_set_size(entry, dataSize)
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            throw failure("cannot write the tar header of '\(entryPath)'")
        }
        remaining = dataSize
    }

    /// Appends `bytes` to the current entry's data.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard Int64(bytes.count) <= remaining else {
            throw DataError(
                .mismatch, path: path,
                problem: "an entry got more bytes than its header's size (\(remaining) left, \(bytes.count) given)")
        }
        var done = 0
        while done < bytes.count {
            let n = archive_write_data(archive, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { throw failure("cannot write entry data") }
            done += n
        }
        remaining -= Int64(bytes.count)
    }

    /// Appends `bytes` to the current entry's data.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes the end-of-archive blocks and flushes the compressor. The file descriptor stays
    /// open (the caller fsyncs and closes it).
    public func finish() throws {
        try checkNothingPending()
        open = false
        let status = archive_write_close(archive)
        let error = status == ARCHIVE_OK ? nil : failure("cannot finish the archive")
        archive_write_free(archive)
        if let error { throw error }
    }

    private func checkNothingPending() throws {
        guard open else { throw DataError(.io, path: path, problem: "the archive is already finished") }
        guard remaining == 0 else {
            throw DataError(
                .mismatch, path: path,
                problem: "the previous entry is \(remaining) bytes short of the size in its header")
        }
    }

    private func failure(_ action: String) -> DataError {
        let reason = archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
        return DataError(.io, path: path, problem: "\(action): \(reason)")
    }
}

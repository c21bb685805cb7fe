// DecompressingReader: one whole compressed file (gzip, zstd, xz, bzip2: any filter libarchive
// knows) or a plain uncompressed file, decompressed into memory via libarchive's "raw" format.
// Not an archive (tar/zip) reader and not streaming: the result is one [UInt8].
// Reference: libarchive archive_read(3), archive_read_format_raw; RFC 1952 (gzip).

import CArchive
import Foundation

/// Reads a single-stream compressed (`.gz`, `.zst`, `.xz`, `.bz2`, ...) or uncompressed file
/// into memory.
public enum DecompressingReader {
    /// Bytes requested from libarchive per read (1 MiB).
    public static let chunkSize = 1 << 20

    /// The decompressed contents of the file at `path`; a file that is not compressed is
    /// returned as is.
    ///
    /// - Throws: `DataError` (`.missing` when there is no such file, `.io` carrying libarchive's
    ///   message for a corrupt or truncated stream).
    public static func readAll(path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(.missing, path: path, problem: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw DataError(.io, path: path, problem: "is a directory, not a file")
        }
        // libarchive's format detection rejects an empty file; it decompresses to nothing.
        var info = stat()
        if stat(path, &info) == 0, info.st_size == 0 { return [] }
        guard let reader = archive_read_new() else {
            throw DataError(.io, path: path, problem: "libarchive could not allocate a reader")
        }
        defer { archive_read_free(reader) }

        // support_filter_all answers ARCHIVE_WARN when some filters would need an external
        // program (lrzip, grzip): the built-in ones, gzip included, are still registered.
        _ = archive_read_support_filter_all(reader)
        guard archive_read_support_format_raw(reader) == ARCHIVE_OK else {
            throw failure(reader, path, "could not enable libarchive's raw format")
        }
        guard archive_read_open_filename(reader, path, chunkSize) == ARCHIVE_OK else {
            throw failure(reader, path, "cannot read")
        }
        var entry: OpaquePointer?
        let status = archive_read_next_header(reader, &entry)
        if status == ARCHIVE_EOF { return [] }  // an empty file
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw failure(reader, path, "cannot read")
        }

        var bytes: [UInt8] = []
        let budget = MemoryLimit.bytes
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = chunk.withUnsafeMutableBytes { archive_read_data(reader, $0.baseAddress, chunkSize) }
            if n == 0 { break }
            guard n > 0 else { throw failure(reader, path, "cannot decompress") }
            // A few kB of gzip can expand to gigabytes: the output is budgeted as it grows.
            if Int64(bytes.count + n) > budget {
                try MemoryLimit.check(Int64(bytes.count + n), for: "the decompressed data (so far)", path: path)
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    private static func failure(_ reader: OpaquePointer, _ path: String, _ action: String) -> DataError {
        let reason = archive_error_string(reader).map { String(cString: $0) } ?? "unknown libarchive error"
        return DataError(.io, path: path, problem: "\(action): \(reason)")
    }
}

// ArchiveInput: one bundle file opened for sequential reading through libarchive: the zstd
// magic checked first (a .tar.gz or plain tar gets a named refusal), tar headers normalised
// (`./` prefixes, directory slashes), entry data in chunks, and the manifest, which must come
// first. Not the verification of entries against it: see BundleReader.swift.

import BrittleIO
import CArchive
import Foundation

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
        guard stat(path, &info) == 0 else { throw DataError.posix(path, "open the bundle", errno: errno) }
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
            throw DataError.posix(path, "open the bundle", errno: errno)
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

// BundleWriter: packs files (from disk, or produced on the fly) into a bundle: manifest.json
// first, then the entries sorted by path, each streamed in fixed-size chunks (never held
// whole), with sizes and SHA-256 hashed in a first pass because the manifest comes first.
// Written through AtomicFile (a temporary sibling renamed into place when complete). Not a reader.

import BrittleIO
import Foundation

/// Where the bytes of one bundle entry come from.
public struct BundleSource {
    /// The entry's path inside the bundle.
    public var path: String
    let content: Content

    enum Content {
        case file(String)
        case generated(size: Int64, produce: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void)
    }

    /// The file at `file`, stored as `path`.
    public static func file(_ file: String, as path: String) -> BundleSource {
        BundleSource(path: path, content: .file(file))
    }

    /// `size` bytes made by `produce`, which hands them to `emit` in pieces of any size.
    /// `produce` runs twice (hash pass, write pass) and must emit the same bytes both times.
    public static func generated(
        _ path: String, size: Int64,
        produce: @escaping (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) -> BundleSource {
        BundleSource(path: path, content: .generated(size: size, produce: produce))
    }

    /// `bytes`, stored as `path` (for small entries such as JSON descriptions).
    public static func bytes(_ bytes: [UInt8], as path: String) -> BundleSource {
        generated(path, size: Int64(bytes.count)) { emit in try bytes.withUnsafeBytes { try emit($0) } }
    }
}

/// Writes bundles: tar (pax) + zstd archives whose first entry is the manifest.
public enum BundleWriter {
    /// Bytes per read and per libarchive write (1 MiB): the most any entry has in flight.
    public static let chunkSize = 1 << 20

    /// Writes `sources` and a manifest to `path` (a `.tar.zst`), atomically. The manifest's
    /// `entries` are computed here (anything passed in is replaced); entries are sorted by path.
    ///
    /// - Returns: the manifest written.
    /// - Throws: `DataError` for invalid options, unsafe or duplicate paths, unreadable or
    ///   changing sources, or write failures; `path` is then untouched and no temporary is left.
    @discardableResult
    public static func write(
        _ sources: [BundleSource], manifest: BundleManifest, to path: String,
        compression: CompressionOptions = .init()
    ) throws -> BundleManifest {
        try compression.validate()
        let sorted = sources.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        var manifest = manifest
        manifest.entries = try describe(sorted)
        try manifest.validate(source: path)
        let manifestBytes = try manifest.encoded()

        try AtomicFile.write(path) { fd in
            let writer = try TarZstWriter(fileDescriptor: fd, path: path, compression: compression)
            try writer.begin(path: BundleManifest.fileName, size: Int64(manifestBytes.count))
            try writer.write(manifestBytes)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
            defer { buffer.deallocate() }
            for (source, entry) in zip(sorted, manifest.entries) {
                try writer.begin(path: entry.path, size: entry.size)
                var written: Int64 = 0
                try stream(source, buffer: buffer) { chunk in
                    guard written + Int64(chunk.count) <= entry.size else { throw changed(source, entry.size) }
                    try writer.write(chunk)
                    written += Int64(chunk.count)
                }
                guard written == entry.size else { throw changed(source, entry.size) }
            }
            try writer.finish()
        }
        return manifest
    }

    /// Packs every regular file under `directory` (recursively) into `path`. A `manifest.json`
    /// at the top of `directory` (an unpacked bundle) is not packed as an entry; a new one is
    /// written from `manifest`.
    ///
    /// - Throws: `DataError` for a missing directory, symbolic links or special files inside it
    ///   (bundles hold regular files only), or any error of `write`.
    @discardableResult
    public static func pack(
        directory: String, manifest: BundleManifest, to path: String, compression: CompressionOptions = .init()
    ) throws -> BundleManifest {
        try write(try sources(in: directory), manifest: manifest, to: path, compression: compression)
    }

    /// The regular files under `directory` as sources, skipping a top-level `manifest.json`.
    public static func sources(in directory: String) throws -> [BundleSource] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(.missing, path: directory, problem: "no such directory", fix: "Pass the directory to pack")
        }
        var out: [BundleSource] = []
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? directory : directory + "/" + relative
            let names = try FileManager.default.contentsOfDirectory(atPath: absolute).sorted()
            for name in names {
                let rel = relative.isEmpty ? name : relative + "/" + name
                let full = directory + "/" + rel
                var info = stat()
                guard lstat(full, &info) == 0 else { throw DataError.posix(full, "stat", errno: errno) }
                switch info.st_mode & S_IFMT {
                case S_IFREG:
                    if rel != BundleManifest.fileName { out.append(.file(full, as: rel)) }
                case S_IFDIR: try walk(rel)
                default:
                    throw DataError(
                        .unsupported, path: full,
                        problem: "is a symbolic link or special file; bundles hold regular files only",
                        fix: "Replace it with a copy of the file it points to, or move it out of the directory")
                }
            }
        }
        try walk("")
        return out
    }

    // MARK: Internals

    /// Pass 1: size, SHA-256 and tensor headers of every source.
    private static func describe(_ sources: [BundleSource]) throws -> [BundleEntry] {
        var seen = Set<String>()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        return try sources.map { source in
            guard seen.insert(source.path).inserted else {
                throw DataError(.malformed, path: source.path, problem: "two sources are stored under the same path")
            }
            let hasher = SHA256()
            var size: Int64 = 0
            var prefix: [UInt8] = []
            let wantsPrefix = source.path.hasSuffix(".npy") || source.path.hasSuffix(".safetensors")
            try stream(source, buffer: buffer) { chunk in
                hasher.update(chunk)
                size += Int64(chunk.count)
                if wantsPrefix {
                    let need = max(64 << 10, TensorHeaders.prefixNeeded(path: source.path, prefix: prefix))
                    if prefix.count < need { prefix += chunk.prefix(need - prefix.count) }
                }
            }
            if wantsPrefix {
                // A safetensors JSON header may outgrow the first 64 KiB: top up the prefix.
                let need = TensorHeaders.prefixNeeded(path: source.path, prefix: prefix)
                if prefix.count < need, case .file(let file) = source.content {
                    prefix = try readPrefix(file, count: need)
                }
            }
            if case .generated(let declared, _) = source.content, declared != size {
                throw DataError(
                    .mismatch, path: source.path,
                    problem: "the generator declared \(declared) bytes but produced \(size)")
            }
            let tensors = try TensorHeaders.describe(path: source.path, prefix: prefix)
            return BundleEntry(path: source.path, size: size, sha256: hasher.finalize(), tensors: tensors)
        }
    }

    /// Hands the source's bytes to `body` in chunks of at most `buffer.count` bytes (files) or
    /// as the generator emits them.
    private static func stream(
        _ source: BundleSource, buffer: UnsafeMutableRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        switch source.content {
        case .generated(_, let produce):
            try produce { chunk in if chunk.count > 0 { try body(chunk) } }
        case .file(let file):
            let fd = try POSIXFile.open(file, O_RDONLY)
            defer { close(fd) }
            posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
            while true {
                let n = try POSIXFile.read(fd, into: buffer, path: file)
                if n > 0 { try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
                if n < buffer.count { break }
            }
        }
    }

    private static func readPrefix(_ file: String, count: Int) throws -> [UInt8] {
        let fd = try POSIXFile.open(file, O_RDONLY)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try bytes.withUnsafeMutableBytes { try POSIXFile.read(fd, into: $0, path: file) }
        return Array(bytes[0..<n])
    }

    private static func changed(_ source: BundleSource, _ size: Int64) -> DataError {
        DataError(
            .mismatch, path: source.path,
            problem: "changed while being packed (its size is no longer \(size) bytes)",
            fix: "Pack again once nothing writes to it")
    }
}

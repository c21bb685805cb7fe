// Unpacking a bundle into a directory: every entry goes into a hidden staging directory inside
// the target, created with O_EXCL|O_NOFOLLOW (so nothing lands outside it), and is moved into
// place only once the whole bundle verified; on failure the staging directory (and the target,
// if this call created it) is removed. Not the verification itself: see BundleReader.swift.

import BrittleIO
import Foundation

extension BundleReader {
    /// Verifies and unpacks the bundle at `path` into `directory` (created if absent; its parent
    /// must exist). `manifest.json` is unpacked too, byte for byte, so packing the directory
    /// again with the same options gives the same bundle.
    ///
    /// - Returns: the manifest.
    /// - Throws: `DataError` for any problem `read` reports, when a file of the bundle already
    ///   exists in `directory`, or on write failures. Nothing is left behind then.
    @discardableResult
    public static func unpack(
        _ path: String, to directory: String, options: BundleReadOptions = .init()
    ) throws -> BundleManifest {
        var isDirectory: ObjCBool = false
        var created = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DataError(.io, path: directory, problem: "exists and is not a directory", fix: "Pick another -o")
            }
        } else {
            guard mkdir(directory, 0o755) == 0 else {
                throw DataError.posix(directory, "create the directory (does its parent exist?)", errno: errno)
            }
            created = true
        }
        // A directory this call created goes again on a signal; a staging directory that a
        // killed unpack left here is swept (its process is gone).
        let createdToken = created ? TemporaryPaths.register(directory) : nil
        TemporaryPaths.sweepStale(in: directory)
        let staging = directory + "/" + TemporaryPaths.name("unpack", hidden: true)
        guard mkdir(staging, 0o700) == 0 else { throw DataError.posix(staging, "create the directory", errno: errno) }
        let stagingToken = TemporaryPaths.register(staging)
        var succeeded = false
        defer {
            TemporaryPaths.remove(staging, token: stagingToken)
            if let createdToken {
                if !succeeded { try? FileManager.default.removeItem(atPath: directory) }
                TemporaryPaths.unregister(createdToken)
            }
        }

        var topLevel: [String] = []
        let (manifest, manifestBytes) = try read(
            path, options: options,
            prepare: { manifest in
                topLevel = Array(
                    Set(manifest.entries.map { String($0.path.split(separator: "/")[0]) } + [BundleManifest.fileName])
                ).sorted()
                for name in topLevel where FileManager.default.fileExists(atPath: directory + "/" + name) {
                    throw DataError(
                        .io, path: directory, problem: "'\(name)' already exists here; unpacking does not overwrite",
                        fix: "Unpack into a new or empty directory")
                }
            },
            sink: { entry in try FileSink(root: staging, relative: entry.path) })
        try FileSink.create(root: staging, relative: BundleManifest.fileName, bytes: manifestBytes)
        for name in topLevel {
            guard rename(staging + "/" + name, directory + "/" + name) == 0 else {
                let code = errno
                for moved in topLevel.prefix(while: { $0 != name }) {
                    _ = rename(directory + "/" + moved, staging + "/" + moved)
                }
                throw DataError.posix(directory + "/" + name, "move the unpacked file into place", errno: code)
            }
        }
        succeeded = true
        return manifest
    }
}

/// Writes one entry under `root`, creating its parent directories; refuses to follow or
/// replace anything that exists.
final class FileSink: BundleEntrySink {
    private var fd: Int32
    private let path: String

    init(root: String, relative: String) throws {
        var parent = root
        for component in relative.split(separator: "/").dropLast() {
            parent += "/" + component
            if mkdir(parent, 0o755) != 0 {
                var info = stat()
                guard errno == EEXIST, lstat(parent, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw DataError.posix(parent, "create the directory", errno: errno)
                }
            }
        }
        path = root + "/" + relative
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError.posix(path, "create the file", errno: errno) }
    }

    deinit { if fd >= 0 { close(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try POSIXFile.write(fd, bytes, path: path)
    }

    func finish() throws {
        let status = close(fd)
        fd = -1
        guard status == 0 else { throw DataError.posix(path, "close the file", errno: errno) }
    }

    static func create(root: String, relative: String, bytes: [UInt8]) throws {
        let sink = try FileSink(root: root, relative: relative)
        try bytes.withUnsafeBytes { try sink.write($0) }
        try sink.finish()
    }
}

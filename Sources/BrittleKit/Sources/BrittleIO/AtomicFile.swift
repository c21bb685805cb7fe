// AtomicFile: the one way Brittle replaces a file or publishes a directory. The new content goes
// to a temporary sibling named `.<name>.tmp-<pid>-<random>` (registered with TemporaryPaths, so
// a signal removes it and a later run sweeps it if this process dies), is fsynced, renamed over
// the target (rename(2) is atomic), and the directory is fsynced. Not a format: see NPY, Safetensors, BundleWriter.

import Foundation

/// Atomic replacement of files and publication of directories.
public enum AtomicFile {
    /// Replaces the file at `path` with what `body` writes to the file descriptor it is given
    /// (a new, empty temporary file beside `path`; `body` must not close it). Readers see the old
    /// file or the whole new one, never a part.
    ///
    /// - Throws: what `body` throws, or `DataError` when the directory does not exist or a
    ///   system call fails. `path` is then untouched and no temporary file is left.
    public static func write(_ path: String, _ body: (_ fd: Int32) throws -> Void) throws {
        let (directory, temporary) = try sibling(of: path)
        let fd = try POSIXFile.open(
            temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644, action: "create a temporary file in '\(directory)'")
        let token = TemporaryPaths.register(temporary)
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
            TemporaryPaths.unregister(token)
        }
        try body(fd)
        guard fsync(fd) == 0 else { throw DataError.posix(path, "flush the file", errno: errno) }
        closed = true
        guard close(fd) == 0 else { throw DataError.posix(path, "close the file", errno: errno) }
        guard rename(temporary, path) == 0 else {
            throw DataError.posix(path, "rename the temporary file into place", errno: errno)
        }
        renamed = true
        try syncDirectory(directory, for: path)
    }

    /// Replaces the file at `path` with `bytes`; see `write(_:_:)`.
    public static func write(_ path: String, bytes: [UInt8]) throws {
        try write(path) { fd in try bytes.withUnsafeBytes { try POSIXFile.write(fd, $0, path: path) } }
    }

    /// Replaces the file at `path` with `data`; see `write(_:_:)`.
    public static func write(_ path: String, data: Data) throws {
        try write(path) { fd in try data.withUnsafeBytes { try POSIXFile.write(fd, $0, path: path) } }
    }

    /// Publishes a directory at `path` whose contents `fill` writes into the (empty, temporary)
    /// directory it is given: the directory appears whole, or not at all. An existing empty
    /// directory at `path` is replaced; an existing non-empty one only when `replacing` (that
    /// removal and the rename are two steps: a crash between them leaves no directory).
    ///
    /// - Throws: what `fill` throws, or `DataError` when `path` exists and is not empty (without
    ///   `replacing`) or a system call fails. Nothing of the new directory is left then.
    public static func publishDirectory(
        _ path: String, replacing: Bool = false, _ fill: (_ directory: String) throws -> Void
    ) throws {
        let (directory, temporary) = try sibling(of: path)
        guard mkdir(temporary, 0o755) == 0 else {
            throw DataError.posix(path, "create a temporary directory in '\(directory)'", errno: errno)
        }
        let token = TemporaryPaths.register(temporary)
        var renamed = false
        defer {
            if !renamed { try? FileManager.default.removeItem(atPath: temporary) }
            TemporaryPaths.unregister(token)
        }
        try fill(temporary)
        var info = stat()
        if lstat(path, &info) == 0 {
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            if isDirectory && rmdir(path) == 0 {
                // it was empty
            } else if replacing {
                do { try FileManager.default.removeItem(atPath: path) } catch {
                    throw DataError(.io, path: path, problem: "cannot remove the old directory: \(error.localizedDescription)")
                }
            } else {
                throw DataError(
                    .io, path: path, problem: "exists and is not an empty directory",
                    fix: "Choose a new directory, or remove this one first")
            }
        }
        guard rename(temporary, path) == 0 else {
            throw DataError.posix(path, "rename the temporary directory into place", errno: errno)
        }
        renamed = true
        try syncDirectory(directory, for: path)
    }

    /// The directory of `path` and a fresh temporary name beside it, after sweeping the
    /// temporaries that dead processes left there.
    private static func sibling(of path: String) throws -> (directory: String, temporary: String) {
        let (directory, base) = POSIXFile.split(path)
        guard !base.isEmpty, base != ".", base != ".." else {
            throw DataError(.io, path: path, problem: "not a file name (ends with '/', '.' or '..')")
        }
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw DataError(
                .missing, path: path, problem: "the directory '\(directory)' does not exist", fix: "Create it first")
        }
        TemporaryPaths.sweepStale(in: directory)
        return (directory, (directory == "/" ? "" : directory) + "/.\(base).tmp-\(TemporaryPaths.suffix)")
    }

    /// Makes the rename durable: without this a power cut can forget the new directory entry.
    private static func syncDirectory(_ directory: String, for path: String) throws {
        let fd = Foundation.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }  // e.g. a directory we may write but not read: the rename stands
        defer { close(fd) }
        // EINVAL: the file system does not sync directories (e.g. some FUSE mounts).
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw DataError.posix(path, "flush the directory '\(directory)'", errno: errno)
        }
    }
}

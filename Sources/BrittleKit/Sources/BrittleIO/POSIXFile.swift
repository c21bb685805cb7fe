// POSIXFile: the one layer over read(2), write(2) and fsync(2) that the kit's file code uses:
// whole-buffer transfers that retry on EINTR and on short reads and writes, and the one POSIX
// error (`DataError.posix`). Not a file type, not a path library, not buffered.
// Not swift-system: a kit dependency must resolve offline for every plugin that builds the kit by path; four calls do not earn that.

import Foundation

/// Read and write loops over raw file descriptors.
public enum POSIXFile {
    /// Reads until `buffer` is full or the file ends, retrying on EINTR and short reads.
    ///
    /// - Returns: the bytes read; fewer than `buffer.count` only at end of file.
    /// - Throws: `DataError` carrying `strerror(errno)`, naming `path`.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = Foundation.read(fd, base + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError.posix(path, "read the file", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes`, retrying on EINTR and short writes.
    ///
    /// - Throws: `DataError` carrying `strerror(errno)`, naming `path`.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError.posix(path, "write the file", errno: errno)
            }
            done += n
        }
    }

    /// Opens `path` with `flags` (O_CLOEXEC is added) and `mode`.
    ///
    /// - Throws: `DataError` (`.missing` for ENOENT) saying it could not `action`.
    public static func open(
        _ path: String, _ flags: Int32, mode: mode_t = 0, action: String = "open the file"
    ) throws -> Int32 {
        let fd = Foundation.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw DataError.posix(path, action, errno: errno) }
        return fd
    }

    /// `(directory, base name)` of `path`: `("/", "x")` for `/x`, `(".", "x")` for `x`.
    public static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}

extension DataError {
    /// The error for a failed POSIX call on `path`, carrying `strerror(code)`: `.missing` for
    /// ENOENT, `.io` otherwise.
    package static func posix(_ path: String, _ action: String, errno code: Int32) -> DataError {
        let reason = String(cString: strerror(code))
        return DataError(code == ENOENT ? .missing : .io, path: path, problem: "cannot \(action): \(reason)")
    }
}

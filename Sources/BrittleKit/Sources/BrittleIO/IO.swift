// File plumbing shared by the BrittleIO formats: read a whole regular file (bounded by a size
// limit) and pack/unpack little- and big-endian numbers. Not a format (see IDX.swift,
// Safetensors.swift, NPY.swift), not the writer (AtomicFile.swift) nor the read loop (POSIXFile.swift).

import Foundation

public enum FileBytes {
    /// Every byte of the regular file at `path`, refusing anything but a regular file (a FIFO or
    /// `/dev/zero` would never end) and a file larger than `limit` bytes (default: the memory
    /// limit), before reading it.
    public static func readAll(_ path: String, limit: Int64? = nil, what: String = "the file") throws -> [UInt8] {
        let fd = try POSIXFile.open(path, O_RDONLY)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DataError.posix(path, "stat the file", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DataError(.io, path: path, problem: "not a regular file", fix: "Pass a file (not a directory, FIFO or device)")
        }
        if let limit, Int64(info.st_size) > limit {
            throw DataError(
                .unsupported, path: path,
                problem: "\(what) is \(info.st_size) bytes, more than the \(limit)-byte limit for it",
                fix: "Pass the right file")
        }
        try MemoryLimit.check(Int64(info.st_size), for: "reading \(what)", path: path)
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        // A file that shrank while we read it ends early.
        let done = try bytes.withUnsafeMutableBytes { try POSIXFile.read(fd, into: $0, path: path) }
        if done < size { bytes.removeLast(size - done) }
        return bytes
    }
}

/// The product of `shape`, or nil when it overflows `Int`.
func elementCount(_ shape: [Int]) -> Int? {
    if shape.contains(0) { return 0 }
    var count = 1
    for d in shape {
        let (p, overflow) = count.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        count = p
    }
    return count
}

extension Array where Element == UInt8 {
    /// Appends `value` as little-endian bytes.
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Appends `values` as little-endian IEEE-754 binary32.
    mutating func appendLittleEndian(_ values: [Float]) {
        #if _endian(little)
            values.withUnsafeBytes { append(contentsOf: $0) }
        #else
            reserveCapacity(count + 4 * values.count)
            for v in values { appendLittleEndian(v.bitPattern) }
        #endif
    }

    /// The `T` stored little-endian at `offset` (caller checks the bounds).
    func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var v = T.zero
        for i in (0..<MemoryLayout<T>.size).reversed() {
            v = v << 8 | T(truncatingIfNeeded: self[offset + i])
        }
        return v
    }

    /// The `T` stored big-endian at `offset` (caller checks the bounds).
    func loadBigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var v = T.zero
        for i in 0..<MemoryLayout<T>.size {
            v = v << 8 | T(truncatingIfNeeded: self[offset + i])
        }
        return v
    }

    /// `count` little-endian binary32 values starting at `offset` (caller checks the bounds).
    func loadLittleEndianFloats(at offset: Int, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            withUnsafeBytes { src in
                #if _endian(little)
                    if count > 0 {
                        UnsafeMutableRawPointer(out.baseAddress!).copyMemory(
                            from: src.baseAddress! + offset, byteCount: 4 * count)
                    }
                #else
                    for i in 0..<count {
                        out[i] = Float(bitPattern: loadLittleEndian(UInt32.self, at: offset + 4 * i))
                    }
                #endif
            }
            initialized = count
        }
    }
}

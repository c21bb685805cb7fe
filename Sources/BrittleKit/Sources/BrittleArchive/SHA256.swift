// SHA256: an incremental SHA-256 (FIPS 180-4) over OpenSSL's EVP interface, fed in chunks, so a
// bundle entry is hashed while it streams and is never held whole. Not a general crypto API.
// Why OpenSSL: see the CLibCrypto target in ../../Package.swift (SHA-NI speed, no build cost).

import BrittleIO
import CLibCrypto
import Foundation

/// An incremental SHA-256 hasher: `update` with the bytes in order, then `finalize` once.
public final class SHA256 {
    private let context: OpaquePointer

    /// A hasher that has seen no bytes yet.
    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("SHA256: OpenSSL could not set up a SHA-256 context (out of memory?)")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Hashes `bytes` after everything hashed so far.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Hashes `bytes` after everything hashed so far.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of all bytes seen, as 64 lowercase hex digits (the `sha256sum` form).
    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        return SHA256.hex(digest)
    }

    /// The SHA-256 of `bytes`, in hex.
    public static func hash(_ bytes: [UInt8]) -> String {
        let h = SHA256()
        h.update(bytes)
        return h.finalize()
    }

    /// The SHA-256 of the file at `path`, read in `chunkSize` pieces, and its size in bytes.
    ///
    /// - Throws: `DataError` when the file cannot be opened or read.
    public static func hash(file path: String, chunkSize: Int = 1 << 20) throws -> (sha256: String, size: Int64) {
        let fd = try POSIXFile.open(path, O_RDONLY)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        let h = SHA256()
        var size: Int64 = 0
        while true {
            let n = try POSIXFile.read(fd, into: buffer, path: path)
            h.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            size += Int64(n)
            if n < chunkSize { break }
        }
        return (h.finalize(), size)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 * bytes.count)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

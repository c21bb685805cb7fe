// TensorHeaders: dtype and shape of the tensors in an .npy or .safetensors file, read from the
// file's header alone (its first bytes), for the bundle manifest. The headers are parsed by
// BrittleIO's one codec per format (NPYHeader, SafetensorsHeader); this only maps them to
// manifest records and says how many bytes a header needs. Not a tensor reader.

import BrittleIO
import Foundation

/// Header-only views of tensor files.
public enum TensorHeaders {
    /// Bytes of a file's start that are enough to describe it: the whole .npy header, or the
    /// safetensors length word plus its JSON header, capped at 64 MiB.
    static func prefixNeeded(path: String, prefix: [UInt8]) -> Int {
        if path.hasSuffix(".safetensors"), prefix.count >= 8 {
            let n = prefix[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            return Int(min(n, 64 << 20)) + 8
        }
        if path.hasSuffix(".npy"), prefix.count >= 12, prefix[6] >= 2 {
            let n = Int(prefix[8]) | Int(prefix[9]) << 8 | Int(prefix[10]) << 16 | Int(prefix[11]) << 24
            return min(n, 64 << 20) + 12
        }
        if path.hasSuffix(".npy"), prefix.count >= 10, prefix[6] == 1 {
            return (Int(prefix[8]) | Int(prefix[9]) << 8) + 10
        }
        return 0
    }

    /// The tensors described by `prefix`, the first bytes of the file named `path` (`.npy` or
    /// `.safetensors`; nil for other names).
    ///
    /// - Throws: `DataError` when the name says .npy/.safetensors but the header is malformed.
    public static func describe(path: String, prefix: [UInt8]) throws -> [TensorRecord]? {
        if path.hasSuffix(".npy") {
            let header = try NPYHeader.parse(prefix, path: path)
            return [TensorRecord(dtype: header.descr, shape: header.shape)]
        }
        if path.hasSuffix(".safetensors") { return try safetensors(prefix, path: path) }
        return nil
    }

    /// The tensors of a .safetensors header (any dtype), sorted by name.
    public static func safetensors(_ bytes: [UInt8], path: String) throws -> [TensorRecord] {
        try SafetensorsHeader.parse(bytes, path: path).entries
            .map { TensorRecord(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
            .sorted { $0.name! < $1.name! }
    }
}

// TensorHeaders: dtype and shape of the tensors in an .npy or .safetensors file, read from the
// file's header alone (its first bytes), for the bundle manifest. Also writes .npy headers of
// any dtype (BrittleIO's NPY writes whole float/int arrays; bundles stream `|u1` images).
// Not a tensor reader. Reference: numpy/lib/format.py (NEP 1); huggingface safetensors format.

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
        return 0
    }

    /// The tensors described by `prefix`, the first bytes of the file named `path` (`.npy` or
    /// `.safetensors`; nil for other names).
    ///
    /// - Throws: `DataError` when the name says .npy/.safetensors but the header is malformed.
    public static func describe(path: String, prefix: [UInt8]) throws -> [TensorRecord]? {
        if path.hasSuffix(".npy") { return [try npy(prefix, path: path).record] }
        if path.hasSuffix(".safetensors") { return try safetensors(prefix, path: path) }
        return nil
    }

    /// Parses an .npy header: dtype (`descr`), shape, and the offset where the data starts.
    public static func npy(_ bytes: [UInt8], path: String) throws -> (record: TensorRecord, dataOffset: Int) {
        func bad(_ why: String) -> DataError { DataError(.malformed, path: path, problem: "not a valid .npy file: \(why)") }
        guard bytes.count >= 10, Array(bytes[0..<6]) == [0x93] + Array("NUMPY".utf8) else { throw bad("no \\x93NUMPY magic") }
        let major = bytes[6]
        let headerStart = major == 1 ? 10 : 12
        guard major >= 1 && major <= 3, bytes.count >= headerStart else { throw bad("unknown version \(major)") }
        let length =
            major == 1
            ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard headerStart + length <= bytes.count else { throw bad("header of \(length) bytes is cut short") }
        let text = String(decoding: bytes[headerStart..<(headerStart + length)], as: UTF8.self)
        guard let descr = quotedValue(of: "descr", in: text) else { throw bad("no 'descr' in the header") }
        guard let open = text.range(of: "'shape':")?.upperBound ?? text.range(of: "\"shape\":")?.upperBound,
            let lp = text[open...].firstIndex(of: "("), let rp = text[lp...].firstIndex(of: ")")
        else { throw bad("no 'shape' tuple in the header") }
        let items = text[text.index(after: lp)..<rp].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let shape = items.compactMap { Int($0.hasSuffix("L") ? String($0.dropLast()) : $0) }
        guard shape.count == items.count, shape.allSatisfy({ $0 >= 0 }) else { throw bad("malformed shape in the header") }
        return (TensorRecord(dtype: descr, shape: shape), headerStart + length)
    }

    /// The tensors of a .safetensors header, sorted by name.
    public static func safetensors(_ bytes: [UInt8], path: String) throws -> [TensorRecord] {
        func bad(_ why: String) -> DataError {
            DataError(.malformed, path: path, problem: "not a valid .safetensors file: \(why)")
        }
        guard bytes.count >= 8 else { throw bad("shorter than its 8-byte header length") }
        let n = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(bytes.count - 8) else { throw bad("header of \(n) bytes is cut short") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + Int(n))])) as? [String: Any]
        else { throw bad("the header is not a JSON object") }
        var records: [TensorRecord] = []
        for (name, value) in object where name != "__metadata__" {
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                let shape = fields["shape"] as? [Int]
            else { throw bad("tensor '\(name)' has no dtype or shape") }
            records.append(TensorRecord(name: name, dtype: dtype, shape: shape))
        }
        return records.sorted { $0.name! < $1.name! }
    }

    /// An .npy (version 1.0) header for a C-order array of `descr` (e.g. `|u1`, `<f4`, `<i8`)
    /// and `shape`, padded so the data starts at a multiple of 64 bytes, as numpy.save does.
    public static func npyHeader(descr: String, shape: [Int]) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        let prefix = 10
        let padding = (64 - (prefix + dict.count + 1) % 64) % 64
        let length = dict.count + padding + 1
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += dict
        bytes += repeatElement(UInt8(ascii: " "), count: padding)
        bytes.append(0x0A)
        return bytes
    }

    private static func quotedValue(of key: String, in text: String) -> String? {
        for q in ["'", "\""] {
            guard let k = text.range(of: q + key + q) else { continue }
            let rest = text[k.upperBound...].drop { $0 == ":" || $0 == " " }
            guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
            let body = rest.dropFirst()
            guard let end = body.firstIndex(of: quote) else { return nil }
            return String(body[..<end])
        }
        return nil
    }
}

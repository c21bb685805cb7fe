// Safetensors: Hugging Face's checkpoint format (8-byte little-endian header length N, N bytes
// of JSON header padded with spaces to a multiple of 8, then the tensors' raw little-endian
// bytes back to back in header order). F32 only; not memory-mapped, not lazy: whole file in
// memory. Reference: https://huggingface.co/docs/safetensors (format), safetensors/src/tensor.rs.

import BrittleNN

/// Reader and writer for `.safetensors` checkpoints of Float32 tensors.
public enum Safetensors {
    /// Largest JSON header accepted on read (100 MB), as in the reference implementation.
    public static let maxHeaderSize = SafetensorsHeader.maxSize
    /// The header key that holds the string-to-string metadata.
    public static let metadataKey = SafetensorsHeader.metadataKey

    /// Writes `tensors` (in this order, data laid out in the same order) and `metadata` to
    /// `path`, atomically: a temporary file in the same directory is renamed over `path` only
    /// once complete. The bytes depend only on the arguments (metadata keys are sorted).
    ///
    /// - Throws: `DataError` for duplicate or reserved (`__metadata__`) names, or when the file
    ///   cannot be written.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String
    ) throws {
        try AtomicFile.write(path, bytes: encode(tensors, metadata: metadata, path: path))
    }

    /// Reads every tensor and the metadata of the safetensors file at `path`.
    ///
    /// - Returns: the tensors by name, their names in data order (the order `write` was given),
    ///   and the metadata.
    /// - Throws: `DataError` naming the file and the problem: truncated file, header length out
    ///   of range, malformed JSON, a dtype other than F32 (`.unsupported`), offsets out of range,
    ///   overlapping or leaving gaps, or a byte count that does not match the shape.
    public static func read(path: String) throws
        -> (tensors: [String: Tensor], order: [String], metadata: [String: String])
    {
        try decode(FileBytes.readAll(path), path: path)
    }

    // MARK: Encoding

    static func encode(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String], path: String
    ) throws -> [UInt8] {
        var seen = Set<String>()
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }
                .map { "\(jsonQuoted($0.key)):\(jsonQuoted($0.value))" }
            fields.append("\(jsonQuoted(metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            guard name != metadataKey else {
                throw DataError(
                    .malformed, path: path, problem: "'\(metadataKey)' is reserved, not a tensor name")
            }
            guard seen.insert(name).inserted else {
                throw DataError(.malformed, path: path, problem: "two tensors are named '\(name)'")
            }
            let end = offset + 4 * tensor.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append(
                jsonQuoted(name) + ":{\"dtype\":\"F32\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        headerBytes.append(
            contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8))

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        bytes.appendLittleEndian(UInt64(headerBytes.count))
        bytes.append(contentsOf: headerBytes)
        for (_, tensor) in tensors { bytes.appendLittleEndian(tensor.scalars) }
        return bytes
    }

    /// `s` as a JSON string literal (RFC 8259 escapes; non-ASCII left as UTF-8).
    static func jsonQuoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    // MARK: Decoding

    /// Decodes safetensors bytes (`path` names the source in errors); see `read(path:)`.
    public static func decode(_ bytes: [UInt8], path: String) throws
        -> (tensors: [String: Tensor], order: [String], metadata: [String: String])
    {
        func bad(_ problem: String, _ kind: DataError.Kind = .malformed) -> DataError {
            DataError(kind, path: path, problem: problem)
        }
        let header = try SafetensorsHeader.parse(bytes, path: path)
        let entries = header.entries
        for e in entries where e.dtype != "F32" {
            throw DataError(
                .unsupported, path: path,
                problem: "tensor '\(e.name)' has dtype \(e.dtype); Brittle reads F32 only",
                fix: "Convert the checkpoint to float32 first (e.g. tensor.float() in PyTorch)")
        }
        let dataStart = header.dataOffset
        let dataSize = bytes.count - dataStart
        for e in entries {
            let offsets = "tensor '\(e.name)': data_offsets [\(e.begin), \(e.end)]"
            guard e.begin <= e.end else { throw bad("\(offsets) run backwards") }
            guard e.end <= dataSize else {
                throw bad("\(offsets) go past the \(dataSize) data bytes (truncated file?)", .truncated)
            }
            guard let byteCount = elementCount(e.shape + [4]) else {
                throw bad("tensor '\(e.name)': shape \(e.shape) is too large")
            }
            guard e.end - e.begin == byteCount else {
                throw bad(
                    "\(offsets) hold \(e.end - e.begin) bytes; F32 of shape \(e.shape) needs \(byteCount)",
                    .mismatch)
            }
        }
        var cursor = 0
        for e in entries {  // in data order
            let offsets = "tensor '\(e.name)': data_offsets [\(e.begin), \(e.end)]"
            guard e.begin >= cursor else { throw bad("\(offsets) overlap another tensor's data") }
            guard e.begin == cursor else { throw bad("\(offsets) leave a gap after byte \(cursor)") }
            cursor = e.end
        }
        guard cursor == dataSize else {
            throw bad("\(dataSize - cursor) bytes after the last tensor's data belong to no tensor")
        }

        var tensors: [String: Tensor] = [:]
        for e in entries {
            let scalars = bytes.loadLittleEndianFloats(at: dataStart + e.begin, count: (e.end - e.begin) / 4)
            tensors[e.name] = Tensor(shape: e.shape, scalars: scalars)
        }
        return (tensors, entries.map(\.name), header.metadata)
    }
}

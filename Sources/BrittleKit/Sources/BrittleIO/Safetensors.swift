// Safetensors: Hugging Face's checkpoint format (8-byte little-endian header length N, N bytes
// of JSON header padded with spaces to a multiple of 8, then the tensors' raw little-endian
// bytes back to back in header order). F32 only; not memory-mapped, not lazy: whole file in
// memory. Reference: https://huggingface.co/docs/safetensors (format), safetensors/src/tensor.rs.

import BrittleNN

/// Reader and writer for `.safetensors` checkpoints of Float32 tensors.
public enum Safetensors {
    /// Largest JSON header accepted on read (100 MB), as in the reference implementation.
    public static let maxHeaderSize = 100_000_000
    /// The header key that holds the string-to-string metadata.
    public static let metadataKey = "__metadata__"

    /// Writes `tensors` (in this order, data laid out in the same order) and `metadata` to
    /// `path`, atomically: a temporary file in the same directory is renamed over `path` only
    /// once complete. The bytes depend only on the arguments (metadata keys are sorted).
    ///
    /// - Throws: `DataError` for duplicate or reserved (`__metadata__`) names, or when the file
    ///   cannot be written.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String
    ) throws {
        try FileBytes.replace(path, with: encode(tensors, metadata: metadata, path: path))
    }

    /// Reads every tensor and the metadata of the safetensors file at `path`.
    ///
    /// - Returns: the tensors by name, their names in header order, and the metadata.
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

    private struct Entry {
        var name: String
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// Decodes safetensors bytes (`path` names the source in errors); see `read(path:)`.
    public static func decode(_ bytes: [UInt8], path: String) throws
        -> (tensors: [String: Tensor], order: [String], metadata: [String: String])
    {
        func bad(_ problem: String, _ kind: DataError.Kind = .malformed) -> DataError {
            DataError(kind, path: path, problem: problem)
        }
        guard bytes.count >= 8 else {
            throw DataError.truncated(path, what: "safetensors file", expected: 8, actual: bytes.count)
        }
        let declared = bytes.loadLittleEndian(UInt64.self, at: 0)
        guard declared <= UInt64(maxHeaderSize) else {
            throw bad(
                "header length \(declared) exceeds the \(maxHeaderSize)-byte limit (not a safetensors file?)")
        }
        let headerSize = Int(declared)
        guard 8 + headerSize <= bytes.count else {
            throw bad(
                "header length \(headerSize) is larger than the \(bytes.count - 8) bytes that follow it "
                    + "(truncated, or not a safetensors file)", .truncated)
        }
        let json: JSON
        do {
            var parser = JSONParser(bytes: bytes[8..<(8 + headerSize)])
            json = try parser.parseDocument()
        } catch let error as JSONParser.Failure {
            throw bad("malformed JSON header: \(error.message) at header byte \(error.offset)")
        }
        guard case .object(let members) = json else { throw bad("the JSON header is not an object") }

        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        var names = Set<String>()
        for (key, value) in members {
            guard names.insert(key).inserted else { throw bad("the header names '\(key)' twice") }
            if key == metadataKey {
                guard case .object(let pairs) = value else { throw bad("'\(metadataKey)' is not an object") }
                for (k, v) in pairs {
                    guard case .string(let s) = v else {
                        throw bad("metadata '\(k)' is not a string (safetensors metadata values are strings)")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard case .object(let fields) = value else { throw bad("tensor '\(key)' is not an object") }
            func field(_ name: String) throws -> JSON {
                guard let v = fields.first(where: { $0.0 == name })?.1 else {
                    throw bad("tensor '\(key)' has no \"\(name)\"")
                }
                return v
            }
            guard case .string(let dtype) = try field("dtype") else {
                throw bad("tensor '\(key)': dtype is not a string")
            }
            guard dtype == "F32" else {
                throw DataError(
                    .unsupported, path: path,
                    problem: "tensor '\(key)' has dtype \(dtype); Brittle reads F32 only",
                    fix: "Convert the checkpoint to float32 first (e.g. tensor.float() in PyTorch)")
            }
            let badShape = bad("tensor '\(key)': shape is not a list of non-negative integers")
            guard case .array(let shapeItems) = try field("shape") else { throw badShape }
            let shape = shapeItems.compactMap(\.nonNegativeInt)
            guard shape.count == shapeItems.count else { throw badShape }
            guard case .array(let offsetItems) = try field("data_offsets"), offsetItems.count == 2,
                let begin = offsetItems[0].nonNegativeInt, let end = offsetItems[1].nonNegativeInt
            else { throw bad("tensor '\(key)': data_offsets is not [begin, end], non-negative integers") }
            entries.append(Entry(name: key, shape: shape, begin: begin, end: end))
        }

        let dataStart = 8 + headerSize
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
        for e in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
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
        return (tensors, entries.map(\.name), metadata)
    }
}

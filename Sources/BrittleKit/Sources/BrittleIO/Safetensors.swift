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

// MARK: - A small JSON reader that keeps object members in order

/// A parsed JSON value; objects keep their members in document order (the safetensors header's
/// order is the tensors' order), which Foundation's JSONSerialization does not.
private indirect enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The value as an Int when it is a plain non-negative integer literal that fits.
    var nonNegativeInt: Int? {
        guard case .number(let text) = self, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return nil
        }
        return Int(text)
    }
}

/// RFC 8259 parser over bytes, with a nesting limit so hostile input cannot exhaust the stack.
private struct JSONParser {
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    let bytes: ArraySlice<UInt8>
    var i: Int
    var depth = 0
    static let maxDepth = 64

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.i = bytes.startIndex
    }

    mutating func parseDocument() throws -> JSON {
        let value = try parseValue()
        skipWhitespace()
        guard i == bytes.endIndex else { throw fail("unexpected text after the top-level value") }
        return value
    }

    private func fail(_ message: String) -> Failure {
        Failure(message: message, offset: i - bytes.startIndex)
    }

    private mutating func skipWhitespace() {
        while i < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipWhitespace()
        guard i < bytes.endIndex, bytes[i] == c else {
            throw fail("expected '\(Character(Unicode.Scalar(c)))'")
        }
        i += 1
    }

    private mutating func parseValue() throws -> JSON {
        skipWhitespace()
        guard i < bytes.endIndex else { throw fail("unexpected end of header") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            return try nested {
                var members: [(String, JSON)] = []
                $0.i += 1
                $0.skipWhitespace()
                if $0.i < $0.bytes.endIndex, $0.bytes[$0.i] == UInt8(ascii: "}") {
                    $0.i += 1
                    return .object(members)
                }
                repeat {
                    $0.skipWhitespace()
                    let key = try $0.parseString()
                    try $0.expect(UInt8(ascii: ":"))
                    members.append((key, try $0.parseValue()))
                } while try $0.separator(closing: UInt8(ascii: "}"))
                return .object(members)
            }
        case UInt8(ascii: "["):
            return try nested {
                var items: [JSON] = []
                $0.i += 1
                $0.skipWhitespace()
                if $0.i < $0.bytes.endIndex, $0.bytes[$0.i] == UInt8(ascii: "]") {
                    $0.i += 1
                    return .array(items)
                }
                repeat {
                    items.append(try $0.parseValue())
                } while try $0.separator(closing: UInt8(ascii: "]"))
                return .array(items)
            }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return try parseNumber()
        }
    }

    private mutating func nested(_ body: (inout JSONParser) throws -> JSON) throws -> JSON {
        guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
        depth += 1
        defer { depth -= 1 }
        return try body(&self)
    }

    /// Consumes ',' (true: more follow) or `closing` (false).
    private mutating func separator(closing: UInt8) throws -> Bool {
        skipWhitespace()
        guard i < bytes.endIndex else { throw fail("unexpected end of header") }
        if bytes[i] == UInt8(ascii: ",") {
            i += 1
            return true
        }
        if bytes[i] == closing {
            i += 1
            return false
        }
        throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
    }

    private mutating func literal(_ word: String) throws {
        for c in word.utf8 {
            guard i < bytes.endIndex, bytes[i] == c else { throw fail("invalid literal (expected \(word))") }
            i += 1
        }
    }

    private mutating func parseNumber() throws -> JSON {
        let start = i
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let numberBytes = Set("0123456789+-.eE".utf8)
        while i < bytes.endIndex, numberBytes.contains(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard i > start, Double(text) != nil else {
            i = start
            throw fail("unexpected character")
        }
        return .number(text)
    }

    private mutating func parseString() throws -> String {
        guard i < bytes.endIndex, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        i += 1
        var utf8: [UInt8] = []
        while true {
            guard i < bytes.endIndex else { throw fail("unterminated string") }
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: utf8, as: UTF8.self) else {
                    throw fail("string is not UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                guard i < bytes.endIndex else { throw fail("unterminated string") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        try literal("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("unpaired surrogate") }
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                default: throw fail("invalid escape")
                }
            case 0..<0x20: throw fail("control character in string")
            default: utf8.append(c)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        let digits = Set("0123456789abcdefABCDEF".utf8)
        guard i + 4 <= bytes.endIndex, bytes[i..<(i + 4)].allSatisfy(digits.contains),
            let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
        else { throw fail("invalid \\u escape") }
        i += 4
        return v
    }
}

// NPYHeader: the one codec of the .npy header (magic "\x93NUMPY", version, header length, and a
// Python dict literal {'descr', 'fortran_order', 'shape'} padded so the data starts at a multiple
// of 64 bytes). Any dtype: NPY.swift (whole float/int arrays) and bundles (streamed `|u1` images)
// both use it. Not the data: see NPY.decode. Reference: numpy/lib/format.py (NEP 1).

/// The header of an .npy file: what the array is and where its data starts.
public struct NPYHeader: Equatable, Sendable {
    /// The numpy dtype string, e.g. `<f4`, `<i8`, `|u1`.
    public var descr: String
    /// Whether the array is stored column-major.
    public var fortranOrder: Bool
    /// The array's extents.
    public var shape: [Int]
    /// The byte offset where the data starts (the header's total length).
    public var dataOffset: Int

    /// The data of every header written starts at a multiple of this many bytes.
    public static let alignment = 64
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The header numpy.save writes for a C-order array of `descr` and `shape`: version 1.0
    /// (2.0 only if the dict outgrows 64 KiB), the dict space-padded and ending in '\n'.
    public static func encode(descr: String, shape: [Int]) -> [UInt8] {
        let tuple =
            shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        var version: UInt8 = 1
        var prefix = magic.count + 2 + 2
        if (dict.count + 1 + alignment) > Int(UInt16.max) {
            version = 2
            prefix = magic.count + 2 + 4
        }
        let padding = (alignment - (prefix + dict.count + 1) % alignment) % alignment
        let headerLength = dict.count + padding + 1
        var bytes = magic + [version, 0]
        if version == 1 {
            bytes.appendLittleEndian(UInt16(headerLength))
        } else {
            bytes.appendLittleEndian(UInt32(headerLength))
        }
        bytes += dict
        bytes += repeatElement(UInt8(ascii: " "), count: padding)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Parses the header at the start of `bytes` (the whole file, or at least its header);
    /// `path` names the source in errors.
    ///
    /// - Throws: `DataError`: no magic or a malformed dict (`.malformed`), a version other than
    ///   1.0-3.0 (`.unsupported`), or fewer bytes than the header (`.truncated`).
    public static func parse(_ bytes: [UInt8], path: String) throws -> NPYHeader {
        func bad(_ problem: String, _ kind: DataError.Kind = .malformed) -> DataError {
            DataError(kind, path: path, problem: problem)
        }
        guard bytes.count >= 10 else {
            throw DataError.truncated(path, what: ".npy file", expected: 10, actual: bytes.count)
        }
        guard Array(bytes[0..<6]) == magic else { throw bad("not an .npy file (no \\x93NUMPY magic)") }
        let major = bytes[6]
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(bytes.loadLittleEndian(UInt16.self, at: 8))
        case 2, 3:
            guard bytes.count >= 12 else {
                throw DataError.truncated(path, what: ".npy file", expected: 12, actual: bytes.count)
            }
            headerLength = Int(bytes.loadLittleEndian(UInt32.self, at: 8))
        default:
            throw bad(
                ".npy format version \(major).\(bytes[7]); versions 1.0-3.0 are supported", .unsupported)
        }
        let headerStart = major == 1 ? 10 : 12
        let dataStart = headerStart + headerLength
        guard dataStart <= bytes.count else {
            throw DataError.truncated(path, what: ".npy header", expected: dataStart, actual: bytes.count)
        }
        guard let text = String(validating: bytes[headerStart..<dataStart], as: UTF8.self) else {
            throw bad("the .npy header is not text")
        }
        var parser = DictParser(text: text)
        guard let dict = parser.parse() else { throw bad("malformed .npy header: \(text.trimmingSpaces)") }
        guard case .string(let descr)? = dict["descr"] else {
            throw bad("the .npy header has no 'descr' string")
        }
        guard case .tuple(let shape)? = dict["shape"] else {
            throw bad("the .npy header has no 'shape' tuple")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw bad("the .npy header has no 'fortran_order' boolean")
        }
        return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: dataStart)
    }
}

/// The Python literal subset numpy writes in a header: a dict of quoted-string keys to quoted
/// strings, True/False and tuples of non-negative integers.
private struct DictParser {
    enum Value {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    let chars: [Character]
    var i = 0

    init(text: String) { chars = Array(text) }

    mutating func parse() -> [String: Value]? {
        var dict: [String: Value] = [:]
        guard take("{") else { return nil }
        while !take("}") {
            guard let key = string(), take(":"), let value = value() else { return nil }
            dict[key] = value
            if !take(",") {
                guard take("}") else { return nil }
                break
            }
        }
        skipSpaces()
        return i == chars.count ? dict : nil
    }

    private mutating func skipSpaces() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

    private mutating func take(_ c: Character) -> Bool {
        skipSpaces()
        guard i < chars.count, chars[i] == c else { return false }
        i += 1
        return true
    }

    private mutating func string() -> String? {
        skipSpaces()
        guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { return nil }
        let quote = chars[i]
        i += 1
        let start = i
        while i < chars.count, chars[i] != quote { i += 1 }
        guard i < chars.count else { return nil }
        i += 1
        return String(chars[start..<(i - 1)])
    }

    private mutating func value() -> Value? {
        skipSpaces()
        guard i < chars.count else { return nil }
        if chars[i] == "'" || chars[i] == "\"" { return string().map(Value.string) }
        if take("(") {
            var items: [Int] = []
            while !take(")") {
                skipSpaces()
                let start = i
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
                guard i > start, let n = Int(String(chars[start..<i])) else { return nil }
                if i < chars.count, chars[i] == "L" { i += 1 }  // Python 2 longs
                items.append(n)
                if !take(",") {
                    guard take(")") else { return nil }
                    break
                }
            }
            return .tuple(items)
        }
        for (word, flag) in [("True", true), ("False", false)] where chars[i...].starts(with: word) {
            i += word.count
            return .bool(flag)
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

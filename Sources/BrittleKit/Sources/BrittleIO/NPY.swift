// NPY: NumPy's .npy array files, version 1.0 on write (2.0 only if the header outgrows 64 KiB),
// 1.0-3.0 on read: magic "\x93NUMPY", version, header length, a Python dict literal
// {'descr', 'fortran_order', 'shape'} padded so the data starts at a multiple of 64 bytes.
// Only little-endian float32 ('<f4') and int32/int64 ('<i4', '<i8'), C order. Not .npz.
// Reference: numpy/lib/format.py and NEP 1 ("A simple file format for NumPy arrays").

import BrittleNN

/// The contents of an .npy file that Brittle reads.
public enum NPYArray: Equatable, Sendable {
    /// A `'<f4'` array, as a tensor of its shape.
    case float32(Tensor)
    /// An `'<i4'` array: its elements (C order) and shape.
    case int32(values: [Int32], shape: [Int])
    /// An `'<i8'` array: its elements (C order) and shape.
    case int64(values: [Int64], shape: [Int])

    /// The array's shape.
    public var shape: [Int] {
        switch self {
        case .float32(let t): return t.shape
        case .int32(_, let shape), .int64(_, let shape): return shape
        }
    }
}

/// Reader and writer for NumPy `.npy` files (`numpy.load` / `numpy.save` compatible).
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// The data of every file written starts at a multiple of this many bytes.
    public static let alignment = 64

    /// Writes `tensor` as a float32 array of the same shape, atomically.
    public static func write(_ tensor: Tensor, to path: String) throws {
        var bytes = header(descr: "<f4", shape: tensor.shape)
        bytes.appendLittleEndian(tensor.scalars)
        try FileBytes.replace(path, with: bytes)
    }

    /// Writes `values` as an int32 array of `shape` (default: one axis), atomically.
    public static func write(_ values: [Int32], shape: [Int]? = nil, to path: String) throws {
        try writeIntegers(values, descr: "<i4", shape: shape, path: path)
    }

    /// Writes `values` as an int64 array of `shape` (default: one axis), atomically.
    public static func write(_ values: [Int64], shape: [Int]? = nil, to path: String) throws {
        try writeIntegers(values, descr: "<i8", shape: shape, path: path)
    }

    /// Writes `values` (e.g. labels) as an int64 array of `shape` (default: one axis), atomically.
    public static func write(_ values: [Int], shape: [Int]? = nil, to path: String) throws {
        try writeIntegers(values.map(Int64.init), descr: "<i8", shape: shape, path: path)
    }

    /// Reads the .npy file at `path`.
    ///
    /// - Throws: `DataError`: not an .npy file, a malformed header, a dtype other than
    ///   `<f4`/`<i4`/`<i8` or a Fortran-order array (`.unsupported`), or a data size that does
    ///   not match the shape (`.truncated` when short).
    public static func read(path: String) throws -> NPYArray {
        try decode(FileBytes.readAll(path), path: path)
    }

    /// Reads a float32 .npy file as a tensor.
    public static func readTensor(path: String) throws -> Tensor {
        guard case .float32(let t) = try read(path: path) else {
            throw DataError(
                .unsupported, path: path, problem: "holds integers, expected a float32 ('<f4') array")
        }
        return t
    }

    /// Reads an int32 or int64 .npy file (e.g. labels) as `Int`s.
    public static func readIntegers(path: String) throws -> (values: [Int], shape: [Int]) {
        switch try read(path: path) {
        case .int32(let v, let shape): return (v.map(Int.init), shape)
        case .int64(let v, let shape): return (v.map(Int.init), shape)
        case .float32:
            throw DataError(.unsupported, path: path, problem: "holds float32, expected an integer array")
        }
    }

    // MARK: Encoding

    private static func writeIntegers<T: FixedWidthInteger>(
        _ values: [T], descr: String, shape: [Int]?, path: String
    ) throws {
        let shape = shape ?? [values.count]
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw DataError(
                .mismatch, path: path, problem: "\(values.count) values do not fill shape \(shape)")
        }
        var bytes = header(descr: descr, shape: shape)
        bytes.reserveCapacity(bytes.count + values.count * MemoryLayout<T>.size)
        for v in values { bytes.appendLittleEndian(v) }
        try FileBytes.replace(path, with: bytes)
    }

    /// Magic, version, header length and the space-padded dict, ending in '\n' at a multiple
    /// of `alignment`, exactly as numpy.save lays it out.
    static func header(descr: String, shape: [Int]) -> [UInt8] {
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

    // MARK: Decoding

    /// Decodes .npy bytes (`path` names the source in errors); see `read(path:)`.
    public static func decode(_ bytes: [UInt8], path: String) throws -> NPYArray {
        func bad(_ problem: String, _ kind: DataError.Kind = .malformed) -> DataError {
            DataError(kind, path: path, problem: problem)
        }
        guard bytes.count >= 10 else {
            throw DataError.truncated(path, what: ".npy file", expected: 10, actual: bytes.count)
        }
        guard Array(bytes[0..<6]) == magic else { throw bad("not an .npy file (no \\x93NUMPY magic)") }
        let major = bytes[6]
        let lengthStart = 8
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(bytes.loadLittleEndian(UInt16.self, at: lengthStart))
        case 2, 3:
            guard bytes.count >= 12 else {
                throw DataError.truncated(path, what: ".npy file", expected: 12, actual: bytes.count)
            }
            headerLength = Int(bytes.loadLittleEndian(UInt32.self, at: lengthStart))
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
        if fortran && shape.filter({ $0 > 1 }).count > 1 {
            throw DataError(
                .unsupported, path: path, problem: "Fortran-order array; Brittle reads C order only",
                fix: "Save numpy.ascontiguousarray(a) instead")
        }
        let itemSize: Int
        switch descr {
        case "<f4": itemSize = 4
        case "<i4": itemSize = 4
        case "<i8": itemSize = 8
        default:
            throw DataError(
                .unsupported, path: path,
                problem: "dtype '\(descr)'; Brittle reads '<f4', '<i4' and '<i8' only",
                fix: "Save a.astype('<f4') (or '<i8' for labels)")
        }
        guard let count = elementCount(shape), let size = elementCount([count, itemSize]),
            size <= Int.max - dataStart
        else { throw bad("shape \(shape) is too large") }
        let expected = dataStart + size
        guard bytes.count >= expected else {
            throw DataError.truncated(
                path, what: ".npy file (shape \(shape))", expected: expected, actual: bytes.count)
        }
        guard bytes.count == expected else {
            throw bad("\(bytes.count - expected) bytes after the data of shape \(shape)")
        }
        switch descr {
        case "<f4":
            return .float32(
                Tensor(shape: shape, scalars: bytes.loadLittleEndianFloats(at: dataStart, count: count)))
        case "<i4":
            return .int32(
                values: (0..<count).map { bytes.loadLittleEndian(Int32.self, at: dataStart + 4 * $0) },
                shape: shape)
        default:
            return .int64(
                values: (0..<count).map { bytes.loadLittleEndian(Int64.self, at: dataStart + 8 * $0) },
                shape: shape)
        }
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

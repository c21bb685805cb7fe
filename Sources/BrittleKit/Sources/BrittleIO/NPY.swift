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
    /// The data of every file written starts at a multiple of this many bytes.
    public static let alignment = NPYHeader.alignment

    /// Writes `tensor` as a float32 array of the same shape, atomically.
    public static func write(_ tensor: Tensor, to path: String) throws {
        var bytes = NPYHeader.encode(descr: "<f4", shape: tensor.shape)
        bytes.appendLittleEndian(tensor.scalars)
        try AtomicFile.write(path, bytes: bytes)
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
        var bytes = NPYHeader.encode(descr: descr, shape: shape)
        bytes.reserveCapacity(bytes.count + values.count * MemoryLayout<T>.size)
        for v in values { bytes.appendLittleEndian(v) }
        try AtomicFile.write(path, bytes: bytes)
    }

    // MARK: Decoding

    /// Decodes .npy bytes (`path` names the source in errors); see `read(path:)`.
    public static func decode(_ bytes: [UInt8], path: String) throws -> NPYArray {
        func bad(_ problem: String, _ kind: DataError.Kind = .malformed) -> DataError {
            DataError(kind, path: path, problem: problem)
        }
        let header = try NPYHeader.parse(bytes, path: path)
        let (descr, shape, dataStart) = (header.descr, header.shape, header.dataOffset)
        if header.fortranOrder && shape.filter({ $0 > 1 }).count > 1 {
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

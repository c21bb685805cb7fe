// IDX: LeCun's file format for MNIST-style data (a 4-byte magic 0x0000TTRR giving the element
// type TT and rank RR, then RR big-endian UInt32 extents, then the elements, row-major). Only
// unsigned-byte (0x08) files: images of rank 3 and labels of rank 1. Not a decompressor: pass
// the bytes from DecompressingReader. Reference: http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS").

import BrittleNN

/// Parser and writer for unsigned-byte IDX files (MNIST, Fashion-MNIST, KMNIST, ...).
public enum IDX {
    /// Magic number of an image file: unsigned bytes, rank 3 (count, rows, cols).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of a label file: unsigned bytes, rank 1 (count).
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// The element-type byte for unsigned bytes, the only type Brittle reads.
    public static let unsignedByteType: UInt8 = 0x08

    // MARK: Parsing

    /// Images from the bytes of an IDX image file, as a (N, 1, rows, cols) tensor in [0, 1]
    /// (each byte divided by 255).
    ///
    /// - Parameter file: names the source in error messages.
    /// - Throws: `DataError` for a wrong magic, type or rank, or a byte count that does not
    ///   match the header (`.truncated` when the data stops early).
    public static func images(from bytes: [UInt8], file: String = "IDX image data") throws -> Tensor {
        let extents = try header(bytes, file: file, rank: 3, magic: imagesMagic, what: "image")
        let (N, H, W) = (extents[0], extents[1], extents[2])
        let start = 4 + 4 * 3
        let scale: [Float] = (0..<256).map { Float($0) / 255 }
        return Tensor(shape: [N, 1, H, W]) { out, n in
            bytes.withUnsafeBufferPointer { src in
                scale.withUnsafeBufferPointer { table in
                    for i in 0..<n { out[i] = table[Int(src[start + i])] }
                }
            }
        }
    }

    /// Labels from the bytes of an IDX label file.
    ///
    /// - Parameters:
    ///   - file: names the source in error messages.
    ///   - numClasses: when given, every label must be below it.
    /// - Throws: `DataError` for a wrong magic, type or rank, a byte count that does not match
    ///   the header, or (`.mismatch`) a label outside `0..<numClasses`.
    public static func labels(
        from bytes: [UInt8], file: String = "IDX label data", numClasses: Int? = nil
    ) throws -> [Int] {
        let extents = try header(bytes, file: file, rank: 1, magic: labelsMagic, what: "label")
        let start = 4 + 4
        let labels = bytes[start..<(start + extents[0])].map(Int.init)
        if let numClasses, let bad = labels.firstIndex(where: { $0 >= numClasses }) {
            throw DataError(
                .mismatch, path: file,
                problem:
                    "label \(bad) is \(labels[bad]), outside the \(numClasses) classes 0..<\(numClasses)",
                fix: "Check that the file belongs to this data set")
        }
        return labels
    }

    /// Images from an IDX image file, gzip-compressed or not. See `images(from:file:)`.
    public static func readImages(path: String) throws -> Tensor {
        try images(from: DecompressingReader.readAll(path: path), file: path)
    }

    /// Labels from an IDX label file, gzip-compressed or not. See `labels(from:file:numClasses:)`.
    public static func readLabels(path: String, numClasses: Int? = nil) throws -> [Int] {
        try labels(from: DecompressingReader.readAll(path: path), file: path, numClasses: numClasses)
    }

    /// (count, rows, cols) of the bytes of an IDX image file, after the checks of
    /// `images(from:file:)`, for callers that keep the raw pixels (they start at byte 16).
    public static func imageHeader(_ bytes: [UInt8], file: String) throws -> (count: Int, rows: Int, cols: Int) {
        let extents = try header(bytes, file: file, rank: 3, magic: imagesMagic, what: "image")
        return (extents[0], extents[1], extents[2])
    }

    /// Checks magic, type, rank and total size; returns the extents.
    private static func header(
        _ bytes: [UInt8], file: String, rank: Int, magic: UInt32, what: String
    ) throws -> [Int] {
        let headerSize = 4 + 4 * rank
        let expectedMagic = "0x" + String(magic, radix: 16).leftPadded(to: 8)
        guard bytes.count >= 4 else {
            throw DataError.truncated(
                file, what: "IDX \(what) file", expected: headerSize, actual: bytes.count)
        }
        let found = bytes.loadBigEndian(UInt32.self, at: 0)
        let foundText = "0x" + String(found, radix: 16).leftPadded(to: 8)
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(
                .malformed, path: file,
                problem: "not an IDX file: magic number \(foundText), expected \(expectedMagic) (\(what)s)",
                fix: "Pass an uncompressed or gzip-compressed IDX \(what) file")
        }
        guard bytes[2] == unsignedByteType else {
            throw DataError(
                .unsupported, path: file,
                problem: "IDX element type 0x\(String(bytes[2], radix: 16)) (magic \(foundText)); "
                    + "only unsigned bytes (0x08, magic \(expectedMagic)) are supported")
        }
        guard Int(bytes[3]) == rank else {
            throw DataError(
                .malformed, path: file,
                problem: "IDX file of rank \(bytes[3]) (magic \(foundText)); an IDX \(what) file has "
                    + "rank \(rank) (magic \(expectedMagic))",
                fix: what == "image"
                    ? "Pass the image file (idx3-ubyte), not a label file"
                    : "Pass the label file (idx1-ubyte), not an image file")
        }
        guard bytes.count >= headerSize else {
            throw DataError.truncated(
                file, what: "IDX \(what) file", expected: headerSize, actual: bytes.count)
        }
        let extents = (0..<rank).map { Int(bytes.loadBigEndian(UInt32.self, at: 4 + 4 * $0)) }
        var elements = 1
        for e in extents {
            let (p, overflow) = elements.multipliedReportingOverflow(by: e)
            guard !overflow else {
                throw DataError(.malformed, path: file, problem: "IDX extents \(extents) are too large")
            }
            elements = p
        }
        let (expected, overflow) = headerSize.addingReportingOverflow(elements)
        guard !overflow else {
            throw DataError(.malformed, path: file, problem: "IDX extents \(extents) are too large")
        }
        let shape = extents.map(String.init).joined(separator: "x")
        if bytes.count < expected {
            throw DataError.truncated(
                file, what: "IDX \(what) file (header says \(shape))", expected: expected, actual: bytes.count
            )
        }
        if bytes.count > expected {
            throw DataError(
                .malformed, path: file,
                problem: "IDX \(what) file has \(bytes.count) bytes, but its header (\(shape)) "
                    + "accounts for \(expected): \(bytes.count - expected) trailing bytes")
        }
        return extents
    }

    // MARK: Writing

    /// The bytes of an IDX image file holding `count` images of `rows` x `cols` unsigned bytes
    /// (`pixels` row-major, image after image).
    public static func encodeImages(_ pixels: [UInt8], count: Int, rows: Int, cols: Int) -> [UInt8] {
        precondition(
            pixels.count == count * rows * cols,
            "IDX.encodeImages: \(pixels.count) pixels "
                + "do not fill \(count) images of \(rows)x\(cols)")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + pixels.count)
        for word in [imagesMagic, UInt32(count), UInt32(rows), UInt32(cols)] {
            bytes.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) })
        }
        bytes.append(contentsOf: pixels)
        return bytes
    }

    /// The bytes of an IDX label file holding `labels`.
    public static func encodeLabels(_ labels: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        for word in [labelsMagic, UInt32(labels.count)] {
            bytes.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) })
        }
        bytes.append(contentsOf: labels)
        return bytes
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

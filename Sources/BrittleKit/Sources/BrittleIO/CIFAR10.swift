// CIFAR-10 in its "binary version" (cifar-10-binary.tar.gz): data_batch_1..5.bin (train) and
// test_batch.bin (test), each a run of 3073-byte records: 1 label byte (0-9), then 3072 pixel
// bytes, the 1024 red, 1024 green, 1024 blue values of a 32x32 image, row-major (CHW).
// Not the Python-pickle version. Reference: https://www.cs.toronto.edu/~kriz/cifar.html

import BrittleNN
import Foundation

/// Loader for CIFAR-10's binary batches.
public enum CIFAR10 {
    /// Image shape (C, H, W).
    public static let imageShape = [3, 32, 32]
    /// Bytes per record: one label byte, then 3 x 32 x 32 pixel bytes.
    public static let recordSize = 1 + 3 * 32 * 32
    /// The ten classes, by label.
    public static let classNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]
    /// Batch files of each split, in order.
    public static func fileNames(_ split: DataSplit) -> [String] {
        split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    }
    /// What to do when the files are missing.
    public static let sourceHint =
        "CIFAR-10 has no Debian package: download cifar-10-binary.tar.gz (cs.toronto.edu/~kriz/cifar.html), "
        + "unpack it and pass the cifar-10-batches-bin directory"

    /// The raw bytes of one split: pixels (N x 3072, CHW per image) and labels, read from
    /// `directory` (or its `cifar-10-batches-bin` subdirectory).
    ///
    /// - Throws: `DataError`: a missing file (with where to get it), a size that is not a whole
    ///   number of records (`.truncated`), or a label above 9 (`.mismatch`).
    public static func loadRaw(directory: String, split: DataSplit) throws -> (pixels: [UInt8], labels: [Int]) {
        let base = resolve(directory)
        var pixels: [UInt8] = []
        var labels: [Int] = []
        for name in fileNames(split) {
            let path = base + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                throw DataError(.missing, path: base, problem: "no \(name) in this directory", fix: sourceHint)
            }
            let batch = try decodeBatch(FileBytes.readAll(path), file: path)
            pixels += batch.pixels
            labels += batch.labels
        }
        return (pixels, labels)
    }

    /// Decodes one binary batch file's bytes (`file` names it in errors) into pixels
    /// (N x 3072, CHW per image) and labels.
    ///
    /// - Throws: `DataError`: a size that is not a whole number of records (`.truncated`), or a
    ///   label above 9 (`.mismatch`).
    public static func decodeBatch(_ bytes: [UInt8], file path: String) throws -> (pixels: [UInt8], labels: [Int]) {
        guard bytes.count % recordSize == 0 else {
            throw DataError(
                .truncated, path: path,
                problem: "\(bytes.count) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records "
                    + "(\(bytes.count % recordSize) bytes left over)",
                fix: "The file is incomplete or not a CIFAR-10 binary batch: copy it again")
        }
        let n = bytes.count / recordSize
        var pixels: [UInt8] = []
        var labels: [Int] = []
        pixels.reserveCapacity(n * (recordSize - 1))
        labels.reserveCapacity(n)
        for i in 0..<n {
            let start = i * recordSize
            let label = Int(bytes[start])
            guard label < classNames.count else {
                throw DataError(
                    .mismatch, path: path, problem: "record \(i) has label \(label), outside 0..<10",
                    fix: "This is not a CIFAR-10 binary batch (CIFAR-100 records have two label bytes)")
            }
            labels.append(label)
            pixels.append(contentsOf: bytes[(start + 1)..<(start + recordSize)])
        }
        return (pixels, labels)
    }

    /// One split as a dataset: images (N, 3, 32, 32) in [0, 1]. See `loadRaw`.
    public static func load(directory: String, split: DataSplit) throws -> LabeledDataset {
        let (pixels, labels) = try loadRaw(directory: directory, split: split)
        let images = Tensor(shape: [labels.count] + imageShape) { out, n in
            pixels.withUnsafeBufferPointer { src in for i in 0..<n { out[i] = Float(src[i]) / 255 } }
        }
        return LabeledDataset(images: images, labels: labels, classNames: classNames, name: "cifar10:\(split.rawValue)")
    }

    /// The bytes of a binary batch holding `labels` and their `pixels` (3072 per image, CHW).
    public static func encodeBatch(pixels: [UInt8], labels: [UInt8]) -> [UInt8] {
        precondition(pixels.count == labels.count * (recordSize - 1), "CIFAR10.encodeBatch: pixel count")
        var out: [UInt8] = []
        out.reserveCapacity(labels.count * recordSize)
        for (i, y) in labels.enumerated() {
            out.append(y)
            out.append(contentsOf: pixels[(i * 3072)..<((i + 1) * 3072)])
        }
        return out
    }

    private static func resolve(_ directory: String) -> String {
        let nested = directory + "/cifar-10-batches-bin"
        let direct = directory + "/" + fileNames(.test)[0]
        if !FileManager.default.fileExists(atPath: direct), FileManager.default.fileExists(atPath: nested) {
            return nested
        }
        return directory
    }
}

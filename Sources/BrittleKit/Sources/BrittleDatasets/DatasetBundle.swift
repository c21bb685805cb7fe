// Dataset bundles: a dataset's splits as .npy arrays inside a bundle (`train/images.npy`
// (N, C, H, W) `|u1` for 8-bit sources or `<f4` in [0, 1] for generated ones, and
// `train/labels.npy` (N,) `<i8`; same for `test/`), with the recipe and source hashes in the
// manifest's configuration; and `import`, which verifies a recipe's sources and packs them.
// Not the recipe catalogue (Recipe.swift) or the command-line resolution (DatasetLoader.swift).

import BrittleArchive
import BrittleIO
import BrittleNN
import Foundation

/// One split's arrays before packing: 8-bit pixels or float values, and labels.
public struct SplitArrays: Sendable {
    /// Pixel bytes (`|u1`), N x C x H x W, or nil when `values` holds the images.
    public var pixels: [UInt8]?
    /// Float images (`<f4`) in [0, 1], or nil when `pixels` holds them.
    public var values: [Float]?
    /// Class labels, one per image.
    public var labels: [Int]
    /// Shape of one image, (C, H, W).
    public var imageShape: [Int]

    /// 8-bit images.
    public init(pixels: [UInt8], labels: [Int], imageShape: [Int]) {
        self.pixels = pixels
        self.values = nil
        self.labels = labels
        self.imageShape = imageShape
    }

    /// Float images (from a dataset in memory).
    public init(_ dataset: LabeledDataset) {
        self.pixels = nil
        self.values = dataset.images.scalars
        self.labels = dataset.labels
        self.imageShape = dataset.imageShape
    }
}

/// Packing and loading dataset bundles.
public enum DatasetBundle {
    /// Entry name of a split's images.
    public static func imagesEntry(_ split: DataSplit) -> String { "\(split.rawValue)/images.npy" }
    /// Entry name of a split's labels.
    public static func labelsEntry(_ split: DataSplit) -> String { "\(split.rawValue)/labels.npy" }

    /// Writes a dataset bundle of `splits` to `path`.
    ///
    /// - Parameters:
    ///   - configuration: recorded in the manifest beside the recipe (e.g. source hashes).
    ///   - plugins: the plugins that made the data (e.g. a dataset construction), recorded in the manifest.
    @discardableResult
    public static func write(
        recipe: DatasetRecipe, splits: [DataSplit: SplitArrays], configuration: [String: JSONValue] = [:],
        seeds: [String: UInt64] = [:], plugins: [PluginRecord] = [], created: CreationInfo, brittleVersion: String,
        to path: String, compression: CompressionOptions = .init()
    ) throws -> BundleManifest {
        var sources: [BundleSource] = []
        var counts: [String: JSONValue] = [:]
        for (split, arrays) in splits.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let n = arrays.labels.count
            counts[split.rawValue] = .number(Double(n))
            let shape = [n] + arrays.imageShape
            if let pixels = arrays.pixels {
                sources.append(array(imagesEntry(split), descr: "|u1", shape: shape, elements: pixels))
            } else if let values = arrays.values {
                sources.append(array(imagesEntry(split), descr: "<f4", shape: shape, elements: values))
            }
            sources.append(array(labelsEntry(split), descr: "<i8", shape: [n], elements: arrays.labels.map { Int64($0).littleEndian }))
        }
        var config = configuration
        config["dataset"] = .string(recipe.name)
        config["recipe"] = try JSONValue.from(recipe)
        config["counts"] = .object(counts)
        let manifest = BundleManifest(
            kind: .dataset, brittleVersion: brittleVersion, plugins: plugins, configuration: .object(config), seeds: seeds,
            created: created)
        return try BundleWriter.write(sources, manifest: manifest, to: path, compression: compression)
    }

    /// A bundle entry holding an .npy array of `elements` (their in-memory bytes, which are
    /// little-endian on every platform Swift runs Brittle on), emitted in 1 MiB slices.
    static func array<T>(_ path: String, descr: String, shape: [Int], elements: [T]) -> BundleSource {
        let header = NPYHeader.encode(descr: descr, shape: shape)
        let size = Int64(header.count + elements.count * MemoryLayout<T>.stride)
        return .generated(path, size: size) { emit in
            try header.withUnsafeBytes { try emit($0) }
            try elements.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(raw.count, offset + (1 << 20))
                    try emit(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
        }
    }

    /// Most classes a dataset bundle may have.
    public static let maxClasses = 100_000

    /// Loads one split from the dataset bundle at `path`, verifying the whole bundle.
    ///
    /// - Throws: `DataError` when the bundle is not a dataset bundle, lacks the split, or fails
    ///   verification.
    public static func load(_ path: String, split: DataSplit, options: BundleReadOptions = .init()) throws
        -> LabeledDataset
    {
        let wanted = [imagesEntry(split), labelsEntry(split)]
        let (manifest, entries) = try BundleReader.readEntries(path, options: options) { wanted.contains($0.path) }
        guard manifest.kind == .dataset else {
            throw DataError(
                .mismatch, path: path, problem: "is a \(manifest.kind.rawValue) bundle, not a dataset bundle",
                fix: "Pass a bundle made by `brittle datasets import`")
        }
        guard let imageBytes = entries[wanted[0]], let labelBytes = entries[wanted[1]] else {
            throw DataError(
                .missing, path: path, problem: "the dataset bundle has no \(split.rawValue) split (\(wanted[0]))")
        }
        let recipe = try manifest.configuration["recipe"].map { try $0.decode(DatasetRecipe.self) }
        let name = manifest.configuration["dataset"]?.stringValue ?? recipe?.name ?? "bundle"

        let imageHeader = try NPYHeader.parse(imageBytes, path: path + ":" + wanted[0])
        let labelHeader = try NPYHeader.parse(labelBytes, path: path + ":" + wanted[1])
        let (imageStart, labelStart) = (imageHeader.dataOffset, labelHeader.dataOffset)
        let shape = imageHeader.shape
        guard shape.count == 4, labelHeader.shape == [shape[0]], labelHeader.descr == "<i8" else {
            throw DataError(
                .malformed, path: path,
                problem: "images \(shape) \(imageHeader.descr) and labels \(labelHeader.shape) \(labelHeader.descr) "
                    + "are not (N, C, H, W) and (N,) <i8")
        }
        let imagesName = path + ":" + wanted[0]
        guard shape.allSatisfy({ $0 >= 1 }) else {
            throw DataError(
                .malformed, path: imagesName,
                problem: "image array of shape \(shape): a dataset needs at least one image of at least 1x1x1",
                fix: "Rebuild the dataset bundle from non-empty data")
        }
        let count = try Checked.elementCount(shape, path: imagesName, field: "image shape")
        // The tensor is Float32 whatever the stored dtype: budget its bytes before allocating.
        try MemoryLimit.check(
            Int64(try Checked.byteCount(count, itemSize: 4, path: imagesName, field: "image bytes")),
            for: "the images as float32 (shape \(shape))", path: imagesName)
        let images: Tensor
        switch imageHeader.descr {
        case "|u1", "<u1":
            guard imageBytes.count - imageStart == count else { throw sizeError(path, wanted[0]) }
            images = Tensor(shape: shape) { out, n in
                imageBytes.withUnsafeBufferPointer { src in for i in 0..<n { out[i] = Float(src[imageStart + i]) / 255 } }
            }
        case "<f4":
            guard imageBytes.count - imageStart == 4 * count else { throw sizeError(path, wanted[0]) }
            images = Tensor(shape: shape) { out, n in
                imageBytes.withUnsafeBytes { src in
                    UnsafeMutableRawPointer(out).copyMemory(from: src.baseAddress! + imageStart, byteCount: 4 * n)
                }
            }
        default:
            throw DataError(
                .unsupported, path: path, problem: "images of dtype \(imageHeader.descr); dataset bundles hold |u1 or <f4")
        }
        if let bad = images.scalars.firstIndex(where: { !$0.isFinite }) {
            throw DataError(
                .malformed, path: imagesName,
                problem: "pixel \(bad) (image \(bad / images.itemSize)) is \(images.scalars[bad]); images must be finite",
                fix: "Rebuild the dataset bundle; constructed sets are written by `brittle datasets build`")
        }
        guard (labelBytes.count - labelStart) / 8 == shape[0], (labelBytes.count - labelStart) % 8 == 0 else {
            throw sizeError(path, wanted[1])
        }
        let labels = labelBytes.withUnsafeBytes { src in
            (0..<shape[0]).map { Int(Int64(littleEndian: src.loadUnaligned(fromByteOffset: labelStart + 8 * $0, as: Int64.self))) }
        }
        // Labels size the class list when no recipe names the classes: bound them first.
        if let bad = labels.first(where: { $0 < 0 || $0 >= maxClasses }) {
            throw DataError(
                .mismatch, path: path + ":" + wanted[1],
                problem: "label \(bad) is outside 0..<\(maxClasses) (labels are class indices)")
        }
        let classNames = recipe?.classNames ?? (0...(labels.max() ?? 0)).map(String.init)
        if let bad = labels.first(where: { $0 >= classNames.count }) {
            throw DataError(.mismatch, path: path, problem: "label \(bad) outside the \(classNames.count) classes")
        }
        if let bad = (classNames + [name]).first(where: \.containsControlCharacters) {
            throw DataError(
                .malformed, path: path,
                problem: "the name '\(bad.escapingControlCharacters)' holds control characters (shown escaped)",
                fix: "The bundle was not written by Brittle")
        }
        return LabeledDataset(images: images, labels: labels, classNames: classNames, name: "\(name):\(split.rawValue)")
    }

    private static func sizeError(_ path: String, _ entry: String) -> DataError {
        DataError(.malformed, path: path, problem: "'\(entry)' holds a different number of bytes than its .npy header says")
    }
}

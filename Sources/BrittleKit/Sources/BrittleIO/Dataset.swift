// LabeledDataset, an in-memory image classification set (NCHW images in [0, 1] and integer
// labels), and the Fashion-MNIST / MNIST loader that fills one from a directory of IDX files.
// Not a data pipeline: no shuffling, augmentation or streaming; index and batch it yourself.
// Reference: Xiao et al. 2017, "Fashion-MNIST" (arXiv:1708.07747); LeCun et al., MNIST.

import BrittleNN
import Foundation

/// Images and their class labels, held in memory.
public struct LabeledDataset: Sendable {
    /// The images, (N, C, H, W), values in [0, 1].
    public var images: Tensor
    /// The class of each image, in `0..<numClasses`; `labels.count == N`.
    public var labels: [Int]
    /// A human-readable name per class index.
    public var classNames: [String]
    /// Where the data came from, e.g. `"fashion-mnist:test"`.
    public var name: String

    /// A data set from (N, C, H, W) `images` and N `labels`.
    public init(images: Tensor, labels: [Int], classNames: [String], name: String) {
        precondition(images.rank == 4, "LabeledDataset: images must be (N, C, H, W), got \(images.shape)")
        precondition(
            images.batchSize == labels.count,
            "LabeledDataset: \(images.batchSize) images but \(labels.count) labels")
        self.images = images
        self.labels = labels
        self.classNames = classNames
        self.name = name
    }

    /// Number of examples (N).
    public var count: Int { labels.count }
    /// Number of classes (`classNames.count`).
    public var numClasses: Int { classNames.count }
    /// Shape of one image, (C, H, W).
    public var imageShape: [Int] { Array(images.shape.dropFirst()) }

    /// The examples at `indices`, in that order (repeats allowed).
    public func subset(_ indices: [Int]) -> LabeledDataset {
        let (x, y) = batch(indices)
        return LabeledDataset(images: x, labels: y, classNames: classNames, name: name)
    }

    /// The images (len(indices), C, H, W) and labels at `indices`, in that order.
    public func batch(_ indices: [Int]) -> (images: Tensor, labels: [Int]) {
        for i in indices {
            precondition(i >= 0 && i < count, "LabeledDataset.batch: index \(i) outside 0..<\(count)")
        }
        return (images.gather(indices), indices.map { labels[$0] })
    }

    /// How many examples each class has, indexed by class.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: numClasses)
        for y in labels where y >= 0 && y < numClasses { counts[y] += 1 }
        return counts
    }
}

/// Loader for Fashion-MNIST, and for MNIST (and any other set in the same four IDX files).
public enum FashionMNIST {
    /// Which half of the data set.
    public enum Split: String, Sendable, CaseIterable {
        /// The 60,000 training examples (`train-*`).
        case train
        /// The 10,000 test examples (`t10k-*`).
        case test

        /// File names (without `.gz`) of the images and the labels.
        public var fileNames: (images: String, labels: String) {
            switch self {
            case .train: return ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
            case .test: return ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
            }
        }
    }

    /// Where the Debian package `dataset-fashion-mnist` installs the data.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// The ten Fashion-MNIST classes, by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    /// The ten MNIST classes, by label.
    public static let digitClassNames = (0..<10).map(String.init)
    /// The command that installs the default directory.
    public static let installHint =
        "Install it with `apt-get install -y dataset-fashion-mnist`, "
        + "or pass a directory of IDX files"

    /// Loads one split from `directory`, which holds `train-images-idx3-ubyte`,
    /// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each
    /// gzip-compressed (`.gz`, preferred when both exist) or not.
    ///
    /// - Parameters:
    ///   - classNames: names of the classes; by default the Fashion-MNIST names, or the digits
    ///     when the directory's name contains "mnist" but not "fashion" (an MNIST directory).
    /// - Returns: images (N, 1, 28, 28) in [0, 1] and labels in `0..<classNames.count`.
    /// - Throws: `DataError`: `.missing` (with the install command) when the directory or a
    ///   file is absent, format errors from `IDX`, `.mismatch` when the counts differ.
    ///   - missingHint: the fix printed when the directory or a file is missing (default: how to
    ///     install Fashion-MNIST; another IDX data set passes where its own files come from).
    public static func load(
        directory: String = defaultDirectory, split: Split, classNames: [String]? = nil, missingHint: String? = nil
    ) throws -> LabeledDataset {
        let installHint = missingHint ?? Self.installHint
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw DataError(
                .missing, path: directory, problem: "no such data set directory", fix: installHint)
        }
        let base = (directory as NSString).lastPathComponent.lowercased()
        let names =
            classNames
            ?? (base.contains("mnist") && !base.contains("fashion") ? digitClassNames : self.classNames)

        let imagesPath = try locate(split.fileNames.images, in: directory, hint: installHint)
        let labelsPath = try locate(split.fileNames.labels, in: directory, hint: installHint)
        let images = try IDX.readImages(path: imagesPath)
        guard images.shape.allSatisfy({ $0 >= 1 }) else {
            throw DataError(
                .malformed, path: imagesPath,
                problem: "the IDX header declares \(images.shape.map(String.init).joined(separator: "x")) "
                    + "images: a data set needs at least one image of at least 1x1",
                fix: "Pass the directory of a non-empty data set")
        }
        let labels = try IDX.readLabels(path: labelsPath, numClasses: names.count)
        guard images.batchSize == labels.count else {
            throw DataError(
                .mismatch, path: directory,
                problem: "\(images.batchSize) images in \((imagesPath as NSString).lastPathComponent) "
                    + "but \(labels.count) labels in \((labelsPath as NSString).lastPathComponent)",
                fix: "The two files must come from the same split")
        }
        return LabeledDataset(
            images: images, labels: labels, classNames: names, name: "\(base):\(split.rawValue)")
    }

    /// `directory/name.gz` or `directory/name`, whichever exists (`.gz` first).
    private static func locate(_ name: String, in directory: String, hint installHint: String) throws -> String {
        let candidates = [name + ".gz", name].map { (directory as NSString).appendingPathComponent($0) }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            return found
        }
        throw DataError(
            .missing, path: directory, problem: "neither \(name).gz nor \(name) is in this directory",
            fix: installHint)
    }
}

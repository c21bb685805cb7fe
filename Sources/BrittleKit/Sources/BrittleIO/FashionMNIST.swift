// The Fashion-MNIST / MNIST loader: fills a LabeledDataset (BrittleNN) from a directory of the
// four IDX files of a train/test pair. Not the dataset type itself, nor other formats (CIFAR10.swift,
// BrittleDatasets' bundles and recipes).
// Reference: Xiao et al. 2017, "Fashion-MNIST" (arXiv:1708.07747); LeCun et al., MNIST.

import BrittleNN
import Foundation

/// Loader for Fashion-MNIST, and for MNIST (and any other set in the same four IDX files).
public enum FashionMNIST {
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
        directory: String = defaultDirectory, split: DataSplit, classNames: [String]? = nil, missingHint: String? = nil
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

        let imagesPath = try locate(split.idxFileNames.images, in: directory, hint: installHint)
        let labelsPath = try locate(split.idxFileNames.labels, in: directory, hint: installHint)
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

extension DataSplit {
    /// File names (without `.gz`) of this split's images and labels in an IDX directory:
    /// `train-*` (60,000 Fashion-MNIST examples) or `t10k-*` (10,000).
    public var idxFileNames: (images: String, labels: String) {
        switch self {
        case .train: return ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
        case .test: return ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
        }
    }
}

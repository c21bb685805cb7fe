// LabeledDataset, an in-memory image classification set (NCHW images in [0, 1] and integer
// labels), and DataSplit, which half of a data set it is. Every module that handles data shares
// them: the file formats (BrittleIO), bundles (BrittleDatasets) and the plugin API (BrittlePlugins).
// Not a data pipeline: no shuffling, augmentation or streaming; index and batch it yourself.

/// Which half of a data set: the examples to train on or those held out to test on.
public enum DataSplit: String, Sendable, CaseIterable {
    /// The training examples.
    case train
    /// The held-out test examples.
    case test
}

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


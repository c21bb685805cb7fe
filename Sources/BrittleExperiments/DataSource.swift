// Where a run's data comes from: the training split of one dataset, the test split of that
// dataset or of another one, each cut to a limit; and the rules that keep them usable together
// (a train-only bundle needs a test set named; a test set must be shaped like the training set).
// Shared by the CLI's --dataset / --test-dataset options and `brittle reproduce`.
// Not the loaders (BrittleDatasets) nor the option parsing (the CLI).
import BrittleArchive
import BrittleDatasets
import BrittleIO
import BrittleNN
import Foundation

/// The training and test sets of a run, by name or bundle path.
public struct DataSource: Sendable, Equatable {
    /// A name from Datasets/ (fashion-mnist, mnist, ...) or a dataset bundle path.
    public var dataset: String
    /// Directory of the raw source files, when not the default or an imported bundle.
    public var dataDirectory: String?
    /// Use only the first N training images.
    public var trainLimit: Int?
    /// Use only the first N test images.
    public var testLimit: Int?
    /// The test set when it is not `dataset`'s own (a constructed training set has none).
    public var testDataset: String?

    /// The data of `dataset` (and `testDataset`), cut to the limits.
    public init(dataset: String, dataDirectory: String? = nil, trainLimit: Int? = nil, testLimit: Int? = nil,
                testDataset: String? = nil) {
        self.dataset = dataset
        self.dataDirectory = dataDirectory
        self.trainLimit = trainLimit
        self.testLimit = testLimit
        self.testDataset = testDataset
    }

    /// The training split of `dataset`, cut to `trainLimit`.
    public func train() throws -> LabeledDataset {
        DataSource.first(trainLimit, of: try loadDatasetSplit(dataset, split: .train, dataDir: dataDirectory))
    }

    /// The test split of `testDataset` (default `dataset`), cut to `testLimit`. A bundle without a
    /// test split (a constructed training set) and no `testDataset` is a SetupError
    /// naming the dataset it was built from.
    public func test() throws -> LabeledDataset {
        let name = testDataset ?? dataset
        if testDataset == nil { try DataSource.requireTestSplit(name) }
        return DataSource.first(testLimit, of: try loadDatasetSplit(name, split: .test, dataDir: dataDirectory))
    }

    /// The training and test sets, refused (SetupError) when their images or classes differ.
    public func trainAndTest() throws -> (train: LabeledDataset, test: LabeledDataset) {
        let train = try self.train(), test = try self.test()
        guard test.imageShape == train.imageShape, test.numClasses == train.numClasses else {
            throw SetupError(
                problem: "the test set \(test.name) (\(test.imageShape), \(test.numClasses) classes) does not match "
                    + "the training set \(train.name) (\(train.imageShape), \(train.numClasses) classes)",
                fix: "Pass a --test-dataset with the training set's image shape and classes")
        }
        return (train, test)
    }

    /// The first `limit` examples of `data` (all of them when nil or larger).
    public static func first(_ limit: Int?, of data: LabeledDataset) -> LabeledDataset {
        guard let limit, limit < data.count else { return data }
        return data.subset(Array(0..<limit))
    }

    /// Throws when `dataset` is a dataset bundle without a test split: a training set built by
    /// `brittle datasets build` is tested on the set it was built from, which must be named.
    static func requireTestSplit(_ dataset: String) throws {
        guard DatasetLoader.isBundlePath(dataset), let manifest = try? BundleReader.manifest(of: dataset),
              manifest.kind == .dataset, manifest.entry(DatasetBundle.imagesEntry(.test)) == nil
        else { return }
        let source = manifest.configuration["construction"]?["source"]?["dataset"]?.stringValue
        throw SetupError(
            problem: "\(dataset): the dataset bundle has no test split (a training set only"
                + (source.map { ", built from \($0)" } ?? "") + ")",
            fix: "Pass --test-dataset \(source ?? "NAME") to test on the original test set")
    }
}

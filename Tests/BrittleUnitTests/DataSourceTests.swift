// DataSource, the data loading that `brittle train|evaluate|attack` and `brittle reproduce`
// share: limits, the train-only bundle's missing test split (a SetupError naming
// --test-dataset and the set it was built from), the train/test shape rule; and the messages of
// the experiments layer's error types.
import BrittleArchive
import BrittleDatasets
import BrittleExperiments
import BrittleIO
import BrittleNN
import XCTest

final class DataSourceTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "brittle-datasource-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// A float dataset bundle of `n` images of `shape` per split, recorded as built from `source`.
    func bundle(_ name: String, splits: [DataSplit], shape: [Int] = [1, 4, 4], n: Int = 6,
                source: String? = "synthetic-features") throws -> String {
        var recipe = try DatasetCatalog.recipe(named: "synthetic-features")
        recipe.imageShape = shape
        var rng = SeededGenerator(seed: 1)
        let set = LabeledDataset(images: Initializer.uniform([n] + shape, bound: 0.5, rng: &rng) + Tensor(shape: [n] + shape, repeating: 0.5),
                                 labels: (0..<n).map { $0 % 2 }, classNames: recipe.classNames, name: name)
        var configuration: [String: JSONValue] = [:]
        if let source { configuration["construction"] = .object(["source": .object(["dataset": .string(source)])]) }
        let path = root + "/\(name).tar.zst"
        try DatasetBundle.write(recipe: recipe, splits: Dictionary(uniqueKeysWithValues: splits.map { ($0, SplitArrays(set)) }),
                                configuration: configuration, created: CreationInfo(tool: "test", command: "test"),
                                brittleVersion: "test", to: path)
        return path
    }

    func testATrainOnlyBundleWithoutATestDatasetNamesTheFix() throws {
        let path = try bundle("train-only", splits: [.train])
        XCTAssertEqual(try DataSource(dataset: path, trainLimit: 4).train().count, 4)
        XCTAssertThrowsError(try DataSource(dataset: path).test()) { error in
            guard let e = error as? SetupError else { return XCTFail("expected a SetupError, got \(error)") }
            XCTAssert(e.description.contains("has no test split (a training set only, built from synthetic-features)"), e.description)
            XCTAssert(e.description.contains("Pass --test-dataset synthetic-features"), e.description)
        }
        // With a test set named, that set's test split is used (cut to the limit).
        let full = try bundle("full", splits: [.train, .test])
        XCTAssertEqual(try DataSource(dataset: path, testLimit: 5, testDataset: full).test().count, 5)
        XCTAssertEqual(try DataSource(dataset: full, testLimit: 100).test().count, 6, "a limit above the count keeps all")
    }

    func testATestSetUnlikeTheTrainingSetIsRefusedNamingBoth() throws {
        let train = try bundle("small", splits: [.train, .test])
        let other = try bundle("large", splits: [.train, .test], shape: [1, 5, 5])
        XCTAssertEqual(try DataSource(dataset: train).trainAndTest().test.count, 6)
        XCTAssertThrowsError(try DataSource(dataset: train, testDataset: other).trainAndTest()) { error in
            guard let e = error as? SetupError else { return XCTFail("expected a SetupError, got \(error)") }
            XCTAssert(e.description.contains("does not match the training set"), e.description)
            XCTAssert(e.description.contains("[1, 5, 5]") && e.description.contains("[1, 4, 4]"), e.description)
        }
    }

    func testErrorMessagesReadProblemThenFix() {
        XCTAssertEqual(SetupError(problem: "no test set", fix: "Pass one").description, "no test set. Pass one")
        XCTAssertEqual(ModelMismatchError(problem: "10 classes, the set has 3", fix: "Retrain").description,
                       "10 classes, the set has 3. Retrain")
        XCTAssertEqual(ModelMismatchError(problem: "p", fix: "f").localizedDescription, "p. f")
    }
}

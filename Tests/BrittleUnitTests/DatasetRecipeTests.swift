// Tests of BrittleDatasets: the Datasets/ recipes, the Fashion-MNIST source hashes against the
// installed Debian files, the CIFAR-10 binary loader on small files written here, the
// synthetic-features distribution (robust vs non-robust split), and dataset bundle round trips.
import BrittleArchive
import BrittleDatasets
import BrittleIO
import BrittleNN
import BrittleTestSupport
import Foundation
import XCTest

final class DatasetRecipeTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    private var root: String { scratch.path }

    override func setUpWithError() throws {
        scratch = try TemporaryDirectory("datasets")
    }

    override func tearDownWithError() throws { scratch = nil }

    func testRecipesAreCompleteAndConsistent() throws {
        let recipes = try DatasetCatalog.recipes()
        XCTAssertEqual(Set(recipes.map(\.name)), ["cifar10", "fashion-mnist", "mnist", "synthetic-features"])
        for r in recipes {
            XCTAssertEqual(r.classNames.count, r.classes, r.name)
            XCTAssertFalse(r.license.isEmpty || r.citation.isEmpty, r.name)
            XCTAssertNotNil(r.splits["train"], r.name)
        }
        let f = try DatasetCatalog.recipe(named: "fashion-mnist")
        XCTAssertEqual(f.classNames, FashionMNIST.classNames)
        XCTAssertEqual(f.source.files.count, 4)
        XCTAssertTrue(f.source.files.allSatisfy { $0.sha256?.count == 64 })
        XCTAssertEqual(try DatasetCatalog.recipe(named: "cifar10").classNames, CIFAR10.classNames)
        XCTAssertThrowsError(try DatasetCatalog.recipe(named: "imagenet")) { e in
            XCTAssertTrue("\(e)".contains("Known datasets"), "\(e)")
        }
    }

    func testFashionMNISTSourceHashesMatchTheDebianPackage() throws {
        let recipe = try DatasetCatalog.recipe(named: "fashion-mnist")
        guard let dir = recipe.source.directory, FileManager.default.fileExists(atPath: dir) else {
            throw missingPrerequisite("dataset-fashion-mnist not installed")
        }
        let used = try DatasetImport.verifySources(recipe, in: dir)
        XCTAssertEqual(used.map(\.sha256), recipe.source.files.map { $0.sha256! })
        // A copy with one changed byte is refused, naming the file.
        let copy = root + "/fm"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for f in recipe.source.files { try FileManager.default.copyItem(atPath: dir + "/" + f.name, toPath: copy + "/" + f.name) }
        let victim = copy + "/t10k-labels-idx1-ubyte.gz"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: victim)))
        bytes[100] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: victim))
        XCTAssertThrowsError(try DatasetImport.verifySources(recipe, in: copy)) { e in
            XCTAssertTrue("\(e)".contains("t10k-labels-idx1-ubyte.gz") && "\(e)".contains("differs"), "\(e)")
        }
    }

    /// Writes a tiny CIFAR-10 directory: `perBatch` records per batch file, label = index % 10,
    /// pixel bytes = (index + channel) % 256.
    private func writeCIFAR(_ dir: String, perBatch: Int = 3) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var index = 0
        for name in CIFAR10.fileNames(.train) + CIFAR10.fileNames(.test) {
            var pixels: [UInt8] = []
            var labels: [UInt8] = []
            for _ in 0..<perBatch {
                labels.append(UInt8(index % 10))
                for c in 0..<3 { pixels += [UInt8](repeating: UInt8((index + c) % 256), count: 1024) }
                index += 1
            }
            try Data(CIFAR10.encodeBatch(pixels: pixels, labels: labels)).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
    }

    func testCIFAR10BinaryLoader() throws {
        let dir = root + "/cifar/cifar-10-batches-bin"
        try writeCIFAR(dir)
        let train = try CIFAR10.load(directory: root + "/cifar", split: .train)  // finds the nested folder
        XCTAssertEqual(train.images.shape, [15, 3, 32, 32])
        XCTAssertEqual(train.labels, (0..<15).map { $0 % 10 })
        XCTAssertEqual(train.images.scalars[2 * 3072 + 1024], Float(3) / 255, accuracy: 1e-7)  // image 2, green
        let test = try CIFAR10.load(directory: dir, split: .test)
        XCTAssertEqual(test.count, 3)
        XCTAssertEqual(test.labels, [5, 6, 7])

        // Truncated batch, bad label, missing file: each named.
        let bad = root + "/bad"
        try writeCIFAR(bad)
        let batch = bad + "/test_batch.bin"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: batch)))
        try Data(bytes.dropLast(10)).write(to: URL(fileURLWithPath: batch))
        XCTAssertThrowsError(try CIFAR10.load(directory: bad, split: .test)) { XCTAssertTrue("\($0)".contains("whole number"), "\($0)") }
        bytes[0] = 12
        try Data(bytes).write(to: URL(fileURLWithPath: batch))
        XCTAssertThrowsError(try CIFAR10.load(directory: bad, split: .test)) { XCTAssertTrue("\($0)".contains("label 12"), "\($0)") }
        try FileManager.default.removeItem(atPath: bad + "/data_batch_3.bin")
        XCTAssertThrowsError(try CIFAR10.load(directory: bad, split: .train)) { XCTAssertTrue("\($0)".contains("data_batch_3.bin"), "\($0)") }
    }

    func testCIFAR10ImportAndLoadFromBundle() throws {
        let dir = root + "/cifar"
        try writeCIFAR(dir, perBatch: 2)
        let recipe = try DatasetCatalog.recipe(named: "cifar10")
        let bundle = root + "/data/cifar10.tar.zst"
        let m = try DatasetImport.run(recipe, from: dir, to: bundle, brittleVersion: "test", command: "test")
        XCTAssertEqual(m.kind, .dataset)
        XCTAssertEqual(m.entry("train/images.npy")?.tensors, [TensorRecord(dtype: "|u1", shape: [10, 3, 32, 32])])
        XCTAssertEqual(m.configuration["source_files"]?.arrayValue?.count, 6)
        let fromBundle = try DatasetBundle.load(bundle, split: .train)
        let fromFiles = try CIFAR10.load(directory: dir, split: .train)
        XCTAssertEqual(fromBundle.images, fromFiles.images)
        XCTAssertEqual(fromBundle.labels, fromFiles.labels)
        XCTAssertEqual(fromBundle.classNames, CIFAR10.classNames)
        // The loader behind --dataset: by name (imported bundle in the data directory) and by path.
        let byName = try DatasetLoader.load("cifar10", split: .test, dataDirectory: root + "/data")
        XCTAssertEqual(byName.labels, try CIFAR10.load(directory: dir, split: .test).labels)
        XCTAssertEqual(try DatasetLoader.load(bundle, split: .test).count, 2)
        XCTAssertThrowsError(try DatasetLoader.load("cifar10", split: .test, dataDirectory: root + "/nowhere")) {
            XCTAssertTrue("\($0)".contains("datasets import cifar10"), "\($0)")
        }
    }

    func testSyntheticFeaturesShowTheRobustNonRobustSplit() throws {
        let g = SyntheticFeatures(recipe: try DatasetCatalog.recipe(named: "synthetic-features"))
        let d = g.generate(.test)
        XCTAssertEqual(d.images.shape, [2000, 1, 8, 8])
        XCTAssertEqual(d.images, g.generate(.test).images, "seeded")
        XCTAssertNotEqual(d.images, g.generate(.train).subset(Array(0..<2000)).images)
        let x = d.images.scalars, pixels = 64
        let eps = Float(2 * g.eta * g.scale) * 1.01  // flips every non-robust feature, not the robust one
        func accuracy(_ perturbed: Bool) -> (robust: Double, nonRobust: Double) {
            var robust = 0, nonRobust = 0
            for i in 0..<d.count {
                let y: Float = d.labels[i] == 1 ? 1 : -1
                let shift = perturbed ? -y * eps : 0
                if (x[i * pixels] + shift - 0.5) * y > 0 { robust += 1 }
                var mean: Float = 0
                for j in 1...g.d { mean += x[i * pixels + j] + shift - 0.5 }
                if mean * y > 0 { nonRobust += 1 }
            }
            return (Double(robust) / Double(d.count), Double(nonRobust) / Double(d.count))
        }
        let clean = accuracy(false), attacked = accuracy(true)
        XCTAssertEqual(clean.robust, g.p, accuracy: 0.03)
        XCTAssertGreaterThan(clean.nonRobust, 0.95)  // Phi(eta sqrt(d)) = Phi(2) = 0.977
        XCTAssertEqual(attacked.robust, clean.robust, accuracy: 1e-9)
        XCTAssertLessThan(attacked.nonRobust, 0.05)
        // Work per example, not per split: a generator asked for 100 test images produces
        // exactly the first 100 of the 2000 (each example is drawn in order from the split's own
        // stream), whatever the size of the training split.
        var small = g
        small.counts = [.train: 7, .test: 100]
        XCTAssertEqual(small.generate(.test).images, d.subset(Array(0..<100)).images)
        XCTAssertEqual(small.generate(.test).labels, Array(d.labels.prefix(100)))
    }

    func testSyntheticBundleRoundTripIsExactAndReproducible() throws {
        let recipe = try DatasetCatalog.recipe(named: "synthetic-features")
        let a = root + "/a.tar.zst", b = root + "/b.tar.zst"
        let m = try DatasetImport.run(recipe, to: a, brittleVersion: "test", command: "test")
        try DatasetImport.run(recipe, to: b, brittleVersion: "test", command: "test")
        XCTAssertEqual(try SHA256.hash(file: a).sha256, try SHA256.hash(file: b).sha256)
        XCTAssertEqual(m.seeds["data"], 0)
        XCTAssertEqual(m.configuration["parameters"]?["d"], .number(63))
        let loaded = try DatasetBundle.load(a, split: .train)
        let generated = SyntheticFeatures(recipe: recipe).generate(.train)
        XCTAssertEqual(loaded.images, generated.images)
        XCTAssertEqual(loaded.labels, generated.labels)
        XCTAssertEqual(loaded.classNames, SyntheticFeatures.classNames)
    }

    func testFashionMNISTImportMatchesTheRawFiles() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missingPrerequisite("dataset-fashion-mnist not installed")
        }
        let bundle = root + "/fashion-mnist.tar.zst"
        let m = try DatasetImport.run(try DatasetCatalog.recipe(named: "fashion-mnist"), to: bundle, brittleVersion: "test", command: "test")
        XCTAssertEqual(m.entry("train/images.npy")?.tensors?.first?.shape, [60000, 1, 28, 28])
        let fromBundle = try DatasetBundle.load(bundle, split: .test)
        let raw = try FashionMNIST.load(split: .test)
        XCTAssertEqual(fromBundle.images, raw.images)
        XCTAssertEqual(fromBundle.labels, raw.labels)
        XCTAssertEqual(fromBundle.name, "fashion-mnist:test")
    }
}

// `brittle datasets build` end to end through the real binary: a model trained on Fashion-MNIST,
// the adversarial-relabel and invert-representation constructions as bundles that verify, train
// and test on the original test set. Skipped locally (failed in CI) without Fashion-MNIST.
// The constructions themselves on tiny models: ConstructionTests.
import BrittleArchive
import BrittleDatasets
import BrittleIO
import BrittleTestSupport
import Foundation
import XCTest

final class DatasetsBuildCLITests: XCTestCase {
    func testDatasetsBuildWritesAVerifiableBundleThatTrainsAndTestsOnTheOriginalTestSet() throws {
        try requireFashionMNIST()
        let box = try CLISandbox()
        let dir = box.root
        func sh(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
            let r = try box.run(args)
            return (r.status, r.stdout, r.stderr)
        }

        var r = try sh(["train", "--arch", "mlp", "--arch-opt", "hidden=32", "--epochs", "1", "--limit", "500",
                                 "--test-limit", "100", "--out", dir + "/std"])
        XCTAssertEqual(r.status, 0, r.err)

        // Validation comes first: a bad parameter fails fast and writes nothing.
        r = try sh(["datasets", "build", "--transform", "adversarial-relabel:target-rule=sideways", "--model", dir + "/std",
                             "--out", dir + "/bad.tar.zst"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("target-rule") && r.err.contains("random, random-any, next"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad.tar.zst"))
        r = try sh(["datasets", "build", "--transform", "invert-representation", "--limit", "4", "--out", dir + "/bad.tar.zst"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("pass --model"), r.err)

        let det = dir + "/det.tar.zst"
        r = try sh(["datasets", "build", "--transform", "adversarial-relabel:target-rule=next,steps=10,step-size=0.5",
                             "--model", dir + "/std", "--limit", "40", "--seed", "3", "--out", det])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("targeted-success"), r.out)
        r = try sh(["bundle", "verify", det])
        XCTAssertEqual(r.status, 0, r.err + r.out)

        let manifest = try BundleReader.manifest(of: det)
        XCTAssertEqual(manifest.kind, .dataset)
        let c = try XCTUnwrap(manifest.configuration["construction"])
        XCTAssertEqual(c["transform"]?["id"]?.stringValue, "adversarial-relabel")
        XCTAssertEqual(c["transform"]?["parameters"]?["target-rule"]?.stringValue, "next")
        XCTAssertEqual(c["transform"]?["parameters"]?["epsilon"]?.numberValue, 2)
        XCTAssertEqual(c["source"]?["dataset"]?.stringValue, "fashion-mnist")
        XCTAssertEqual(c["source"]?["count"]?.numberValue, 40)
        XCTAssertEqual(c["model"]?["architecture"]?.stringValue, "mlp")
        XCTAssertEqual(c["model"]?["sha256"]?.stringValue?.count, 64)
        XCTAssertEqual(c["seed"]?.numberValue, 3)
        XCTAssertEqual(manifest.seeds["transform"], 3)
        let success = try XCTUnwrap(c["reported"]?["targeted-success"]?.numberValue)
        XCTAssert((0...1).contains(success))
        XCTAssertEqual(Set(manifest.plugins.map(\.id)), ["adversarial-relabel", "mlp", "pgd-l2"])

        // The images are float32 in [0, 1], labels (y + 1) mod 10 of the first 40 training images.
        let built = try DatasetBundle.load(det, split: .train)
        let source = try FashionMNIST.load(directory: "/usr/share/datasets/fashion-mnist", split: .train).subset(Array(0..<40))
        XCTAssertEqual(built.labels, source.labels.map { ($0 + 1) % 10 })
        XCTAssertEqual(built.classNames, source.classNames)
        XCTAssert(built.images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertNotEqual(built.images, source.images)

        // Training on it: without a test set the error says how to get one; with one, the
        // original test set is used.
        r = try sh(["train", "--dataset", det, "--arch", "mlp", "--arch-opt", "hidden=16", "--epochs", "1", "--out", dir + "/d"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("--test-dataset fashion-mnist"), r.err)
        r = try sh(["train", "--dataset", det, "--test-dataset", "fashion-mnist", "--test-limit", "150", "--arch", "mlp",
                             "--arch-opt", "hidden=16", "--epochs", "1", "--out", dir + "/d"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("(150 images)"), r.out)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/d/metrics.json"))) as? [String: Any]
        XCTAssertEqual(metrics?["trainImages"] as? Int, 40)
        XCTAssertEqual(metrics?["testImages"] as? Int, 150)
        XCTAssertEqual(metrics?["testDataset"] as? String, "fashion-mnist:test", "metrics.json names the test set")
        // A test set of another shape is refused, naming both.
        r = try sh(["train", "--dataset", det, "--test-dataset", "synthetic-features", "--arch", "mlp",
                             "--arch-opt", "hidden=16", "--epochs", "1", "--out", dir + "/mismatch"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.err.contains("does not match the training set"), r.err)
        // `datasets show` on a train-only bundle describes it and says it has no test split.
        r = try sh(["datasets", "show", det, "--grid", dir + "/det-grid.png"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssert(r.out.contains("test: none in this bundle"), r.out)

        // D_R-style inversion through the CLI as well (few iterations).
        let dr = dir + "/dr.tar.zst"
        r = try sh(["datasets", "build", "--transform", "invert-representation:iterations=20", "--model", dir + "/std",
                             "--limit", "12", "--out", dr, "--name", "tiny-dnr"])
        XCTAssertEqual(r.status, 0, r.err)
        let m2 = try BundleReader.manifest(of: dr)
        XCTAssertEqual(m2.configuration["dataset"]?.stringValue, "tiny-dnr")
        XCTAssertNotNil(m2.configuration["construction"]?["reported"]?["relative-distance"]?.numberValue)
        XCTAssertEqual(try DatasetBundle.load(dr, split: .train).labels, source.labels.prefix(12).map { $0 })
    }
}

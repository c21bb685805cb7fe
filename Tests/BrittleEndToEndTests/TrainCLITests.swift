// `brittle train` end to end through the real binary: a Fashion-MNIST run directory whose
// accuracy `evaluate` reproduces (directly, by file and as a bundle), bit-identical models for a
// seed, and a user's own MNIST-style directory. Bad input to train: TrainInputCLITests.
import BrittleExperiments
import BrittleIO
import BrittleTestSupport
import Foundation
import XCTest

final class TrainCLITests: CLITestCase {
    func testTrainMLPWritesRunDirectoryAndEvaluateReportsTheSameAccuracy() throws {
        try fashionMNISTOrSkip()
        let out = path("mlp")
        let train = try brittle([
            "train", "--arch", "mlp", "--arch-opt", "hidden=64", "--limit", "2000", "--test-limit", "500",
            "--epochs", "1", "--batch-size", "32", "--threads", "2", "--out", out,
        ])
        assertSuccess(train)
        let trained = try XCTUnwrap(percentage(after: "test accuracy:", in: train.stdout))
        XCTAssertGreaterThan(Double(trained)!, 50, "barely above chance (10%):\n\(train.transcript)")
        XCTAssertFalse(train.stdout.contains("epoch 1"), "progress belongs on stderr, not stdout:\n\(train.transcript)")
        XCTAssertTrue(exists(out + "/model.safetensors"), train.transcript)

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
        let metrics = try XCTUnwrap(json as? [String: Any])
        XCTAssertEqual(metrics["architecture"] as? String, "mlp")
        XCTAssertEqual(metrics["architectureOptions"] as? [String: String], ["hidden": "64"])
        XCTAssertEqual(metrics["trainImages"] as? Int, 2000)
        XCTAssertEqual(metrics["testImages"] as? Int, 500)
        let configuration = try XCTUnwrap(metrics["configuration"] as? [String: Any])
        XCTAssertEqual(configuration["epochs"] as? Int, 1)
        XCTAssertEqual(configuration["batchSize"] as? Int, 32)
        let epochs = try XCTUnwrap(metrics["epochs"] as? [[String: Any]])
        XCTAssertEqual(epochs.count, 1)
        XCTAssertEqual(epochs.first?["epoch"] as? Int, 1)
        XCTAssertNotNil(epochs.first?["trainLoss"] as? Double)
        let testAccuracy = try XCTUnwrap(metrics["testAccuracy"] as? Double)
        XCTAssertEqual(String(format: "%.2f", 100 * testAccuracy), trained, "metrics.json and stdout disagree")
        XCTAssertEqual(try XCTUnwrap(epochs.first?["testAccuracy"] as? Double), testAccuracy, accuracy: 1e-6)

        // A different thread count on purpose: GEMM results do not depend on it.
        let evaluate = try brittle(["evaluate", "--model", out, "--test-limit", "500", "--threads", "1"])
        assertSuccess(evaluate)
        XCTAssertEqual(percentage(after: "clean test accuracy:", in: evaluate.stdout), trained, evaluate.transcript)
        // The .safetensors file itself is accepted too.
        let byFile = try brittle(["evaluate", "--model", out + "/model.safetensors", "--test-limit", "500"])
        assertSuccess(byFile)
        XCTAssertEqual(percentage(after: "clean test accuracy:", in: byFile.stdout), trained, byFile.transcript)

        // The run packed as an experiment bundle evaluates directly, to the same figure...
        let bundle = path("mlp.tar.zst")
        assertSuccess(try brittle(["bundle", "pack", out, "-o", bundle]))
        let byBundle = try brittle(["evaluate", "--model", bundle, "--test-limit", "500"])
        assertSuccess(byBundle)
        XCTAssertEqual(percentage(after: "clean test accuracy:", in: byBundle.stdout), trained, byBundle.transcript)
        // ...and a corrupted one is refused with the problem named, not loaded.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        bytes[bytes.count / 2] ^= 0xFF
        let corrupt = path("corrupt.tar.zst")
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        let refused = try brittle(["evaluate", "--model", corrupt, "--test-limit", "500"])
        assertCleanFailure(refused, mentions: ["corrupt.tar.zst"])
    }

    func testSameSeedGivesIdenticalModelBytesAndAnotherSeedDoesNot() throws {
        try fashionMNISTOrSkip()
        func model(seed: Int, _ name: String) throws -> Data {
            let out = path(name)
            let run = try brittle([
                "train", "--arch", "cnn-small", "--arch-opt", "channels1=4", "--arch-opt", "channels2=8",
                "--arch-opt", "hidden=16", "--limit", "512", "--test-limit", "100", "--epochs", "1",
                "--batch-size", "64", "--seed", String(seed), "--threads", "2", "--out", out,
            ])
            assertSuccess(run)
            return try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors"))
        }
        let a = try model(seed: 3, "a"), b = try model(seed: 3, "b"), c = try model(seed: 4, "c")
        XCTAssertGreaterThan(a.count, 1000)
        XCTAssertTrue(a == b, "same seed and thread count, different model.safetensors bytes")
        XCTAssertEqual(a.count, c.count, "same architecture, different file sizes")
        XCTAssertFalse(a == c, "seeds 3 and 4 gave the same model bytes: the seed is ignored")
    }

    func testTrainOnOwnMNISTStyleDirectoryReachesHighAccuracy() throws {
        let data = path("digits")
        try Fixtures.writeSyntheticDigits(in: data)
        let out = path("run")
        let train = try brittle([
            "train", "--dataset", "mnist", "--data-dir", data, "--arch", "mlp", "--arch-opt", "hidden=32",
            "--epochs", "5", "--batch-size", "20", "--threads", "2", "--out", out,
        ])
        assertSuccess(train)
        let acc = try XCTUnwrap(percentage(after: "test accuracy:", in: train.stdout))
        XCTAssertGreaterThan(Double(acc)!, 90, train.transcript)
        XCTAssertTrue(train.stdout.contains("(100 images)"), "not the 100 test images of the directory:\n\(train.transcript)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
        let metrics = try XCTUnwrap(json as? [String: Any])
        XCTAssertEqual(metrics["trainImages"] as? Int, 200)
        XCTAssertEqual(metrics["testImages"] as? Int, 100)
        XCTAssertEqual((metrics["epochs"] as? [Any])?.count, 5)
        XCTAssertTrue((metrics["dataset"] as? String ?? "").contains("mnist"), "\(metrics["dataset"] ?? "nil")")

        let evaluate = try brittle(["evaluate", "--model", out, "--dataset", "mnist", "--data-dir", data])
        assertSuccess(evaluate)
        XCTAssertEqual(percentage(after: "clean test accuracy:", in: evaluate.stdout), acc, evaluate.transcript)
    }

    func testStepScheduleDecaysInAOneEpochRun() throws {
        // Milestones are fractions of the run: a 1-epoch run starts at the base rate (was 0.01x).
        let out = path("step")
        let run = try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden=16", "--limit", "256", "--test-limit", "50",
                               "--epochs", "1", "--batch-size", "64", "--schedule", "step", "--lr", "0.1", "--out", out])
        assertSuccess(run)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("step/metrics.json")))) as? [String: Any]
        let last = ((metrics?["epochs"] as? [[String: Any]])?.last?["learningRate"] as? Double) ?? -1
        // 4 batches: fractions 0, 0.25, 0.5, 0.75 -> the last batch is past both milestones (0.1 * 0.01).
        XCTAssertEqual(last, 0.001, accuracy: 1e-7, "learning rate of the last batch")
    }
}

// Bad input to `brittle train` through the real binary: unknown architectures and options, an
// --out that is a file, zero epochs, missing or truncated data. Each a clean failure naming the
// problem, before any work, leaving no output directory. Successful runs: TrainCLITests.
import BrittleIO
import BrittleTestSupport
import Foundation
import XCTest

final class TrainInputCLITests: CLITestCase {
    func testUnknownArchitectureListsKnownIds() throws {
        let out = path("out")
        let run = try brittle(["train", "--arch", "transformer", "--epochs", "1", "--out", out])
        assertCleanFailure(run, mentions: ["transformer"] + TestPlugins.architectureIDs)
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    func testUnknownArchitectureOptionNamesKeyAndAllowedOnes() throws {
        let out = path("out")
        let run = try brittle([
            "train", "--arch", "cnn-small", "--arch-opt", "depth=3", "--epochs", "1", "--limit", "10",
            "--test-limit", "10", "--out", out,
        ])
        assertCleanFailure(run, mentions: ["depth", "channels1", "channels2", "hidden"])
        XCTAssertFalse(exists(out), "left an output directory behind")
        let malformed = try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden", "--epochs", "1", "--out", out])
        assertCleanFailure(malformed, mentions: ["--arch-opt", "key=value"])
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    func testOutputPathThatIsAFileIsRejectedBeforeAnyWork() throws {
        let file = path("a-file")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: file))
        let run = try brittle(["train", "--arch", "mlp", "--epochs", "1", "--out", file])
        assertCleanFailure(run, mentions: ["--out", file, "existing file"])
        XCTAssertFalse(run.stderr.contains("NSCocoaErrorDomain"), "raw Foundation error:\n\(run.transcript)")
        XCTAssertFalse(run.stderr.contains("training"), "started training before rejecting --out:\n\(run.transcript)")
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "keep me", "the file was touched")
    }

    func testMalformedArchOptionShowsTrainUsage() throws {
        let run = try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden", "--out", path("out")])
        assertCleanFailure(run, mentions: ["--arch-opt takes key=value"])
        XCTAssertTrue(run.stderr.contains("brittle train"), "usage is not the train command's:\n\(run.transcript)")
    }

    func testZeroEpochsIsRejected() throws {
        let out = path("out")
        let run = try brittle(["train", "--arch", "mlp", "--epochs", "0", "--out", out])
        assertCleanFailure(run, mentions: ["--epochs"])
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    func testMissingDataDirectoryNamesItAndThePackage() throws {
        let out = path("out")
        let run = try brittle(["train", "--arch", "mlp", "--data-dir", "/nonexistent/brittle-data", "--out", out])
        assertCleanFailure(run, mentions: ["/nonexistent/brittle-data", "dataset-fashion-mnist"])
        XCTAssertFalse(exists(out), "left an output directory behind")
    }

    func testMNISTWithoutDataDirectoryIsRejected() throws {
        let out = path("out")
        let run = try brittle(["train", "--dataset", "mnist", "--arch", "mlp", "--out", out])
        assertCleanFailure(run, mentions: ["--data-dir"])
        XCTAssertFalse(exists(out), "left an output directory behind")
        let evaluate = try brittle(["evaluate", "--dataset", "mnist", "--model", out])
        assertCleanFailure(evaluate, mentions: ["--data-dir"])
    }

    func testTruncatedIDXFileIsNamed() throws {
        let data = path("digits")
        let files = try Fixtures.writeSyntheticDigits(in: data, train: 50, test: 20)
        let images = data + "/train-images-idx3-ubyte"
        try Data(files["train-images-idx3-ubyte"]!.dropLast(100)).write(to: URL(fileURLWithPath: images))
        let out = path("out")
        let run = try brittle(["train", "--dataset", "mnist", "--data-dir", data, "--arch", "mlp", "--epochs", "1", "--out", out])
        assertCleanFailure(run, mentions: [images, "truncated"])
        XCTAssertFalse(exists(out), "left an output directory behind")

        // The same for a truncated gzip stream (test labels).
        try Data(files["train-images-idx3-ubyte"]!).write(to: URL(fileURLWithPath: images))
        let labels = data + "/t10k-labels-idx1-ubyte"
        try ProcessRunner.runTool("gzip", ["-f", labels], install: "apt-get install -y gzip")
        let gz = try Data(contentsOf: URL(fileURLWithPath: labels + ".gz"))
        try gz.prefix(gz.count / 2).write(to: URL(fileURLWithPath: labels + ".gz"))
        let trainRun = try brittle(["train", "--dataset", "mnist", "--data-dir", data, "--arch", "mlp", "--epochs", "1", "--out", out])
        assertCleanFailure(trainRun, mentions: [labels + ".gz"])
        XCTAssertFalse(exists(out), "left an output directory behind")
    }
}

// End-to-end tests of `brittle bundle ...` and `brittle datasets ...`: the real binary
// (.build/debug/brittle, built by `swift build`), its output and exit codes.
import BrittleArchive
import BrittleIO
import BrittleNN
import Foundation
import XCTest

final class BundleCLITests: XCTestCase {
    private var root = ""
    private var brittle = ""

    override func setUpWithError() throws {
        let bin = Bundle.main.bundleURL.path.contains(".build")
            ? Bundle.main.bundleURL.path : URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let candidates = [bin + "/brittle", URL(fileURLWithPath: bin).deletingLastPathComponent().path + "/brittle"]
            + [URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/.build/debug/brittle"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            // Fail, not skip: a missing binary must not silently drop the CLI tests.
            XCTFail("brittle binary not built (run `swift build` first); looked at \(candidates)")
            throw CocoaError(.fileNoSuchFile)
        }
        brittle = found
        root = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-bcli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// (exit status, stdout, stderr) of `brittle args`.
    private func run(_ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: brittle)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["BRITTLE_DATA_DIR"] = root + "/data"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testPackInspectVerifyUnpack() throws {
        let src = root + "/run"
        try FileManager.default.createDirectory(atPath: src + "/sub", withIntermediateDirectories: true)
        try Safetensors.write([(name: "w", tensor: Tensor(shape: [3, 2], repeating: 1))], to: src + "/model.safetensors")
        try Data("{\"configuration\": {\"seed\": 5}, \"testAccuracy\": 0.9}".utf8).write(to: URL(fileURLWithPath: src + "/metrics.json"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: src + "/sub/log.txt"))
        let bundle = root + "/run.tar.zst"

        var (status, out, err) = try run(["bundle", "pack", src, "-o", bundle, "--level", "5"])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.contains("packed 3 files"), out)

        (status, out, err) = try run(["bundle", "inspect", bundle])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.contains("kind experiment"), out)
        XCTAssertTrue(out.contains("seeds:      train=5"), out)
        XCTAssertTrue(out.contains("w F32 [3, 2]"), out)

        (status, out, err) = try run(["bundle", "verify", bundle])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.hasPrefix("OK:"), out)

        (status, out, err) = try run(["bundle", "unpack", bundle, "-o", root + "/out"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(try String(contentsOfFile: root + "/out/sub/log.txt", encoding: .utf8), "x")

        // Re-packing the unpacked bundle reproduces it byte for byte.
        (status, _, err) = try run(["bundle", "pack", root + "/out", "-o", root + "/again.tar.zst", "--level", "5"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(try SHA256.hash(file: root + "/again.tar.zst").sha256, try SHA256.hash(file: bundle).sha256)

        (status, _, err) = try run(["bundle", "pack", src, "-o", root + "/x.tar.zst", "--level", "30"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("1...22"), err)
    }

    func testVerifyNamesTheOffendingEntry() throws {
        let data = [UInt8](repeating: 9, count: 5000)
        var m = BundleManifest(kind: .model, brittleVersion: "0.1.0", created: CreationInfo(tool: "t", command: "t", time: nil))
        m.entries = [BundleEntry(path: "weights.bin", size: 5000, sha256: SHA256.hash([UInt8](repeating: 8, count: 5000)))]
        let bundle = root + "/bad.tar.zst"
        let fd = open(bundle, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let w = try TarZstWriter(fileDescriptor: fd, path: bundle)
        let manifestBytes = try m.encoded()
        try w.begin(path: "manifest.json", size: Int64(manifestBytes.count))
        try w.write(manifestBytes)
        try w.begin(path: "weights.bin", size: 5000)
        try w.write(data)
        try w.finish()
        close(fd)
        let (status, _, err) = try run(["bundle", "verify", bundle])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("'weights.bin'") && err.contains("SHA-256"), err)
        let (unpackStatus, _, _) = try run(["bundle", "unpack", bundle, "-o", root + "/never"])
        XCTAssertNotEqual(unpackStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/never"))
    }

    func testDatasetsListImportShow() throws {
        var (status, out, err) = try run(["datasets", "list"])
        XCTAssertEqual(status, 0, err)
        for name in ["fashion-mnist", "mnist", "cifar10", "synthetic-features"] { XCTAssertTrue(out.contains(name), out) }

        (status, out, err) = try run(["datasets", "import", "synthetic-features"])
        XCTAssertEqual(status, 0, err)
        let bundle = root + "/data/synthetic-features.tar.zst"
        XCTAssertTrue(FileManager.default.fileExists(atPath: bundle), out)

        (status, out, err) = try run(["datasets", "show", bundle])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.contains("train: 10000 images of 1x8x8"), out)
        XCTAssertTrue(out.contains("y=+1"), out)

        (status, out, err) = try run(["datasets", "import", "cifar10", "--from", root + "/nothing"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("no such directory"), err)

        (status, out, err) = try run(["datasets", "show", "imagenet"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("Known datasets"), err)
    }
}

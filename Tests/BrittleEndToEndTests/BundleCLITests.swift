// End-to-end tests of `brittle bundle ...` and `brittle datasets ...`: the real binary
// (.build/debug/brittle, built by `swift build`), its output and exit codes.
import BrittleArchive
import BrittleDatasets
import BrittleFigures
import BrittleIO
import BrittleNN
import BrittleTestSupport
import Foundation
import XCTest

final class BundleCLITests: XCTestCase {
    private var box: CLISandbox!
    private var root: String { box.root }

    override func setUpWithError() throws { box = try CLISandbox() }
    override func tearDown() { box = nil }

    /// (exit status, stdout, stderr) of `brittle args`, run in the sandbox (its data directory
    /// is `root/data`, its working directory `root`).
    private func run(_ args: [String]) throws -> (Int32, String, String) {
        let r = try box.run(args)
        return (r.status, r.stdout, r.stderr)
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
        // The sample grid lands in the working directory (the sandbox, never the checkout) and
        // is the grid of the first 8 training images of each class, byte for byte.
        let grid = root + "/synthetic-features-samples.png"
        XCTAssertTrue(out.contains("sample grid: synthetic-features-samples.png"), out)
        let d = try DatasetLoader.load(bundle, split: .train)
        let rows = (0..<d.numClasses).map { c -> [ImageGrid.Cell?] in
            d.labels.indices.filter { d.labels[$0] == c }.prefix(8).map { ImageGrid.Cell(d.images.slice($0..<($0 + 1)).reshaped(d.imageShape)) }
        }
        XCTAssertEqual(rows.map(\.count), [8, 8])
        let expected = root + "/expected.png"
        try ImageGrid(rows: rows, rowTitles: d.classNames, title: "\(d.name): 8 training images per class").write(to: expected)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: grid)), try Data(contentsOf: URL(fileURLWithPath: expected)),
                       "the sample grid is not the first 8 training images per class")

        (status, out, err) = try run(["datasets", "import", "cifar10", "--from", root + "/nothing"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("no such directory"), err)

        (status, out, err) = try run(["datasets", "show", "imagenet"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("Known datasets"), err)
    }
}

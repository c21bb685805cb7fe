// Tests of BrittleArchive: round trips, byte-identical re-packing, streaming within a memory
// budget, the manifest's content, option validation, interop with GNU tar + numpy, and every
// kind of bad input of issue #5 (each must fail clearly and leave nothing behind).
// Hostile archives are built with TarZstWriter (which does not validate) or bsdtar.
import BrittleArchive
import BrittleIO
import BrittleNN
import BrittleTestSupport
import Foundation
import XCTest

final class BundleTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    private var root: String { scratch.path }

    override func setUpWithError() throws {
        scratch = try TemporaryDirectory("bundle")
    }

    override func tearDownWithError() throws { scratch = nil }

    private let created = CreationInfo(tool: "brittle test", command: "test", time: nil)

    private func manifest(_ kind: BundleKind = .experiment) -> BundleManifest {
        BundleManifest(
            kind: kind, brittleVersion: "0.1.0", plugins: [PluginRecord(id: "pgd-l2", version: "1.0")],
            configuration: .object(["epochs": .number(3), "lr": .number(0.05), "arch": .string("cnn-small")]),
            seeds: ["init": 7, "shuffle": UInt64.max], created: created)
    }

    /// A directory with a .npy, a .safetensors, a text file and a nested file.
    private func sampleDirectory(_ name: String = "src") throws -> String {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir + "/nested/deeper", withIntermediateDirectories: true)
        try NPY.write(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), to: dir + "/x.npy")
        try NPY.write([3, 1, 4], to: dir + "/labels.npy")
        try Safetensors.write(
            [(name: "w", tensor: Tensor(shape: [4, 2], repeating: 0.5)), (name: "b", tensor: Tensor(shape: [4], repeating: 1))],
            to: dir + "/model.safetensors")
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        try Data(repeating: 7, count: 3 << 20).write(to: URL(fileURLWithPath: dir + "/nested/deeper/big.bin"))
        return dir
    }

    private func sha(_ path: String) throws -> String { try SHA256.hash(file: path).sha256 }

    private func contents(_ dir: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// Writes a raw archive with `entries` (path, type, bytes, declared size override).
    private func rawArchive(
        _ name: String, _ entries: [(String, TarZstWriter.EntryType, [UInt8])], level: Int = 3
    ) throws -> String {
        let path = root + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let w = try TarZstWriter(fileDescriptor: fd, path: path, compression: CompressionOptions(level: level))
        for (p, type, bytes) in entries {
            try w.begin(path: p, size: Int64(bytes.count), type: type)
            if case .regular = type { try w.write(bytes) }
        }
        try w.finish()
        return path
    }

    /// Manifest bytes listing `files` with their true sizes and hashes.
    private func manifestBytes(_ files: [(String, [UInt8])], version: Int = 1) throws -> [UInt8] {
        var m = manifest()
        m.entries = files.map { BundleEntry(path: $0.0, size: Int64($0.1.count), sha256: SHA256.hash($0.1)) }
        var text = String(decoding: try m.encoded(), as: UTF8.self)
        if version != 1 { text = text.replacingOccurrences(of: "\"format_version\" : 1", with: "\"format_version\" : \(version)") }
        return Array(text.utf8)
    }

    // MARK: Round trips

    func testPackUnpackRoundTripAndManifest() throws {
        let src = try sampleDirectory()
        let bundle = root + "/b.tar.zst"
        let written = try BundleWriter.pack(directory: src, manifest: manifest(), to: bundle)
        XCTAssertEqual(
            written.entries.map(\.path),
            ["labels.npy", "model.safetensors", "nested/deeper/big.bin", "notes.txt", "x.npy"])
        XCTAssertEqual(written.entry("x.npy")?.tensors, [TensorRecord(dtype: "<f4", shape: [2, 3])])
        XCTAssertEqual(written.entry("labels.npy")?.tensors, [TensorRecord(dtype: "<i8", shape: [3])])
        XCTAssertEqual(
            written.entry("model.safetensors")?.tensors,
            [TensorRecord(name: "b", dtype: "F32", shape: [4]), TensorRecord(name: "w", dtype: "F32", shape: [4, 2])])
        XCTAssertNil(written.entry("notes.txt")?.tensors)
        XCTAssertEqual(written.entry("notes.txt")?.sha256, try sha(src + "/notes.txt"))

        let read = try BundleReader.manifest(of: bundle)
        XCTAssertEqual(read, written)
        XCTAssertEqual(read.formatVersion, 1)
        XCTAssertEqual(read.plugins, [PluginRecord(id: "pgd-l2", version: "1.0")])
        XCTAssertEqual(read.seeds["shuffle"], UInt64.max)
        XCTAssertEqual(read.configuration["lr"], .number(0.05))

        let out = root + "/out"
        try BundleReader.unpack(bundle, to: out)
        for e in written.entries { XCTAssertEqual(try sha(out + "/" + e.path), e.sha256, e.path) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/manifest.json"))
        XCTAssertFalse(contents(out).contains { $0.contains(".brittle-unpack") })
        // Unpacked and packed again with the same options: the same bytes.
        let again = root + "/again.tar.zst"
        try BundleWriter.pack(directory: out, manifest: read, to: again)
        XCTAssertEqual(try sha(again), try sha(bundle))
    }

    func testPackingTwiceGivesIdenticalBytesAndLevelsMatter() throws {
        let src = try sampleDirectory()
        var hashes: [String] = []
        for (i, level) in [3, 3, 19].enumerated() {
            let path = root + "/p\(i).tar.zst"
            try BundleWriter.pack(directory: src, manifest: manifest(), to: path, compression: CompressionOptions(level: level))
            hashes.append(try sha(path))
        }
        XCTAssertEqual(hashes[0], hashes[1])
        XCTAssertNotEqual(hashes[0], hashes[2])
        // Pinned metadata: mtime 0, owner 0, no names.
        let listing = try run("bsdtar", ["-tvf", root + "/p0.tar.zst"], install: bsdtar)
        XCTAssertTrue(listing.contains("0 0"), listing)
        XCTAssertFalse(listing.contains("root"), listing)
        XCTAssertFalse(contents(root).contains { $0.contains(".tmp-") }, "no temporary left")
    }

    func testOptionRangesAreCheckedHere() throws {
        for level in [0, 23, -5] {
            let e = assertThrowsDataError { try CompressionOptions(level: level).validate() }
            XCTAssertTrue(e?.description.contains("1...22") ?? false, e?.description ?? "")
        }
        XCTAssertNotNil(assertThrowsDataError { try CompressionOptions(threads: 65).validate() })
        let src = try sampleDirectory()
        XCTAssertNotNil(assertThrowsDataError { try BundleWriter.pack(directory: src, manifest: manifest(), to: root + "/x.tar.zst", compression: .init(level: 99)) })
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/x.tar.zst"))
    }

    func testSourceSymlinksAreRefusedAndNothingIsWritten() throws {
        let src = try sampleDirectory()
        symlink("/etc/passwd", src + "/link")
        let e = assertThrowsDataError { try BundleWriter.pack(directory: src, manifest: manifest(), to: root + "/l.tar.zst") }
        XCTAssertTrue(e?.description.contains("symbolic link") ?? false)
        XCTAssertEqual(contents(root).filter { $0.hasSuffix(".tar.zst") || $0.contains(".tmp-") }, [])
    }

    // MARK: Streaming

    /// Resident set size now, in bytes (from /proc/self/statm).
    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    func testEntriesStreamWithinAMemoryBudget() throws {
        let entrySize = 256 << 20, budget = 64 << 20
        var pattern = [UInt8](repeating: 0, count: 1 << 20)
        var rng = SeededGenerator(seed: 3)
        for i in pattern.indices { pattern[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let baseline = residentBytes()
        var peak = baseline
        let source = BundleSource.generated("big.bin", size: Int64(entrySize)) { emit in
            try pattern.withUnsafeBytes { chunk in
                for _ in 0..<(entrySize >> 20) {
                    try emit(chunk)
                    peak = max(peak, self.residentBytes())
                }
            }
        }
        let bundle = root + "/big.tar.zst"
        try BundleWriter.write([source], manifest: manifest(), to: bundle, compression: .init(level: 1))
        XCTAssertLessThan(peak - baseline, budget, "packing held \((peak - baseline) >> 20) MiB")

        final class Counter: BundleEntrySink {
            var count = 0
            var peak = 0
            let measure: () -> Int
            init(_ measure: @escaping () -> Int) { self.measure = measure }
            func write(_ bytes: UnsafeRawBufferPointer) throws {
                count += bytes.count
                if count % (16 << 20) == 0 { peak = max(peak, measure()) }
            }
            func finish() throws {}
        }
        let counter = Counter { self.residentBytes() }
        let before = residentBytes()
        try BundleReader.read(bundle) { _ in counter }
        XCTAssertEqual(counter.count, entrySize)
        XCTAssertLessThan(counter.peak - before, budget, "reading held \((counter.peak - before) >> 20) MiB")
    }

    // MARK: Interop

    private let bsdtar = "apt-get install -y libarchive-tools"

    /// stdout of `tool arguments` (see ProcessRunner.runTool: missing is a prerequisite, failing
    /// on our bundle is a test failure).
    @discardableResult
    private func run(_ tool: String, _ arguments: [String], cwd: String? = nil, install: String,
                     file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try ProcessRunner.runTool(tool, arguments, install: install, directory: cwd, file: file, line: line).stdout
    }

    func testGNUTarAndNumpyReadABundle() throws {
        let src = try sampleDirectory()
        let bundle = root + "/i.tar.zst"
        try BundleWriter.pack(directory: src, manifest: manifest(), to: bundle)
        _ = try ProcessRunner.tool("zstd", install: "apt-get install -y zstd")
        let listing = try run("tar", ["--zstd", "-tf", bundle], install: "apt-get install -y tar zstd")
        XCTAssertEqual(listing.split(separator: "\n").first, "manifest.json")
        XCTAssertTrue(listing.contains("nested/deeper/big.bin"))
        let out = root + "/tar-out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try run("tar", ["--zstd", "-xf", bundle, "-C", out], install: "apt-get install -y tar zstd")
        XCTAssertEqual(try sha(out + "/x.npy"), try sha(src + "/x.npy"))
        let script = """
            import json, numpy as np
            m = json.load(open('manifest.json'))
            x = np.load('x.npy'); y = np.load('labels.npy')
            assert x.dtype == np.float32 and x.shape == (2, 3) and x.sum() == 21, x
            assert list(y) == [3, 1, 4]
            e = {e['path']: e for e in m['entries']}
            assert e['x.npy']['tensors'][0]['shape'] == [2, 3]
            print('numpy ok', m['kind'])
            """
        let python = try ProcessRunner.tool("python3", install: "apt-get install -y python3-numpy")
        guard try ProcessRunner.run(python, ["-c", "import numpy"]).status == 0 else {
            throw missingPrerequisite("python3 numpy not installed (apt-get install -y python3-numpy): listed and extracted with tar only")
        }
        let output = try run("python3", ["-c", script], cwd: out, install: "apt-get install -y python3-numpy")
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "numpy ok experiment")
    }

    // MARK: Bad input

    /// Checks that `bundle` fails verification and unpacking with an error containing each of
    /// `words`, and that unpacking leaves nothing behind.
    private func assertRejected(
        _ bundle: String, _ words: [String], options: BundleReadOptions = .init(), file: StaticString = #filePath,
        line: UInt = #line
    ) {
        let verifyError = assertThrowsDataError({ try BundleReader.verify(bundle, options: options) }, file: file, line: line)
        for w in words {
            XCTAssertTrue(verifyError?.description.contains(w) ?? false, "'\(w)' not in: \(verifyError?.description ?? "nil")", file: file, line: line)
        }
        let fresh = root + "/unpack-\(UUID().uuidString)"
        _ = assertThrowsDataError({ try BundleReader.unpack(bundle, to: fresh, options: options) }, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh), "partial output left", file: file, line: line)
        let existing = root + "/existing-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        try? Data("keep".utf8).write(to: URL(fileURLWithPath: existing + "/mine.txt"))
        _ = assertThrowsDataError({ try BundleReader.unpack(bundle, to: existing, options: options) }, file: file, line: line)
        XCTAssertEqual(contents(existing), ["mine.txt"], "an existing directory was changed", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/evil"), "wrote outside the target", file: file, line: line)
    }

    private func validBundle() throws -> String {
        let bundle = root + "/good.tar.zst"
        try BundleWriter.pack(directory: try sampleDirectory(), manifest: manifest(), to: bundle)
        return bundle
    }

    func testTruncatedArchive() throws {
        let good = try validBundle()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: good)))
        for cut in [bytes.count / 2, bytes.count - 5, 40] {
            let path = root + "/cut\(cut).tar.zst"
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: path))
            assertRejected(path, [])
            let e = assertThrowsDataError { try BundleReader.verify(path) }
            XCTAssertTrue(
                ["truncated", "damaged", "missing", "not a tar archive"].contains { e?.description.lowercased().contains($0) ?? false },
                e?.description ?? "")
        }
    }

    func testFlippedBytesInTheCompressedStream() throws {
        let good = try validBundle()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: good)))
        for offset in stride(from: bytes.count / 3, to: bytes.count - 16, by: bytes.count / 5) {
            var bad = bytes
            for i in offset..<(offset + 8) { bad[i] ^= 0x5A }
            let path = root + "/flip\(offset).tar.zst"
            try Data(bad).write(to: URL(fileURLWithPath: path))
            assertRejected(path, [])
        }
    }

    func testEntryHashOrSizeMismatch() throws {
        let data = [UInt8](repeating: 1, count: 1000)
        var tampered = data
        tampered[500] = 2
        let hash = try rawArchive("hash.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([("a.bin", data)])), ("a.bin", .regular, tampered),
        ])
        assertRejected(hash, ["'a.bin'", "SHA-256"])
        let size = try rawArchive("size.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([("a.bin", data)])), ("a.bin", .regular, Array(data.prefix(999))),
        ])
        assertRejected(size, ["'a.bin'", "999", "1000"])
    }

    func testMissingAndExtraEntries() throws {
        let a = [UInt8](repeating: 1, count: 10), b = [UInt8](repeating: 2, count: 10)
        let missing = try rawArchive("missing.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([("a.bin", a), ("b.bin", b)])), ("a.bin", .regular, a),
        ])
        assertRejected(missing, ["missing entry 'b.bin'"])
        let extra = try rawArchive("extra.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([("a.bin", a)])), ("a.bin", .regular, a), ("b.bin", .regular, b),
        ])
        assertRejected(extra, ["extra entry 'b.bin'"])
    }

    func testMissingOrMalformedManifestAndUnknownVersion() throws {
        let a = [UInt8](repeating: 1, count: 10)
        let noManifest = try rawArchive("nomanifest.tar.zst", [("a.bin", .regular, a)])
        assertRejected(noManifest, ["not manifest.json"])
        let late = try rawArchive("late.tar.zst", [("a.bin", .regular, a), (BundleManifest.fileName, .regular, try manifestBytes([("a.bin", a)]))])
        assertRejected(late, ["first entry is 'a.bin'"])
        let malformed = try rawArchive("malformed.tar.zst", [(BundleManifest.fileName, .regular, Array("{\"format\": ".utf8))])
        assertRejected(malformed, ["not valid JSON"])
        let foreign = try rawArchive("foreign.tar.zst", [(BundleManifest.fileName, .regular, Array("{\"name\": 1}".utf8))])
        assertRejected(foreign, ["not a Brittle bundle manifest"])
        var text = String(decoding: try manifestBytes([("a.bin", a)]), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"sha256\"", with: "\"sha_256\"")
        let schema = try rawArchive("schema.tar.zst", [(BundleManifest.fileName, .regular, Array(text.utf8)), ("a.bin", .regular, a)])
        assertRejected(schema, ["malformed manifest.json", "sha256"])
        let future = try rawArchive("future.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([("a.bin", a)], version: 2)), ("a.bin", .regular, a),
        ])
        assertRejected(future, ["format version 2", "Update Brittle"])
        let empty = try rawArchive("empty.tar.zst", [])
        assertRejected(empty, ["empty"])
        let notTar = root + "/not.tar.zst"
        try Data("just text, not an archive".utf8).write(to: URL(fileURLWithPath: notTar))
        assertRejected(notTar, [])
    }

    func testUnsafePathsAreRefused() throws {
        let a = [UInt8](repeating: 1, count: 10)
        for bad in ["/tmp/evil", "../evil", "x/../../evil", "./../evil", "a//b", "x/./y"] {
            // Listed in the manifest: refused when the manifest is read.
            var m = manifest()
            m.entries = [BundleEntry(path: bad, size: 10, sha256: SHA256.hash(a))]
            let encoder = JSONEncoder()
            let listed = try rawArchive("listed.tar.zst", [(BundleManifest.fileName, .regular, Array(try encoder.encode(m))), (bad, .regular, a)])
            assertRejected(listed, ["unsafe"])
            // Not listed: refused as a path before it is looked up.
            let unlisted = try rawArchive("unlisted.tar.zst", [(BundleManifest.fileName, .regular, try manifestBytes([])), (bad, .regular, a)])
            assertRejected(unlisted, [])
        }
    }

    func testLinksAndDevicesAreRefused() throws {
        let a = [UInt8](repeating: 1, count: 10)
        let cases: [(TarZstWriter.EntryType, String)] = [
            (.symlink(target: "/etc/passwd"), "symbolic link"), (.hardlink(target: "a.bin"), "hard link"),
            (.characterDevice, "character device"), (.fifo, "named pipe"),
        ]
        for (type, words) in cases {
            let path = try rawArchive("link.tar.zst", [
                (BundleManifest.fileName, .regular, try manifestBytes([("a.bin", a)])), ("a.bin", .regular, a), ("evil", type, []),
            ])
            assertRejected(path, ["'evil'", words])
        }
    }

    func testDuplicateEntryNames() throws {
        let a = [UInt8](repeating: 1, count: 10)
        let dup = try rawArchive("dup.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([("a.bin", a)])), ("a.bin", .regular, a), ("a.bin", .regular, a),
        ])
        assertRejected(dup, ["'a.bin' twice"])
        let twoManifests = try rawArchive("dupm.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([])), (BundleManifest.fileName, .regular, try manifestBytes([])),
        ])
        assertRejected(twoManifests, ["twice"])
        var m = manifest()
        m.entries = [BundleEntry(path: "a.bin", size: 10, sha256: SHA256.hash(a)), BundleEntry(path: "a.bin", size: 10, sha256: SHA256.hash(a))]
        let listedTwice = try rawArchive("dupl.tar.zst", [(BundleManifest.fileName, .regular, Array(try JSONEncoder().encode(m))), ("a.bin", .regular, a)])
        assertRejected(listedTwice, ["twice"])
        // bsdtar appends the same name twice the way any tar tool would.
        let dir = root + "/bsd"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(try manifestBytes([("a.bin", a)])).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        try Data(a).write(to: URL(fileURLWithPath: dir + "/a.bin"))
        let bsd = root + "/bsd.tar.zst"
        try run("bsdtar", ["--zstd", "-cf", bsd, "-C", dir, "manifest.json", "a.bin", "a.bin"], install: bsdtar)
        assertRejected(bsd, ["'a.bin' twice"])
    }

    func testDecompressionBombIsCapped() throws {
        let cap: Int64 = 1 << 20
        let options = BundleReadOptions(maxUnpackedBytes: cap)
        // Declared: the manifest claims 1 TiB.
        var m = manifest()
        m.entries = [BundleEntry(path: "huge.bin", size: 1 << 40, sha256: String(repeating: "0", count: 64))]
        let declared = try rawArchive("declared.tar.zst", [(BundleManifest.fileName, .regular, Array(try JSONEncoder().encode(m)))])
        assertRejected(declared, ["decompression bomb", "1099511627776"], options: options)
        // Expanding: 8 MiB of zeros in a few hundred bytes, manifest honest.
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        let expanding = try rawArchive("zeros.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([("zeros.bin", zeros)])), ("zeros.bin", .regular, zeros),
        ], level: 19)
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: expanding)[.size] as! Int, 4096)
        assertRejected(expanding, ["decompression bomb"], options: options)
        // Lying: the manifest understates, the tar header tells the truth.
        let lying = try rawArchive("lying.tar.zst", [
            (BundleManifest.fileName, .regular, try manifestBytes([("zeros.bin", [0])])), ("zeros.bin", .regular, zeros),
        ])
        assertRejected(lying, ["'zeros.bin'", "manifest"], options: options)
        XCTAssertNoThrow(try BundleReader.verify(expanding))  // under the default cap it is fine
    }

    func testUnpackNeverOverwrites() throws {
        let good = try validBundle()
        let out = root + "/over"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
        let e = assertThrowsDataError { try BundleReader.unpack(good, to: out) }
        XCTAssertTrue(e?.description.contains("'notes.txt' already exists") ?? false, e?.description ?? "")
        XCTAssertEqual(contents(out), ["notes.txt"])
        XCTAssertEqual(try String(contentsOfFile: out + "/notes.txt", encoding: .utf8), "mine")
    }
}

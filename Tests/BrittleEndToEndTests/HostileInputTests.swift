// Hostile bundles and files through the real binary: overflowing manifest sizes, declared sizes
// far above the bytes present, control characters and over-long names, directory entries as
// plain `tar` writes them, other compressions, non-finite weights, and temporary files after a
// signal or a kill -9. Each refusal: exit status 1, the problem and the fix named, no signal,
// nothing left in TMPDIR, nothing created outside the target. Archives are built by Python's
// tarfile and the zstd CLI, so the reader meets bytes Brittle did not write.
import BrittleArchive
import BrittleIO
import BrittleNN
import BrittleTestSupport
import Foundation
import XCTest

final class HostileInputTests: XCTestCase {
    private var box: CLISandbox!

    override func setUpWithError() throws { box = try CLISandbox() }
    override func tearDown() { box = nil }

    /// An archive of `entries` (name, declared size, data, tar type "file" or "dir"), written as
    /// pax tar by Python, then compressed with `compression` (`zstd`, `gzip` or `none`).
    private func archive(
        _ name: String, _ entries: [(String, Int64, [UInt8], String)], compression: String = "zstd"
    ) throws -> String {
        let spec = box.path(name + ".json")
        let json: [[String: Any]] = entries.map { ["name": $0.0, "size": $0.1, "data": $0.2.map(Int.init), "type": $0.3] }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: spec))
        let tar = box.path(name + ".tar")
        let script = """
            import json, sys, tarfile
            entries = json.load(open(sys.argv[1]))
            with open(sys.argv[2], 'wb') as out:
                for e in entries:
                    ti = tarfile.TarInfo(e['name'])
                    ti.type = tarfile.DIRTYPE if e['type'] == 'dir' else tarfile.REGTYPE
                    ti.size = e['size'] if e['type'] != 'dir' else 0
                    out.write(ti.tobuf(tarfile.PAX_FORMAT, 'utf-8', 'surrogateescape'))
                    data = bytes(e['data'])
                    out.write(data + b'\\0' * ((512 - len(data) % 512) % 512))
                out.write(b'\\0' * 1024)
            """
        try shell("python3", ["-c", script, spec, tar])
        let out = box.path(name)
        switch compression {
        case "zstd": try shell("zstd", ["-q", "-f", tar, "-o", out])
        case "gzip": try shell("sh", ["-c", "gzip -c '\(tar)' > '\(out)'"])
        default: try FileManager.default.copyItem(atPath: tar, toPath: out)
        }
        return out
    }

    /// Runs `tool args`: a missing tool is a missing prerequisite, a failing one a test failure.
    private func shell(_ tool: String, _ args: [String]) throws {
        try ProcessRunner.runTool(tool, args, install: "python3 and zstd: apt-get install -y python3 zstd")
    }

    /// A manifest of `kind` listing `entries` (path, size, hash of `data`).
    private func manifest(_ kind: BundleKind, _ entries: [(String, Int64, [UInt8])]) throws -> [UInt8] {
        var m = BundleManifest(kind: kind, brittleVersion: "0.1.0", created: CreationInfo(tool: "t", command: "t", time: nil))
        m.entries = entries.map { BundleEntry(path: $0.0, size: $0.1, sha256: SHA256.hash($0.2)) }
        return try m.encoded()
    }

    /// Every command that reads a bundle, each given `bundle`.
    private func everyReader(_ bundle: String) -> [[String]] {
        [["bundle", "verify", bundle], ["bundle", "inspect", bundle], ["bundle", "unpack", bundle, "-o", box.path("out")],
         ["evaluate", "--model", bundle], ["train", "--dataset", bundle, "--arch", "mlp", "--out", box.path("run")],
         ["reproduce", "--from-bundle", bundle]]
    }

    func testManifestSizesNearInt64MaxAreRefusedByEveryReader() throws {
        let data = [UInt8](repeating: 1, count: 16)
        let m = try manifest(.dataset, [("a.bin", Int64.max - 5, data), ("b.bin", Int64.max - 5, data)])
        let bundle = try archive("overflow.tar.zst", [("manifest.json", Int64(m.count), m, "file"), ("a.bin", 16, data, "file")])
        for args in everyReader(bundle) {
            let run = try box.run(args)
            box.assertRefused(run, mentions: ["overflow", "64-bit"])
            XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("out")), "unpack target left:\n\(run.transcript)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("run")), "train output left:\n\(run.transcript)")
        }
    }

    func testDeclaredSizeFarAboveTheBytesIsNeverAllocated() throws {
        // 40 GB declared, 1 kB present: more than any budget this machine gives by default.
        let huge: Int64 = 40_000_000_000
        let header = NPYHeader.encode(descr: "|u1", shape: [51_020_408, 1, 28, 28])
        let m = try manifest(.dataset, [("train/images.npy", huge, header), ("train/labels.npy", 128, [])])
        let bundle = try archive("bomb.tar.zst", [("manifest.json", Int64(m.count), m, "file"),
                                                 ("train/images.npy", huge, header, "file")])
        // Never allocated: refused from the header alone. A 40 GB read or allocation would not
        // finish in 30 s; the runner kills it there and fails the test.
        let run = try box.run(["train", "--dataset", bundle, "--arch", "mlp", "--out", box.path("run")], timeout: 30)
        box.assertRefused(run, mentions: ["train/images.npy"])
        XCTAssertTrue(run.stderr.contains("memory budget") || run.stderr.contains("truncated"), run.transcript)
        let verify = try box.run(["bundle", "verify", bundle])
        box.assertRefused(verify, mentions: ["train/images.npy"])
    }

    func testControlCharactersInNamesAreRefusedAndPrintedEscaped() throws {
        let data = Array("x".utf8)
        let evil = "a\u{1B}[31mred\nline.txt"
        let m = try manifest(.experiment, [(evil, 1, data)])
        let bundle = try archive("ansi.tar.zst", [("manifest.json", Int64(m.count), m, "file"), (evil, 1, data, "file")])
        for args in [["bundle", "verify", bundle], ["bundle", "inspect", bundle], ["bundle", "unpack", bundle, "-o", box.path("out")]] {
            let run = try box.run(args)
            box.assertRefused(run, mentions: ["control characters", "\\u{1B}", "\\u{A}"])
            XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("out")))
        }
    }

    func testDirectoryEntriesAsTarWritesThemAreAccepted() throws {
        let data = Array("hello".utf8)
        let m = try manifest(.experiment, [("sub/deep/f.txt", 5, data)])
        let bundle = try archive("dirs.tar.zst", [("./", 0, [], "dir"), ("manifest.json", Int64(m.count), m, "file"),
                                                 ("sub/", 0, [], "dir"), ("sub/deep/", 0, [], "dir"),
                                                 ("sub/deep/f.txt", 5, data, "file")])
        let verify = try box.run(["bundle", "verify", bundle])
        XCTAssertEqual(verify.status, 0, verify.transcript)
        let unpack = try box.run(["bundle", "unpack", bundle, "-o", box.path("out")])
        XCTAssertEqual(unpack.status, 0, unpack.transcript)
        XCTAssertEqual(try String(contentsOfFile: box.path("out/sub/deep/f.txt"), encoding: .utf8), "hello")
        // A file before the manifest (as `tar -C DIR .` may order it): the refusal says how to repack.
        let late = try archive("late.tar.zst", [("sub/deep/f.txt", 5, data, "file"), ("manifest.json", Int64(m.count), m, "file")])
        box.assertRefused(try box.run(["bundle", "verify", late]), mentions: ["not manifest.json", "brittle bundle pack", "tar --zstd"])
        let unsafe = try archive("dotdot.tar.zst", [("manifest.json", Int64(m.count), m, "file"), ("../up/", 0, [], "dir")])
        box.assertRefused(try box.run(["bundle", "verify", unsafe]), mentions: ["'..'"])
    }

    func testNameTooLongForTheFileSystemIsCaughtByVerify() throws {
        let data = Array("x".utf8)
        let long = String(repeating: "n", count: 300) + ".txt"
        let m = try manifest(.experiment, [(long, 1, data)])
        let bundle = try archive("long.tar.zst", [("manifest.json", Int64(m.count), m, "file"), (long, 1, data, "file")])
        box.assertRefused(try box.run(["bundle", "verify", bundle]), mentions: ["NAME_MAX", "Rename"])
    }

    func testOnlyZstdCompressedTarIsABundle() throws {
        let data = Array("x".utf8)
        let m = try manifest(.experiment, [("f.txt", 1, data)])
        let entries = [("manifest.json", Int64(m.count), m, "file"), ("f.txt", 1, data, "file")]
        for (compression, word) in [("gzip", "gzip-compressed"), ("none", "uncompressed tar")] {
            let bundle = try archive("b-\(compression).tar.zst", entries, compression: compression)
            box.assertRefused(try box.run(["bundle", "verify", bundle]), mentions: [word, "zstd", "brittle bundle pack"])
        }
    }

    func testNonFiniteWeightsAreRefusedWithTheTensorName() throws {
        let run = box.path("run")
        let train = try box.run(["train", "--dataset", "synthetic-features", "--arch", "mlp", "--epochs", "1", "--limit", "256",
                                 "--test-limit", "256", "--out", run])
        XCTAssertEqual(train.status, 0, train.transcript)
        let file = run + "/model.safetensors"
        let (tensors, order, meta) = try Safetensors.read(path: file)
        var poisoned = order.map { (name: $0, tensor: tensors[$0]!) }
        let victim = poisoned.firstIndex { $0.name.contains("weight") } ?? 0
        poisoned[victim].tensor.scalars[3] = .nan
        try Safetensors.write(poisoned, metadata: meta, to: file)
        box.assertRefused(try box.run(["evaluate", "--model", run, "--dataset", "synthetic-features"]),
                          mentions: ["'\(poisoned[victim].name)'", "non-finite"])
    }

    func testStaleTemporariesOfDeadProcessesAreSweptAtStart() throws {
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let stale = "brittle-model-\(dead.processIdentifier)-0badcafe"
        let live = "brittle-model-\(getpid())-0badcafe"
        let foreign = "brittle-notes-2024-1"
        for name in [stale, live, foreign] { try FileManager.default.createDirectory(atPath: box.tmp + "/" + name, withIntermediateDirectories: true) }
        let run = try box.run(["--version"])
        XCTAssertEqual(run.status, 0, run.transcript)
        XCTAssertEqual(Set(box.leftovers), [live, foreign], "only the dead process's entry goes")
    }

    func testSIGTERMRemovesAPartialBundle() throws {
        // Level 19 on 24 MB of incompressible bytes takes seconds on 2 cores: long enough to interrupt.
        let src = box.path("src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        var rng = SystemRandomNumberGenerator()
        let noise = (0..<(24 << 20) / 8).map { _ in rng.next() as UInt64 }
        try noise.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: src + "/noise.bin")) }
        let out = box.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let running = try box.start(["bundle", "pack", src, "-o", out + "/b.tar.zst", "--level", "19"])
        let process = running.process
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).contains(where: { $0.contains(".tmp-") }) {
            usleep(20_000)
        }
        XCTAssertTrue(process.isRunning, "finished before it could be interrupted")
        kill(process.processIdentifier, SIGTERM)
        let run = try running.finish()
        XCTAssertEqual(run.reason, .uncaughtSignal, run.transcript)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [], "partial bundle left")
        XCTAssertEqual(box.leftovers, [])
    }
}

extension HostileInputTests {
    func testMissingMNISTFilesNameMNISTsFilesNotTheFashionMNISTPackage() throws {
        let empty = box.path("mnist")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let run = try box.run(["train", "--dataset", "mnist", "--data-dir", empty, "--arch", "mlp", "--out", box.path("run")])
        box.assertRefused(run, mentions: ["train-images-idx3-ubyte", "mnist needs its IDX files", "--data-dir"])
        XCTAssertFalse(run.stderr.contains("dataset-fashion-mnist"), run.transcript)
    }
}

extension HostileInputTests {
    func testConfigFileThatNeverEndsOrIsHugeIsRefusedBeforeReading() throws {
        let run = try box.run(["reproduce", "all", "--preset", "smoke", "--config", "/dev/zero", "--out", box.path("r")])
        box.assertRefused(run, mentions: ["/dev/zero", "not a regular file"])
        let big = box.path("big.json")
        _ = FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: big))
        try handle.truncate(atOffset: 2 << 20)  // sparse: 2 MiB of zeros, no disk used
        try handle.close()
        box.assertRefused(try box.run(["reproduce", "all", "--preset", "smoke", "--config", big, "--out", box.path("r")]),
                          mentions: ["--config", "limit"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("r")))
    }
}

extension HostileInputTests {
    /// A dataset bundle packed by `brittle bundle pack` from arrays numpy writes (`expression`
    /// builds `x` for both splits; labels are zeros).
    private func numpyDataset(_ name: String, _ expression: String) throws -> String {
        let dir = box.path(name)
        let script = """
            import numpy as np, os, sys
            for s in ['train', 'test']:
                os.makedirs(os.path.join(sys.argv[1], s), exist_ok=True)
                x = \(expression)
                np.save(os.path.join(sys.argv[1], s, 'images.npy'), x)
                np.save(os.path.join(sys.argv[1], s, 'labels.npy'), np.zeros(x.shape[0], np.int64))
            """
        try shell("python3", ["-c", script, dir])
        let bundle = dir + ".tar.zst"
        let pack = try box.run(["bundle", "pack", dir, "-o", bundle])
        XCTAssertEqual(pack.status, 0, pack.transcript)
        return bundle
    }

    func testEmptyOrNonFiniteDatasetsAreRefusedBeforeTraining() throws {
        for (name, expression, words) in [
            ("empty", "np.zeros((0, 1, 28, 28), np.uint8)", ["at least one image", "[0, 1, 28, 28]"]),
            ("flat", "np.zeros((5, 0, 28, 28), np.uint8)", ["at least one image"]),
            ("nan", "np.full((4, 1, 8, 8), np.nan, np.float32)", ["nan", "finite"]),
        ] {
            let bundle = try numpyDataset(name, expression)
            let run = try box.run(["train", "--dataset", bundle, "--arch", "mlp", "--epochs", "1", "--out", box.path("run")])
            box.assertRefused(run, mentions: words)
            XCTAssertFalse(FileManager.default.fileExists(atPath: box.path("run")), run.transcript)
        }
    }
}

extension HostileInputTests {
    func testUsageErrorsExitWithStatusOneNotSixtyFour() throws {
        box.assertRefused(try box.run(["train", "--epochs", "0", "--out", box.path("run")]), mentions: ["--epochs"])
        box.assertRefused(try box.run(["train", "--no-such-option", "--out", box.path("run")]), mentions: ["--no-such-option"])
        let help = try box.run(["train", "--help"])
        XCTAssertEqual(help.status, 0, help.transcript)
    }
}

extension HostileInputTests {
    func testInspectPrintsHostileManifestFieldsEscaped() throws {
        var m = BundleManifest(kind: .experiment, brittleVersion: "0.1\u{1B}[2J", created: CreationInfo(tool: "t", command: "x\u{1B}]0;owned\u{07}", time: nil))
        let data = Array("x".utf8)
        m.entries = [BundleEntry(path: "f.txt", size: 1, sha256: SHA256.hash(data))]
        let bytes = try m.encoded()
        let bundle = try archive("inspect.tar.zst", [("manifest.json", Int64(bytes.count), bytes, "file"), ("f.txt", 1, data, "file")])
        let run = try box.run(["bundle", "inspect", bundle])
        XCTAssertEqual(run.status, 0, run.transcript)
        XCTAssertFalse(run.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, run.transcript)
        XCTAssertTrue(run.stdout.contains("\\u{1B}]0;owned\\u{7}"), run.transcript)
    }

    func testMaxSizeCapsEveryCommandThatReadsABundle() throws {
        let dataset = try numpyDataset("small", "np.zeros((4, 1, 8, 8), np.uint8)")
        box.assertRefused(try box.run(["train", "--dataset", dataset, "--arch", "mlp", "--max-size", "100", "--out", box.path("run")]),
                          mentions: ["100-byte cap", "--max-size"])
        box.assertRefused(try box.run(["datasets", "show", dataset, "--max-size", "100"]), mentions: ["100-byte cap"])
        let ok = try box.run(["train", "--dataset", dataset, "--arch", "mlp", "--epochs", "1", "--max-size", "1M", "--out", box.path("run")])
        XCTAssertEqual(ok.status, 0, ok.transcript)
        let model = box.path("model.tar.zst")
        XCTAssertEqual(try box.run(["bundle", "pack", box.path("run"), "-o", model]).status, 0)
        box.assertRefused(try box.run(["evaluate", "--model", model, "--dataset", dataset, "--max-size", "100"]),
                          mentions: ["100-byte cap"])
        let evaluate = try box.run(["evaluate", "--model", model, "--dataset", dataset])
        XCTAssertEqual(evaluate.status, 0, evaluate.transcript)
    }
}

extension HostileInputTests {
    func testLabelsThatCannotBeClassIndicesAreRefused() throws {
        for (name, labels) in [("negative", "np.full(4, -1, np.int64)"), ("huge", "np.full(4, 2**62, np.int64)")] {
            let dir = box.path(name)
            let script = """
                import numpy as np, os, sys
                for s in ['train', 'test']:
                    os.makedirs(os.path.join(sys.argv[1], s), exist_ok=True)
                    np.save(os.path.join(sys.argv[1], s, 'images.npy'), np.zeros((4, 1, 8, 8), np.uint8))
                    np.save(os.path.join(sys.argv[1], s, 'labels.npy'), \(labels))
                """
            try shell("python3", ["-c", script, dir])
            XCTAssertEqual(try box.run(["bundle", "pack", dir, "-o", dir + ".tar.zst"]).status, 0)
            box.assertRefused(try box.run(["train", "--dataset", dir + ".tar.zst", "--arch", "mlp", "--out", box.path("run")]),
                              mentions: ["labels.npy", "class indices"])
            box.assertRefused(try box.run(["datasets", "show", dir + ".tar.zst"]), mentions: ["class indices"])
        }
    }
}

extension HostileInputTests {
    /// The budget checks themselves, where the CLI test above may meet the truncation first.
    func testDeclaredSizesAndGzipOutputAreCheckedAgainstTheBudgetBeforeAllocation() throws {
        let saved = MemoryLimit.bytes
        defer { MemoryLimit.bytes = saved }
        MemoryLimit.bytes = 16 << 20
        let entry = BundleEntry(path: "train/images.npy", size: 40_000_000_000, sha256: String(repeating: "0", count: 64))
        XCTAssertThrowsError(try MemorySink(entry, source: "b.tar.zst")) { error in
            XCTAssertTrue("\(error)".contains("memory budget") && "\(error)".contains("train/images.npy"), "\(error)")
        }
        XCTAssertNoThrow(try MemorySink(BundleEntry(path: "ok", size: 1 << 20, sha256: entry.sha256), source: "b.tar.zst"))
        // 64 MiB of zeros gzip to ~64 kB: the reader stops once the output passes the budget.
        let bomb = box.path("bomb.gz")
        try shell("sh", ["-c", "head -c 67108864 /dev/zero | gzip -c > '\(bomb)'"])
        XCTAssertThrowsError(try DecompressingReader.readAll(path: bomb)) { error in
            XCTAssertTrue("\(error)".contains("memory budget"), "\(error)")
        }
    }
}

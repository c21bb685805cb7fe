// Tests of BrittleIO: IDX (+ gzip via libarchive), the Fashion-MNIST loader, safetensors and .npy.
// Each test writes its own small files in a fresh temporary directory; the real Fashion-MNIST
// test split is checked when /usr/share/datasets/fashion-mnist is installed, and the formats are
// cross-checked with python3 (pure-python safetensors parser, numpy.load) when available.
import BrittleIO
import BrittleNN
import Foundation
import XCTest

final class IOTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("brittle-io-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    private func bytes(_ p: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: p)))
    }

    /// Runs `executable` with `arguments`; returns (exit status, stdout + stderr), or nil if it
    /// cannot be started.
    @discardableResult
    private func run(_ executable: String, _ arguments: [String]) -> (Int32, String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// The DataError `body` throws (failing the test when it throws nothing or something else).
    private func dataError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line)
        -> DataError?
    {
        do {
            _ = try body()
            XCTFail("expected a DataError", file: file, line: line)
        } catch let error as DataError {
            return error
        } catch {
            XCTFail("expected a DataError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// A small synthetic IDX split: `count` images of 4x3 and labels `i % 10`.
    private func writeSplit(prefix: String, count: Int, gzip: Bool) throws -> (
        pixels: [UInt8], labels: [UInt8]
    ) {
        let pixels = (0..<(count * 12)).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let labels = (0..<count).map { UInt8($0 % 10) }
        let images = try write(
            IDX.encodeImages(pixels, count: count, rows: 4, cols: 3), "\(prefix)-images-idx3-ubyte")
        let labelFile = try write(IDX.encodeLabels(labels), "\(prefix)-labels-idx1-ubyte")
        if gzip {
            for f in [images, labelFile] {
                let result = run("/bin/gzip", ["-f", "-n", f])
                XCTAssertEqual(result?.0, 0, "gzip failed: \(result?.1 ?? "not runnable")")
            }
        }
        return (pixels, labels)
    }

    // MARK: IDX and the loader

    func testIDXRoundTripGzipAndPlain() throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/gzip") else { throw missingPrerequisite("no /bin/gzip") }
        let train = try writeSplit(prefix: "train", count: 25, gzip: true)
        let test = try writeSplit(prefix: "t10k", count: 7, gzip: false)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("train-images-idx3-ubyte.gz")))

        let gz = try DecompressingReader.readAll(path: path("train-labels-idx1-ubyte.gz"))
        XCTAssertEqual(gz, IDX.encodeLabels(train.labels))
        XCTAssertEqual(try DecompressingReader.readAll(path: try write([], "empty")), [])
        XCTAssertEqual(dataError { try DecompressingReader.readAll(path: path("absent.gz")) }?.kind, .missing)

        for (split, data) in [(DataSplit.train, train), (.test, test)] {
            let set = try FashionMNIST.load(directory: directory, split: split)
            XCTAssertEqual(set.count, data.labels.count)
            XCTAssertEqual(set.images.shape, [data.labels.count, 1, 4, 3])
            XCTAssertEqual(set.labels, data.labels.map(Int.init))
            XCTAssertEqual(set.images.scalars, data.pixels.map { Float($0) / 255 })
            XCTAssertEqual(set.numClasses, 10)
            XCTAssertEqual(set.classNames, FashionMNIST.classNames)
        }

        let set = try FashionMNIST.load(directory: directory, split: .train)
        let (x, y) = set.batch([3, 0, 3])
        XCTAssertEqual(x.shape, [3, 1, 4, 3])
        XCTAssertEqual(y, [3, 0, 3])
        XCTAssertEqual(Array(x.scalars[0..<12]), Array(set.images.scalars[36..<48]))
        let sub = set.subset([24, 1])
        XCTAssertEqual(sub.count, 2)
        XCTAssertEqual(sub.labels, [4, 1])
        XCTAssertEqual(sub.classCounts().reduce(0, +), 2)
    }

    func testIDXTruncatedFile() throws {
        var file = IDX.encodeImages([UInt8](repeating: 7, count: 5 * 28 * 28), count: 5, rows: 28, cols: 28)
        file.removeLast(100)
        let p = try write(file, "short-images-idx3-ubyte")
        let error = dataError { try IDX.readImages(path: p) }
        XCTAssertEqual(error?.kind, .truncated)
        let text = error?.description ?? ""
        XCTAssertTrue(text.contains("truncated"), text)
        XCTAssertTrue(text.contains(p), text)
        XCTAssertTrue(
            text.contains("\(16 + 5 * 28 * 28)") && text.contains("\(16 + 5 * 28 * 28 - 100)"), text)

        // a gzip stream cut short is reported by libarchive, not crashed on
        if FileManager.default.isExecutableFile(atPath: "/bin/gzip") {
            let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
            let q = try write(IDX.encodeLabels(big), "cut-labels-idx1-ubyte")
            XCTAssertEqual(run("/bin/gzip", ["-f", "-n", q])?.0, 0)
            let gz = try bytes(q + ".gz")
            let cut = try write(Array(gz.prefix(gz.count / 2)), "cut-labels-idx1-ubyte.gz")
            XCTAssertNotNil(dataError { try IDX.readLabels(path: cut) })
        }
    }

    func testIDXBadHeaders() throws {
        var wrongMagic = IDX.encodeLabels([1, 2, 3])
        wrongMagic[0] = 0x1F
        let p = try write(wrongMagic, "magic-labels-idx1-ubyte")
        let magic = dataError { try IDX.readLabels(path: p) }
        XCTAssertEqual(magic?.kind, .malformed)
        XCTAssertTrue(magic?.description.contains("magic") ?? false, magic?.description ?? "")

        // a label file where images are expected: wrong rank
        let rank = dataError { try IDX.images(from: IDX.encodeLabels([1, 2]), file: "labels.idx") }
        XCTAssertTrue(rank?.description.contains("rank") ?? false, rank?.description ?? "")

        var float = IDX.encodeLabels([1])
        float[2] = 0x0D
        XCTAssertEqual(dataError { try IDX.labels(from: float) }?.kind, .unsupported)

        let outOfRange = dataError { try IDX.labels(from: IDX.encodeLabels([1, 12]), numClasses: 10) }
        XCTAssertEqual(outOfRange?.kind, .mismatch)

        var trailing = IDX.encodeLabels([1, 2])
        trailing.append(9)
        XCTAssertEqual(dataError { try IDX.labels(from: trailing) }?.kind, .malformed)

        for n in 0..<16 {  // every prefix of a header fails cleanly
            XCTAssertNotNil(
                dataError {
                    try IDX.images(from: Array(IDX.encodeImages([1], count: 1, rows: 1, cols: 1).prefix(n)))
                })
        }
        // extents whose product overflows
        let huge: [UInt8] = [
            0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]
        XCTAssertNotNil(dataError { try IDX.images(from: huge) })
    }

    func testLoaderErrors() throws {
        let missing = dataError { try FashionMNIST.load(directory: path("nowhere"), split: .test) }
        XCTAssertEqual(missing?.kind, .missing)
        XCTAssertTrue(
            missing?.description.contains("dataset-fashion-mnist") ?? false, missing?.description ?? "")

        // a directory without the files
        let empty = dataError { try FashionMNIST.load(directory: directory, split: .test) }
        XCTAssertEqual(empty?.kind, .missing)
        XCTAssertTrue(
            empty?.description.contains("t10k-images-idx3-ubyte") ?? false, empty?.description ?? "")

        // image and label counts differ
        _ = try write(
            IDX.encodeImages([UInt8](repeating: 0, count: 3 * 4), count: 3, rows: 2, cols: 2),
            "t10k-images-idx3-ubyte")
        _ = try write(IDX.encodeLabels([0, 1]), "t10k-labels-idx1-ubyte")
        let counts = dataError { try FashionMNIST.load(directory: directory, split: .test) }
        XCTAssertEqual(counts?.kind, .mismatch)
    }

    func testRealFashionMNISTTestSplit() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missingPrerequisite(
                "\(FashionMNIST.defaultDirectory) is absent (apt-get install -y dataset-fashion-mnist)")
        }
        let set = try FashionMNIST.load(split: .test)
        XCTAssertEqual(set.count, 10_000)
        XCTAssertEqual(set.images.shape, [10_000, 1, 28, 28])
        XCTAssertEqual(set.imageShape, [1, 28, 28])
        XCTAssertTrue(set.labels.allSatisfy { (0..<10).contains($0) })
        XCTAssertEqual(set.classCounts(), [Int](repeating: 1000, count: 10))
        XCTAssertGreaterThanOrEqual(set.images.scalars.min() ?? -1, 0)
        XCTAssertLessThanOrEqual(set.images.scalars.max() ?? 2, 1)
        XCTAssertEqual(set.images.scalars.max(), 1)
        XCTAssertEqual(set.name, "fashion-mnist:test")
        XCTAssertEqual(try FashionMNIST.load(split: .train).count, 60_000)
    }

    // MARK: Safetensors

    private let sample: [(name: String, tensor: Tensor)] = [
        ("conv.weight", Tensor(shape: [2, 1, 3, 3], scalars: (0..<18).map { Float($0) * 0.25 - 2 })),
        ("conv.bias", Tensor(shape: [2], scalars: [.nan, -.infinity])),
        ("scalar", Tensor(shape: [], scalars: [Float.leastNonzeroMagnitude])),
        ("empty", Tensor(shape: [0, 4], scalars: [])),
        ("fc.weight \"quoted\" ü", Tensor(shape: [3, 2], scalars: [1, -0.0, 3.5, 1e-30, 6e30, -7])),
    ]
    private let sampleMetadata = ["format": "pt", "brittle.note": "line\nbreak \"and\" tab\t✓", "a": ""]

    func testSafetensorsRoundTripAndDeterminism() throws {
        let p = path("model.safetensors")
        try Safetensors.write(sample, metadata: sampleMetadata, to: p)
        let (tensors, order, metadata) = try Safetensors.read(path: p)
        XCTAssertEqual(order, sample.map(\.name))
        XCTAssertEqual(metadata, sampleMetadata)
        for (name, t) in sample {
            let back = try XCTUnwrap(tensors[name], name)
            XCTAssertEqual(back.shape, t.shape, name)
            XCTAssertEqual(back.scalars.map(\.bitPattern), t.scalars.map(\.bitPattern), name)
        }

        let first = try bytes(p)
        let headerLength = first.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(headerLength % 8, 0)  // the data starts 8-byte aligned
        XCTAssertEqual(first.count, 8 + headerLength + 4 * sample.reduce(0) { $0 + $1.tensor.count })
        let q = path("again.safetensors")
        try Safetensors.write(sample, metadata: sampleMetadata, to: q)
        try Safetensors.write(sample, metadata: sampleMetadata, to: p)  // overwrite in place
        XCTAssertEqual(try bytes(q), first)
        XCTAssertEqual(try bytes(p), first)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            $0.contains("tmp")
        }
        XCTAssertEqual(leftovers, [])

        // no metadata, no tensors
        try Safetensors.write([], metadata: [:], to: q)
        let none = try Safetensors.read(path: q)
        XCTAssertTrue(none.tensors.isEmpty && none.order.isEmpty && none.metadata.isEmpty)

        XCTAssertNotNil(dataError { try Safetensors.write([sample[0], sample[0]], metadata: [:], to: q) })
        XCTAssertNotNil(dataError { try Safetensors.write(sample, to: path("no/such/dir/x.safetensors")) })
    }

    /// A header followed by `dataBytes` zero bytes, as a safetensors file.
    private func rawSafetensors(_ header: String, dataBytes: Int, name: String) throws -> String {
        var file: [UInt8] = []
        let h = Array(header.utf8)
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { file.append(contentsOf: $0) }
        file += h + [UInt8](repeating: 0, count: dataBytes)
        return try write(file, name)
    }

    func testSafetensorsBadInputs() throws {
        let good = path("good.safetensors")
        try Safetensors.write(sample, metadata: sampleMetadata, to: good)
        let all = try bytes(good)

        // every truncation of a valid file fails with an error, never a crash
        for n in stride(from: 0, to: all.count, by: 7) {
            let p = try write(Array(all.prefix(n)), "cut.safetensors")
            XCTAssertNotNil(dataError { try Safetensors.read(path: p) }, "prefix \(n)")
        }
        let truncated = dataError {
            try Safetensors.read(path: try write(Array(all.dropLast(4)), "t.safetensors"))
        }
        XCTAssertTrue(truncated?.description.contains("t.safetensors") ?? false)

        var huge = all
        huge.replaceSubrange(0..<8, with: [0xFF, 0, 0, 0, 0, 0, 0, 0] as [UInt8])  // 255 > file
        let tooLong = dataError {
            try Safetensors.read(path: try write(Array(huge.prefix(100)), "long.safetensors"))
        }
        XCTAssertTrue(tooLong?.description.contains("header length") ?? false, tooLong?.description ?? "")
        huge.replaceSubrange(0..<8, with: [0, 0, 0, 0, 0, 0, 0, 0x7F] as [UInt8])
        XCTAssertNotNil(dataError { try Safetensors.read(path: try write(huge, "huge.safetensors")) })

        let bf16 = try rawSafetensors(
            #"{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4, name: "bf16.st")
        let dtype = dataError { try Safetensors.read(path: bf16) }
        XCTAssertEqual(dtype?.kind, .unsupported)
        XCTAssertTrue(
            (dtype?.description ?? "").contains("BF16") && (dtype?.description ?? "").contains("F32"))

        let overlap = try rawSafetensors(
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
                + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
            dataBytes: 12, name: "overlap.st")
        let overlapping = dataError { try Safetensors.read(path: overlap) }
        XCTAssertTrue(overlapping?.description.contains("overlap") ?? false, overlapping?.description ?? "")

        let gap = try rawSafetensors(
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataBytes: 8, name: "gap.st")
        XCTAssertTrue(dataError { try Safetensors.read(path: gap) }?.description.contains("gap") ?? false)

        let wrongSize = try rawSafetensors(
            #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8, name: "size.st")
        XCTAssertEqual(dataError { try Safetensors.read(path: wrongSize) }?.kind, .mismatch)

        let outside = try rawSafetensors(
            #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#, dataBytes: 8, name: "outside.st")
        XCTAssertNotNil(dataError { try Safetensors.read(path: outside) })

        for (i, header) in [
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#,  // unclosed
            #"["a"]"#, "", "{}x", #"{"a":1}"#, #"{"__metadata__":{"k":1}}"#,
            #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#,
            #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}"#,
            #"{"a":{"shape":[],"data_offsets":[0,4]}}"#,
            #"{"\ud800":{}}"#, "{\"a\u{01}\":{}}",
            String(repeating: "[", count: 10_000),
            #"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}"#,
            // Foundation's JSON hands booleans and fractions over as numbers: still not integers.
            #"{"a":{"dtype":"F32","shape":[2,true],"data_offsets":[0,8]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8e0]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[false,8]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":["v"]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":"k"}"#,
            #"{"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}"#,
            #"{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}"#,
            // A name given twice: the last wins, and the first one's bytes belong to no tensor.
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#,
        ].enumerated() {
            let p = try rawSafetensors(header, dataBytes: 8, name: "bad\(i).st")
            let error = dataError { try Safetensors.read(path: p) }
            XCTAssertTrue(error?.description.contains(p) ?? false, "\(header): \(error?.description ?? "")")
        }
    }

    // MARK: NPY

    func testNPYRoundTrip() throws {
        let t = Tensor(shape: [2, 3, 1], scalars: [1, -2, 3.5, .infinity, 0, 1e-20])
        try NPY.write(t, to: path("x.npy"))
        XCTAssertEqual(try NPY.readTensor(path: path("x.npy")), t)
        XCTAssertEqual(try bytes(path("x.npy")).count, 128 + 24)  // header padded to 64-byte blocks

        try NPY.write([Int32(3), -1, 7], to: path("i4.npy"))
        XCTAssertEqual(try NPY.read(path: path("i4.npy")), .int32(values: [3, -1, 7], shape: [3]))
        try NPY.write([Int64.min, 5, 6, Int64.max], shape: [2, 2], to: path("i8.npy"))
        XCTAssertEqual(
            try NPY.read(path: path("i8.npy")), .int64(values: [.min, 5, 6, .max], shape: [2, 2]))
        try NPY.write([0, 9, 4], to: path("labels.npy"))
        XCTAssertEqual(try NPY.readIntegers(path: path("labels.npy")).values, [0, 9, 4])
        try NPY.write(Tensor(shape: [], scalars: [2]), to: path("scalar.npy"))
        XCTAssertEqual(try NPY.read(path: path("scalar.npy")).shape, [])

        XCTAssertNotNil(dataError { try NPY.write([Int32(1), 2], shape: [3], to: path("bad.npy")) })
        XCTAssertNotNil(dataError { try NPY.readTensor(path: path("labels.npy")) })
        let all = try bytes(path("x.npy"))
        for n in stride(from: 0, to: all.count, by: 5) {
            let p = try write(Array(all.prefix(n)), "cut.npy")
            XCTAssertNotNil(dataError { try NPY.read(path: p) }, "prefix \(n)")
        }
        var bigEndian = all
        bigEndian[try XCTUnwrap(all.firstIndex(of: UInt8(ascii: "<")))] = UInt8(ascii: ">")
        XCTAssertEqual(dataError { try NPY.read(path: try write(bigEndian, "be.npy")) }?.kind, .unsupported)
    }

    // MARK: Python cross-checks

    func testPythonReadsSafetensorsAndNPY() throws {
        // python3 as found on PATH, through env
        func python(_ arguments: [String]) -> (Int32, String)? {
            run("/usr/bin/env", ["python3"] + arguments)
        }
        guard python(["-c", "import numpy"])?.0 == 0 else {
            throw missingPrerequisite("python3 with numpy is not installed")
        }

        let st = path("model.safetensors")
        try Safetensors.write(sample, metadata: sampleMetadata, to: st)
        let x = Tensor(shape: [3, 1, 2, 2], scalars: (0..<12).map { Float($0) / 3 })
        try NPY.write(x, to: path("x.npy"))
        try NPY.write([Int32(4), 2, 0], to: path("y4.npy"))
        try NPY.write([7, 1], to: path("y8.npy"))

        var expected: [String: Any] = [:]
        for (name, t) in sample { expected[name] = ["shape": t.shape, "bits": t.scalars.map(\.bitPattern)] }
        let expectedJSON = String(
            decoding: try JSONSerialization.data(withJSONObject: [
                "tensors": expected, "order": sample.map(\.name), "metadata": sampleMetadata,
                "x": x.scalars.map(Double.init),
            ]), as: UTF8.self)
        try Data(expectedJSON.utf8).write(to: URL(fileURLWithPath: path("expected.json")))

        let script = #"""
            import io, json, struct, sys
            import numpy as np
            d = sys.argv[1]
            exp = json.load(open(d + "/expected.json"))
            raw = open(d + "/model.safetensors", "rb").read()
            (n,) = struct.unpack("<Q", raw[:8])
            assert n % 8 == 0, "header not padded to 8"
            header = json.loads(raw[8:8 + n].decode("utf-8"))
            data = raw[8 + n:]
            meta = header.pop("__metadata__", {})
            assert meta == exp["metadata"], meta
            assert list(header) == exp["order"], list(header)
            cursor = 0
            for name, info in header.items():
                b, e = info["data_offsets"]
                assert info["dtype"] == "F32" and b == cursor, (name, info)
                count = 1
                for s in info["shape"]:
                    count *= s
                assert e - b == 4 * count and info["shape"] == exp["tensors"][name]["shape"], (name, info)
                bits = list(struct.unpack("<%dI" % count, data[b:e]))
                assert bits == exp["tensors"][name]["bits"], name
                cursor = e
            assert cursor == len(data)
            x = np.load(d + "/x.npy")
            assert x.dtype == np.float32 and x.shape == (3, 1, 2, 2) and x.flags["C_CONTIGUOUS"]
            assert np.array_equal(x.ravel(), np.array(exp["x"], dtype=np.float32))
            buf = io.BytesIO()
            np.save(buf, x)
            assert buf.getvalue() == open(d + "/x.npy", "rb").read(), "bytes differ from numpy.save"
            y4, y8 = np.load(d + "/y4.npy"), np.load(d + "/y8.npy")
            assert y4.dtype == np.int32 and y4.tolist() == [4, 2, 0]
            assert y8.dtype == np.int64 and y8.tolist() == [7, 1]
            np.save(d + "/from_numpy.npy", np.arange(6, dtype="<f4").reshape(2, 3) / 4)
            np.save(d + "/from_numpy_i8.npy", np.array([[1, 2], [3, 4]], dtype="<i8"))
            print("ok")
            """#
        try Data(script.utf8).write(to: URL(fileURLWithPath: path("check.py")))
        let result = python([path("check.py"), directory])
        XCTAssertEqual(result?.0, 0, result?.1 ?? "python3 did not run")
        XCTAssertEqual(result?.1.trimmingCharacters(in: .whitespacesAndNewlines), "ok")

        let fromNumpy = try NPY.readTensor(path: path("from_numpy.npy"))
        XCTAssertEqual(fromNumpy, Tensor(shape: [2, 3], scalars: [0, 0.25, 0.5, 0.75, 1, 1.25]))
        XCTAssertEqual(
            try NPY.read(path: path("from_numpy_i8.npy")), .int64(values: [1, 2, 3, 4], shape: [2, 2]))
    }
}

// `brittle-bench bundle`: pack and unpack throughput (MB/s of unpacked data) of Brittle bundles
// against GNU tar piping through the zstd CLI at the same level and thread count, on a
// Fashion-MNIST dataset bundle and a 64 MiB float32 weights file. Brittle's numbers include
// what tar does not do: SHA-256 of every entry (pack: an extra pass; unpack: verification).
import ArgumentParser
import BrittleArchive
import BrittleDatasets
import BrittleIO
import BrittleNN
import Foundation

struct BundleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Bundle pack/unpack MB/s vs `tar -I 'zstd -LEVEL -T#'`.",
        discussion: "Example: brittle-bench bundle --level 3 --threads 1 --repeats 5")

    @Option(help: "zstd level for both.") var level: Int = 3
    @Option(help: "zstd worker threads for both (Brittle's `threads`, the CLI's -T#; 0: single-threaded, CLI -T1 then).")
    var threads: Int = 1
    @Option(help: "Timed repetitions (best kept).") var repeats: Int = 5
    @Option(help: "Size of the weights file in MiB.") var weightsMiB: Int = 64
    @Option(help: "Scratch directory.") var scratch: String = NSTemporaryDirectory()

    func run() throws {
        let root = scratch + "/brittle-bundle-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        guard shell("command -v zstd >/dev/null && command -v tar >/dev/null") == 0 else {
            throw ValidationError("needs GNU tar and the zstd CLI (apt-get install -y zstd)")
        }

        var workloads: [(name: String, dir: String)] = []
        // Fashion-MNIST dataset bundle contents: uint8 images + int64 labels as .npy.
        if let recipe = try? DatasetCatalog.recipe(named: "fashion-mnist"),
            FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory)
        {
            let bundle = root + "/fmnist-src.tar.zst"
            try DatasetImport.run(recipe, to: bundle, brittleVersion: "bench", command: "bench")
            let dir = root + "/fashion-mnist"
            try BundleReader.unpack(bundle, to: dir)
            try FileManager.default.removeItem(atPath: dir + "/manifest.json")
            workloads.append(("fashion-mnist dataset", dir))
        } else {
            print("(fashion-mnist not installed: apt-get install -y dataset-fashion-mnist; skipped)")
        }
        // Float32 weights N(0, 0.05) in one .safetensors file.
        let weightsDir = root + "/weights"
        try FileManager.default.createDirectory(atPath: weightsDir, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 1)
        let n = weightsMiB << 18
        let w = Tensor(shape: [n / 1024, 1024]) { out, count in for i in 0..<count { out[i] = 0.05 * rng.nextNormal() } }
        try Safetensors.write([(name: "weight", tensor: w)], to: weightsDir + "/model.safetensors")
        workloads.append(("\(weightsMiB) MiB float32 weights", weightsDir))

        let cliThreads = max(1, threads)
        let zstd = "zstd -q -\(level) -T\(cliThreads)\(level > 19 ? " --ultra" : "")"
        print("level \(level); Brittle threads=\(threads) vs `tar -I '\(zstd)'`; best of \(repeats); MB = 1e6 bytes of unpacked data")
        let table = Table([
            ("workload", 24), ("op", 6), ("MB", 7), ("brittle MB/s", 12), ("tar+zstd MB/s", 13), ("ratio", 6),
            ("compression", 11),
        ])
        table.printHeader()
        for (name, dir) in workloads {
            let bytes = Double(try directorySize(dir))
            let ours = root + "/ours.tar.zst", theirs = root + "/theirs.tar.zst"
            let files = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { isFile(dir + "/" + $0) }.sorted()
            let listFile = root + "/files.txt"
            try files.joined(separator: "\n").appending("\n").write(toFile: listFile, atomically: true, encoding: .utf8)
            let options = CompressionOptions(level: level, threads: threads)
            let manifest = BundleManifest(kind: .experiment, brittleVersion: "bench", created: CreationInfo(tool: "bench", command: "bench"))
            let pack = interleavedBestTimes(
                [
                    { _ = try? BundleWriter.pack(directory: dir, manifest: manifest, to: ours, compression: options) },
                    { _ = shell("tar -I '\(zstd)' -cf '\(theirs)' -C '\(dir)' -T '\(listFile)'") },
                ], repeats: repeats, minBatch: 0.3)
            let ourSize = Double(fileSize(ours)), theirSize = Double(fileSize(theirs))
            table.printRow(
                name, "pack", fmt(bytes / 1e6), fmt(bytes / pack[0] / 1e6), fmt(bytes / pack[1] / 1e6),
                fmt(pack[1] / pack[0], 2) + "x", fmt(bytes / ourSize, 3) + "/" + fmt(bytes / theirSize, 3))
            let outA = root + "/out-ours", outB = root + "/out-theirs"
            let unpack = interleavedBestTimes(
                [
                    {
                        try? FileManager.default.removeItem(atPath: outA)
                        _ = try? BundleReader.unpack(ours, to: outA)
                    },
                    {
                        try? FileManager.default.removeItem(atPath: outB)
                        _ = shell("mkdir -p '\(outB)' && tar -I 'zstd -d -q -T\(cliThreads)' -xf '\(theirs)' -C '\(outB)'")
                    },
                ], repeats: repeats, minBatch: 0.3)
            // Removing the previous output is inside both timings; it is small next to the write.
            table.printRow(
                name, "unpack", fmt(bytes / 1e6), fmt(bytes / unpack[0] / 1e6), fmt(bytes / unpack[1] / 1e6),
                fmt(unpack[1] / unpack[0], 2) + "x", "")
            guard (try? BundleReader.verify(ours)) != nil else { throw ValidationError("the benchmark's bundle does not verify") }
        }
        print("ratio = Brittle throughput / tar+zstd throughput (bar: >= 1.00x); compression = unpacked / packed size (Brittle/CLI)")
    }

    private func shell(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    private func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? 0
    }

    private func directorySize(_ dir: String) throws -> Int64 {
        try FileManager.default.subpathsOfDirectory(atPath: dir).map { fileSize(dir + "/" + $0) }.reduce(0, +)
    }
}

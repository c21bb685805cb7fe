// Fuzz targets for the binary file formats: bundles (tar+zstd, end to end), bundle manifests,
// .npy, safetensors, IDX (raw and gzip), CIFAR-10 batches and model checkpoints. Each calls the
// public decoders the `brittle` commands use; errors are swallowed, crashes are the findings.
// Not the decoders themselves (BrittleKit's BrittleIO / BrittleArchive / BrittleDatasets).
import BrittleArchive
import BrittleDatasets
import BrittleExperiments
import BrittleIO
import BrittleNN
import CArchive
import Foundation

enum FormatTargets {
    /// The unpacked-size cap the bundle target reads with (what `--max-size` would pass).
    static let bundleOptions = BundleReadOptions(maxUnpackedBytes: 64 << 20)

    /// Whole archive bytes: verified, its manifest read, every tensor entry decoded, and a
    /// dataset bundle's splits or a model bundle's model loaded as `train --dataset` and
    /// `evaluate --model` load them.
    static func bundle(_ bytes: [UInt8]) {
        readBundle(FuzzTargets.scratchFile("input.tar.zst", bytes))
    }

    /// The bytes as the bundle's uncompressed tar stream, zstd-compressed here and read as
    /// `bundle` reads: mutations reach tar headers and the manifest instead of zstd blocks.
    static func bundleTar(_ bytes: [UInt8]) {
        let path = FuzzTargets.scratchDirectory + "/input-tar.tar.zst"
        guard zstdCompress(bytes, to: path) else { fatalError("brittle-fuzz: cannot zstd-compress into \(path)") }
        readBundle(path)
    }

    private static func readBundle(_ path: String) {
        guard let manifest = try? BundleReader.verify(path, options: bundleOptions) else {
            _ = try? BundleReader.manifest(of: path)
            return
        }
        _ = try? BundleReader.manifest(of: path)
        let sink = CollectingSink.Collector()
        if (try? BundleReader.read(path, options: bundleOptions, sink: sink.sink(for:))) != nil {
            for (name, data) in sink.entries {
                if name.hasSuffix(".npy") {
                    _ = try? NPY.decode(data, path: name)
                    _ = try? NPYHeader.parse(data, path: name)
                } else if name.hasSuffix(".safetensors") {
                    _ = try? Safetensors.decode(data, path: name)
                    _ = try? SafetensorsHeader.parse(data, path: name)
                    _ = try? TensorHeaders.safetensors(data, path: name)
                } else if name == BundleManifest.fileName || name.hasSuffix(".json") {
                    _ = try? BundleManifest.decode(data, source: name)
                }
            }
        }
        switch manifest.kind {
        case .dataset:
            for split in DataSplit.allCases {
                _ = try? DatasetBundle.load(path, split: split, options: bundleOptions)
            }
        case .model, .experiment:
            _ = try? Checkpoint.load(path, registry: Schemas.registry, options: bundleOptions)
        }
    }

    /// `bytes` as one zstd frame in the file at `path` (libarchive's raw format: no tar layer).
    private static func zstdCompress(_ bytes: [UInt8], to path: String) -> Bool {
        _ = FuzzTargets.scratchFile("input-tar.tar.zst", [])  // makes the scratch directory
        guard let a = archive_write_new() else { return false }
        defer { archive_write_free(a) }
        guard archive_write_add_filter_zstd(a) == ARCHIVE_OK, archive_write_set_format_raw(a) == ARCHIVE_OK,
              archive_write_open_filename(a, path) == ARCHIVE_OK, let entry = archive_entry_new()
        else { return false }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "bundle.tar")
        archive_entry_set_filetype(entry, 0o100000)  // AE_IFREG (a macro Swift does not import)
        archive_entry_set_size(entry, Int64(bytes.count))
        guard archive_write_header(a, entry) == ARCHIVE_OK else { return false }
        let written = bytes.withUnsafeBytes { buffer in
            buffer.isEmpty ? 0 : archive_write_data(a, buffer.baseAddress, buffer.count)
        }
        return written == bytes.count && archive_write_close(a) == ARCHIVE_OK
    }

    /// Manifest bytes decoded, then used as `bundle inspect` uses them (sizes summed, re-encoded).
    static func manifest(_ bytes: [UInt8]) {
        guard let manifest = try? BundleManifest.decode(bytes, source: "fuzz.bundle") else { return }
        _ = manifest.totalSize
        _ = manifest.entries.first.flatMap { manifest.entry($0.path) }
        _ = try? manifest.encoded()
    }

    static func npy(_ bytes: [UInt8]) {
        _ = try? NPY.decode(bytes, path: "fuzz.npy")
        _ = try? NPYHeader.parse(bytes, path: "fuzz.npy")
        _ = try? TensorHeaders.describe(path: "fuzz.npy", prefix: bytes)
    }

    static func safetensors(_ bytes: [UInt8]) {
        _ = try? Safetensors.decode(bytes, path: "fuzz.safetensors")
        _ = try? SafetensorsHeader.parse(bytes, path: "fuzz.safetensors")
        _ = try? TensorHeaders.safetensors(bytes, path: "fuzz.safetensors")
        _ = try? TensorHeaders.describe(path: "fuzz.safetensors", prefix: bytes)
    }

    static func idxRaw(_ bytes: [UInt8]) {
        idx(bytes)
    }

    /// The bytes as a (possibly gzip-compressed) IDX file, read the way the loaders read it.
    static func idxGz(_ bytes: [UInt8]) {
        let path = FuzzTargets.scratchFile("input-idx.gz", bytes)
        guard let data = try? DecompressingReader.readAll(path: path) else { return }
        idx(data)
    }

    private static func idx(_ bytes: [UInt8]) {
        _ = try? IDX.images(from: bytes, file: "fuzz-idx3-ubyte")
        _ = try? IDX.imageHeader(bytes, file: "fuzz-idx3-ubyte")
        _ = try? IDX.labels(from: bytes, file: "fuzz-idx1-ubyte")
        _ = try? IDX.labels(from: bytes, file: "fuzz-idx1-ubyte", numClasses: 10)
    }

    static func cifar10(_ bytes: [UInt8]) {
        _ = try? CIFAR10.decodeBatch(bytes, file: "data_batch_fuzz.bin")
    }

    /// A model.safetensors as `evaluate --model` reads it: the metadata names an architecture
    /// plugin, its options, input shape, classes and input transforms; the model is built
    /// (under the memory budget) and the tensors loaded into it.
    static func checkpoint(_ bytes: [UInt8]) {
        _ = try? Checkpoint.load(safetensors: bytes, name: "fuzz/model.safetensors", registry: Schemas.registry)
    }
}

/// Keeps every entry's bytes in memory (the bundle's size is capped by `bundleOptions`).
enum CollectingSink {
    final class Collector: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var entries: [(String, [UInt8])] = []

        func sink(for entry: BundleEntry) -> (any BundleEntrySink)? {
            Entry(name: entry.path, owner: self)
        }

        fileprivate func finished(_ name: String, _ bytes: [UInt8]) {
            lock.lock()
            entries.append((name, bytes))
            lock.unlock()
        }
    }

    private final class Entry: BundleEntrySink {
        let name: String
        let owner: Collector
        var bytes: [UInt8] = []
        init(name: String, owner: Collector) { (self.name, self.owner) = (name, owner) }
        func write(_ chunk: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: chunk) }
        func finish() throws { owner.finished(name, bytes) }
    }
}

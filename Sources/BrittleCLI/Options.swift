// Option groups shared by subcommands: where the data comes from (checked here, loaded by
// BrittleExperiments' DataSource), threads, the memory budget and the bundle size cap; and the
// CLI's OptionError. Not the model / attack / seed options (ExperimentOptions.swift).
import ArgumentParser
import BrittleExperiments
import BrittleArchive
import BrittleGEMM
import BrittleDatasets
import BrittleIO
import BrittleNN
import Foundation

struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: a name from Datasets/ (fashion-mnist, mnist, cifar10, synthetic-features; see `brittle datasets list`), or a dataset bundle FILE.tar.zst.")
    var dataset: String = "fashion-mnist"

    @Option(help: "Directory of the raw source files: IDX files (train-images-idx3-ubyte[.gz], ...) for fashion-mnist/mnist (default: /usr/share/datasets/fashion-mnist), binary batches (data_batch_1.bin, ...) for cifar10. Without it, an imported bundle (`brittle datasets import`) is used.")
    var dataDir: String?

    @Option(parsing: .unconditional, help: "Use only the first N training images (quick experiments).")
    var limit: Int?

    @Option(parsing: .unconditional, help: "Use only the first N test images.")
    var testLimit: Int?

    @Option(help: "Test set, when it is not --dataset's own: a dataset name or bundle. Use it to test a model trained on a constructed training set (`brittle datasets build`, train split only) on the ORIGINAL test set, e.g. --test-dataset fashion-mnist.")
    var testDataset: String?

    func validate() throws {
        try DataOptions.check(dataset, flag: "--dataset", dataDir: dataDir)
        if let testDataset { try DataOptions.check(testDataset, flag: "--test-dataset", dataDir: dataDir) }
        if let l = limit, l < 1 { throw OptionError("--limit must be at least 1, got \(l)") }
        if let l = testLimit, l < 1 { throw OptionError("--test-limit must be at least 1, got \(l)") }
    }

    /// Checks that `dataset` (given as `flag`) names a known dataset or an existing bundle.
    static func check(_ dataset: String, flag: String, dataDir: String?) throws {
        if DatasetLoader.isBundlePath(dataset) {
            guard FileManager.default.fileExists(atPath: dataset) else {
                throw ValidationError("no dataset bundle at '\(dataset)' (make one with `brittle datasets import NAME`)")
            }
        } else if let names = try? DatasetCatalog.recipes().map(\.name) {
            guard names.contains(dataset) else {
                throw ValidationError("unknown dataset '\(dataset)'; known: \(names.joined(separator: ", ")), or a dataset bundle FILE.tar.zst")
            }
            let imported = FileManager.default.fileExists(atPath: DatasetCatalog.bundlePath(dataset))
            if dataset == "mnist" && dataDir == nil && !imported {
                throw ValidationError("\(flag) mnist needs --data-dir DIR with the MNIST IDX files (no Debian package ships MNIST), or `brittle datasets import mnist --from DIR` first")
            }
        } else {
            guard ["fashion-mnist", "mnist"].contains(dataset) else {
                throw ValidationError("unknown dataset '\(dataset)'; known: fashion-mnist, mnist (the Datasets/ recipes were not found: set BRITTLE_RECIPES_DIR)")
            }
            if dataset == "mnist" && dataDir == nil {
                throw ValidationError("\(flag) mnist needs --data-dir DIR with the MNIST IDX files (no Debian package ships MNIST)")
            }
        }
    }

    /// The data these options name: --dataset's training split, the test split of
    /// --test-dataset (default --dataset), cut to --limit / --test-limit.
    var source: DataSource {
        DataSource(dataset: dataset, dataDirectory: dataDir, trainLimit: limit, testLimit: testLimit, testDataset: testDataset)
    }
}

struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Worker threads (default: BRITTLE_THREADS, else all cores). Results are deterministic for a given count.")
    var threads: Int?

    func validate() throws {
        if let t = threads, t < 1 || t > 256 { throw OptionError("--threads must be in 1...256, got \(t)") }
    }

    func apply() {
        if let threads { Parallel.threads = threads }
    }
}


/// Rejects an output path that is an existing file, before any work starts.
func validateOutputDirectory(_ out: String, flag: String = "--out") throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
        throw ValidationError("\(flag) \(out) is an existing file; give a directory (it is created if missing)")
    }
}

/// A byte-count option's value (`8G`, `512M`, `1000000`); an impossible one is an OptionError.
func byteCount(_ text: String, flag: String) throws -> Int64 {
    do { return try MemoryBudget.parseBytes(text, flag: flag) } catch let e as MemoryBudgetError {
        throw OptionError(e.description)
    }
}

/// `--max-memory`: the memory budget models and batches are checked against before they are
/// allocated (train, evaluate, attack, datasets build, reproduce). Call `apply()` first in run().
struct MemoryOptions: ParsableArguments {
    // Unconditional, so "--max-memory -1" reaches the range check instead of "missing value".
    @Option(name: .customLong("max-memory"), parsing: .unconditional,
            help: ArgumentHelp("Memory budget for the model and its batches, e.g. 8G or 512M (default: 3/4 of physical memory or of the cgroup limit). Larger models are refused before they are allocated.", valueName: "bytes"))
    var maxMemory: String?

    func validate() throws {
        if let maxMemory { _ = try byteCount(maxMemory, flag: "--max-memory") }
    }

    /// Makes --max-memory the process's budget: for models and batches (MemoryBudget) and for
    /// sizes that files declare (MemoryLimit, checked by the readers).
    func apply() throws {
        guard let maxMemory else { return }
        let bytes = try byteCount(maxMemory, flag: "--max-memory")
        MemoryBudget.current = MemoryBudget(bytes: bytes, source: "--max-memory \(maxMemory)")
        MemoryLimit.bytes = bytes
    }
}

/// `--max-size`: the cap on a bundle's unpacked size, for every command that reads bundles.
struct MaxSizeOptions: ParsableArguments {
    @Option(name: .customLong("max-size"), parsing: .unconditional,
            help: ArgumentHelp("Refuse bundles that unpack to more than this many bytes, e.g. 64G or 500M (default: 64G).", valueName: "bytes"))
    var maxSizeText: String?

    func validate() throws {
        if let maxSizeText { _ = try byteCount(maxSizeText, flag: "--max-size") }
    }

    /// The cap in bytes (validated already).
    var maxSize: Int64 {
        maxSizeText.flatMap { try? byteCount($0, flag: "--max-size") } ?? BundleReadOptions.defaultMaxUnpackedBytes
    }

    /// Makes --max-size the cap of every bundle read in this process (models and datasets too).
    func apply() {
        if maxSizeText != nil { BundleReadOptions.defaultMaxUnpackedBytes = maxSize }
    }
}

/// A command-line value that cannot work (an impossible limit, a missing path, contradicting
/// options): "Error: ..." and exit status 1, like every other failure. (ArgumentParser would
/// give a ValidationError EX_USAGE, 64.)
struct OptionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

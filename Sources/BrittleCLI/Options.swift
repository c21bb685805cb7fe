// Option groups shared by subcommands: where the data comes from, and how many threads.
import ArgumentParser
import BrittleGEMM
import BrittleIO
import Foundation

struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: fashion-mnist, or mnist with --data-dir.")
    var dataset: String = "fashion-mnist"

    @Option(help: "Directory of IDX files (train-images-idx3-ubyte[.gz], ...). Default: /usr/share/datasets/fashion-mnist.")
    var dataDir: String?

    @Option(help: "Use only the first N training images (quick experiments).")
    var limit: Int?

    @Option(help: "Use only the first N test images.")
    var testLimit: Int?

    func validate() throws {
        guard ["fashion-mnist", "mnist"].contains(dataset) else {
            throw ValidationError("unknown dataset '\(dataset)'; known: fashion-mnist, mnist (mnist needs --data-dir)")
        }
        if dataset == "mnist" && dataDir == nil {
            throw ValidationError("--dataset mnist needs --data-dir DIR with the MNIST IDX files (no Debian package ships MNIST)")
        }
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1, got \(l)") }
        if let l = testLimit, l < 1 { throw ValidationError("--test-limit must be at least 1, got \(l)") }
    }

    func load(_ split: FashionMNIST.Split) throws -> LabeledDataset {
        var d = try FashionMNIST.load(directory: dataDir ?? FashionMNIST.defaultDirectory, split: split)
        if dataset == "mnist" {
            d.classNames = (0..<10).map(String.init)
            d.name = "mnist"
        }
        let cap = split == .train ? limit : testLimit
        if let cap, cap < d.count { d = d.subset(Array(0..<cap)) }
        return d
    }
}

struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads (default: BRITTLE_THREADS, else all cores). Results are deterministic for a given count.")
    var threads: Int?

    func validate() throws {
        if let t = threads, t < 1 || t > 256 { throw ValidationError("--threads must be in 1...256, got \(t)") }
    }

    func apply() {
        if let threads { Parallel.threads = threads }
    }
}


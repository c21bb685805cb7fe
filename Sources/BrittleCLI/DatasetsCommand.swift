// `brittle datasets list|import|show`: the recipes in Datasets/, importing a dataset's
// verified sources into a bundle in the data directory, and a dataset's counts and class balance.
// Not the loaders: see BrittleDatasets. (No PNG sample grid yet: it needs the figures module.)
import ArgumentParser
import BrittleExperiments
import BrittleFigures
import BrittleArchive
import BrittleDatasets
import BrittleIO
import BrittleNN
import Foundation

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "List, import and describe datasets.",
        discussion: """
            Recipes live in Datasets/*.json (classes, shapes, sources and their SHA-256, license, \
            citation). Imported bundles go to $BRITTLE_DATA_DIR, else ~/.local/share/brittle/datasets.
              brittle datasets import fashion-mnist
              brittle train --dataset fashion-mnist ...      (or --dataset FILE.tar.zst)
            """,
        subcommands: [List.self, Import.self, Show.self, Build.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the known datasets.")

        func run() throws {
            let recipes = try DatasetCatalog.recipes()
            print("name                 classes  image        train    test  source          imported")
            for r in recipes {
                let shape = r.imageShape.map(String.init).joined(separator: "x")
                let imported = FileManager.default.fileExists(atPath: DatasetCatalog.bundlePath(r.name)) ? "yes" : "no"
                let train = String(r.splits["train"] ?? 0), test = String(r.splits["test"] ?? 0)
                print(
                    r.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(r.classes).leftPad(8) + "  "
                        + shape.padding(toLength: 9, withPad: " ", startingAt: 0) + train.leftPad(9) + test.leftPad(8) + "  "
                        + r.source.kind.padding(toLength: 16, withPad: " ", startingAt: 0) + imported)
            }
            print("data directory: \(DatasetCatalog.dataDirectory)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a dataset's source files and pack them into a dataset bundle.",
            discussion: "Example: brittle datasets import cifar10 --from ~/Downloads/cifar-10-batches-bin")

        @Argument(help: "Dataset name (see `brittle datasets list`).") var name: String
        @Option(help: "Directory of the source files (default: the recipe's, e.g. the Debian package's).")
        var from: String?
        @Option(help: "Directory to write NAME.tar.zst into (default: $BRITTLE_DATA_DIR or ~/.local/share/brittle/datasets).")
        var to: String?
        @Option(help: "zstd level, 1...22.") var level: Int = 3
        @Option(help: "zstd worker threads, 0...64.") var threads: Int = 1

        func run() throws {
            let recipe = try DatasetCatalog.recipe(named: name)
            let path = DatasetCatalog.bundlePath(recipe.name, in: to)
            let start = Date()
            let m = try DatasetImport.run(
                recipe, from: from, to: path, compression: CompressionOptions(level: level, threads: threads),
                brittleVersion: brittleVersion, command: "datasets import \(name)")
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? 0
            let sources = m.configuration["source_files"]?.arrayValue?.count ?? 0
            print(
                "imported \(recipe.name): \(sources) source files verified, \(m.entries.count) arrays "
                    + "(\(formatBytes(m.totalSize))) -> \(path) (\(formatBytes(size)), "
                    + String(format: "%.1fs)", Date().timeIntervalSince(start)))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts and class balance of a dataset (name or bundle), and a PNG grid of samples per class.")

        @Argument(help: "Dataset name or dataset bundle FILE.tar.zst.") var name: String
        @Option(help: "Directory of the raw source files (as for --data-dir of train).") var dataDir: String?
        @Option(help: "Where to write the sample grid (default: NAME-samples.png in the current directory).") var grid: String?
        @Option(help: "Samples per class in the grid.") var perClass: Int = 8
        @OptionGroup var bundleLimit: MaxSizeOptions

        func validate() throws {
            guard (1...64).contains(perClass) else { throw ValidationError("--per-class must be in 1...64, got \(perClass)") }
        }

        func run() throws {
            bundleLimit.apply()
            if !DatasetLoader.isBundlePath(name) {
                let r = try DatasetCatalog.recipe(named: name)
                print("\(r.title) (\(r.name)): \(r.description)")
                print("source:   \(r.source.kind)\(r.source.package.map { ", Debian package \($0)" } ?? "")")
                print("license:  \(r.license)")
                print("cite:     \(r.citation)")
                let bundle = DatasetCatalog.bundlePath(r.name)
                print("bundle:   \(FileManager.default.fileExists(atPath: bundle) ? bundle : "not imported")")
            }
            for split in DataSplit.allCases {
                // A constructed set (`datasets build`) holds a training split only.
                if DatasetLoader.isBundlePath(name), let m = try? BundleReader.manifest(of: name),
                   m.entry(DatasetBundle.imagesEntry(split)) == nil {
                    print("\(split.rawValue): none in this bundle")
                    continue
                }
                let d = try DatasetLoader.load(name, split: split, sourceDirectory: dataDir)
                let counts = d.classCounts()
                let mean = d.images.scalars.reduce(0, +) / Float(max(1, d.images.count))
                print(
                    "\(split.rawValue): \(d.count) images of \(d.imageShape.map(String.init).joined(separator: "x")), "
                        + String(format: "pixel mean %.4f", mean))
                for (c, n) in counts.enumerated() {
                    let share = 100 * Double(n) / Double(max(1, d.count))
                    print(
                        "  \(String(c).leftPad(2)) \(d.classNames[c].padding(toLength: 12, withPad: " ", startingAt: 0))"
                            + "\(String(n).leftPad(7))  " + String(format: "%5.1f%%", share))
                }
                if split == .train {
                    // One row per class: the first `perClass` training images of that class.
                    let rows = (0..<d.numClasses).map { c -> [ImageGrid.Cell?] in
                        let idx = d.labels.indices.filter { d.labels[$0] == c }.prefix(perClass)
                        return idx.map { ImageGrid.Cell(d.images.slice($0..<($0 + 1)).reshaped(d.imageShape)) }
                    }
                    let path = grid ?? "\((name as NSString).lastPathComponent.replacingOccurrences(of: ".tar.zst", with: ""))-samples.png"
                    try ImageGrid(rows: rows, rowTitles: d.classNames, title: "\(d.name): \(perClass) training images per class").write(to: path)
                    print("sample grid: \(path)")
                }
            }
        }
    }
}

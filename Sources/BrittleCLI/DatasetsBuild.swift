// `brittle datasets build`: runs a construction plugin (e.g. the paper's constructions
// invert-representation and adversarial-relabel) on a source training set with a model, and writes
// the result as a dataset bundle (train split only) whose manifest holds the full construction.
// Not the transforms themselves (Plugins/Transforms) nor the bundle format (BrittleDatasets).
import ArgumentParser
import BrittleArchive
import BrittleDatasets
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

extension DatasetsCommand {
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a dataset by running a construction plugin (with a model) over a training set.",
            discussion: """
                Writes a dataset bundle with a train split only (images <f4 in [0, 1], labels <i8); its \
                manifest records the transform and its parameters, the source dataset, the model (path, \
                SHA-256, architecture), the seed and every figure the transform reported. Train on it and \
                test on the original test set with:
                  brittle train --dataset OUT.tar.zst --test-dataset fashion-mnist ...
                The paper's datasets (Ilyas et al. 2019):
                  D_R    --transform invert-representation --model ROBUST_MODEL
                  D_NR   --transform invert-representation --model STANDARD_MODEL
                  D_rand --transform adversarial-relabel:target-rule=random --model STANDARD_MODEL
                  D_det  --transform adversarial-relabel:target-rule=next --model STANDARD_MODEL
                """)

        @Option(help: "Construction plugin, as ID or ID:key=value,key=value (see `brittle plugins list` and `brittle plugins info ID`).")
        var transform: String

        @Option(help: "Model the construction uses (required): a run directory, a .safetensors file or a model bundle .tar.zst.")
        var model: String?

        @OptionGroup var seedOption: SeedOptions

        @Option(help: "Name of the built dataset (default: SOURCE-TRANSFORM, e.g. fashion-mnist-adversarial-relabel).")
        var name: String?

        @Option(help: "Output dataset bundle FILE.tar.zst (replaced if it exists).")
        var out: String

        @Option(help: "zstd level, 1...22.") var level: Int = 3

        @OptionGroup var data: DataOptions
        @OptionGroup var threads: ThreadOptions
        @OptionGroup var plugins: PluginOptions
        @OptionGroup var memory: MemoryOptions
        @OptionGroup var bundleLimit: MaxSizeOptions

        func validate() throws {
            do { _ = try parsePluginSpec(transform) } catch { throw ValidationError("--transform: \(error)") }
            guard out.hasSuffix(".tar.zst") else {
                throw ValidationError("--out must name a FILE.tar.zst (a dataset bundle), got '\(out)'")
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ValidationError("--out \(out) is a directory; give a FILE.tar.zst")
            }
            if data.testDataset != nil || data.testLimit != nil {
                throw ValidationError("datasets build transforms the training split only: --test-dataset and --test-limit do not apply")
            }
            if let model, !FileManager.default.fileExists(atPath: model) {
                throw ValidationError("--model \(model): no such file or directory")
            }
            guard CompressionOptions.levels.contains(level) else { throw ValidationError("--level must be in 1...22, got \(level)") }
            if let name, name.isEmpty || name.contains("/") || name.contains(":") {
                throw ValidationError("--name must be non-empty without '/' or ':', got '\(name)'")
            }
        }

        func run() throws {
            // The transform's configuration is validated before anything is loaded.
            let registry = try startComputing(threads, memory, bundleLimit, plugins)
            let construction = try ConstructionSpec(transform, registry: registry)
            guard model != nil else {
                throw ValidationError("\(construction.plugin.id) needs a model: pass --model (a run directory, .safetensors file or model bundle)")
            }
            let classifier = try model.map { try Checkpoint.load($0, registry: registry) }
            if let classifier {
                // Constructions run the model on `batch-size` examples at once (when they take one).
                let batch = construction.configuration.values["batch-size"].flatMap { Int($0.description) } ?? 0
                try MemoryBudget.current.check(classifier, use: .inference(batchSize: max(batch, MemoryBudget.evaluationBatchSize)))
            }
            let source = try data.source.train()
            note("building with \(construction.plugin.id) (\(construction.configuration.description)) from \(source.count) images of \(source.name)"
                 + (model.map { ", model \($0) (\(classifier!.architecture))" } ?? "") + ", seed \(seedOption.seed)")
            let output = try runConstruction(construction, source: source, model: classifier, seed: seedOption.seed)
            let command = CommandLine.arguments.dropFirst().joined(separator: " ")
            let manifest = try writeConstructedDataset(
                output, construction: construction, source: source,
                sourceInfo: ConstructionSource(dataset: data.dataset, limit: data.limit, dataDir: data.dataDir),
                model: classifier.flatMap { c in model.map { (c, $0) } }, seed: seedOption.seed, name: name, command: command,
                to: out, compression: CompressionOptions(level: level), registry: registry)

            let size = ((try? FileManager.default.attributesOfItem(atPath: out))?[.size] as? Int64) ?? 0
            let reported = output.reported
            let figures = reported.keys.filter { !$0.hasPrefix("batch-") }.sorted()
                .map { "\($0) \(String(format: "%.4f", reported[$0]!))" }.joined(separator: ", ")
            let datasetName = (try? manifest.configuration["recipe"]?.decode(DatasetRecipe.self).name) ?? nil
            print("built \(datasetName ?? out): \(output.dataset.count) images (\(formatBytes(manifest.totalSize)) -> \(formatBytes(size))) "
                  + String(format: "in %@", formatDuration(output.seconds)) + " -> \(out)")
            if !figures.isEmpty { print("reported: \(figures)") }
        }
    }
}

// `brittle datasets build`: runs a dataset-transform plugin (e.g. the paper's constructions
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
            abstract: "Build a dataset by running a transform plugin (with a model) over a training set.",
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

        @Option(help: "Transform plugin, as ID or ID:key=value,key=value (see `brittle plugins info ID`).")
        var transform: String

        @Option(help: "Model the transform uses: a run directory, a .safetensors file or a model bundle .tar.zst.")
        var model: String?

        @Option(help: "Seed of the transform's random choices (starting images, targets, attack seeds).")
        var seed: UInt64 = 0

        @Option(help: "Name of the built dataset (default: SOURCE-TRANSFORM, e.g. fashion-mnist-adversarial-relabel).")
        var name: String?

        @Option(help: "Output dataset bundle FILE.tar.zst (replaced if it exists).")
        var out: String

        @Option(help: "zstd level, 1...22.") var level: Int = 3

        @OptionGroup var data: DataOptions
        @OptionGroup var threads: ThreadOptions
        @OptionGroup var plugins: PluginOptions

        func validate() throws {
            do { _ = try parseTransformSpec(transform) } catch { throw ValidationError("--transform: \(error)") }
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
            threads.apply()
            plugins.load()
            // The transform's configuration is validated before anything is loaded.
            let (id, text) = try parseTransformSpec(transform)
            let plugin = try Registry.shared.transform(id)
            let configuration = try plugin.configuration(text)

            let classifier = try model.map { try Checkpoint.load($0) }
            let source = try data.load(.train)
            if let classifier {
                guard classifier.inputShape == source.imageShape else {
                    throw ValidationError("the model takes inputs \(classifier.inputShape), \(source.name) has images \(source.imageShape)")
                }
                guard classifier.classCount == source.numClasses else {
                    throw ValidationError("the model has \(classifier.classCount) classes, \(source.name) has \(source.numClasses)")
                }
            }
            note("building with \(id) (\(configuration.description)) from \(source.count) images of \(source.name)"
                 + (model.map { ", model \($0) (\(classifier!.architecture))" } ?? "") + ", seed \(seed)")

            var reported: [String: Double] = [:]
            let bar = ProgressBar(id, total: source.count)
            var lastStatus = ""
            // The bar draws its final line once, after the transform returns.
            let context = TransformContext(
                seed: seed, model: classifier, registry: .shared,
                progress: { done, _, status in
                    lastStatus = status
                    if done < source.count { bar.update(done, status) }
                },
                report: { key, value in reported[key] = value })
            let start = Date()
            let built = try plugin.apply(source, configuration: configuration, context: context)
            bar.update(source.count, lastStatus)
            let seconds = Date().timeIntervalSince(start)
            try check(built, against: source)

            // The manifest: the whole construction, enough to rebuild it.
            var construction: [String: JSONValue] = [
                "transform": .object([
                    "id": .string(plugin.id), "version": .string(plugin.version), "spec": .string(transform),
                    "parameters": .object(configuration.values.mapValues(json)),
                ]),
                "source": .object([
                    "dataset": .string(data.dataset), "name": .string(source.name), "split": .string("train"),
                    "count": .number(Double(source.count)), "limit": data.limit.map { .number(Double($0)) } ?? .null,
                    "data_dir": data.dataDir.map(JSONValue.string) ?? .null,
                ]),
                "seed": .number(Double(seed)),
                "reported": .object(reported.mapValues { $0.isFinite ? .number($0) : .null }),
                "model": .null,
            ]
            var pluginRecords = [PluginRecord(id: plugin.id, version: plugin.version)]
            if let classifier, let model {
                construction["model"] = try modelRecord(classifier, path: model)
                if let arch = Registry.shared.entry(classifier.architecture) {
                    pluginRecords.append(PluginRecord(id: arch.plugin.id, version: arch.plugin.version))
                }
            }
            // Plugins named by the transform's parameters (e.g. adversarial-relabel's attack).
            for case .string(let value) in configuration.values.values {
                if let p = Registry.shared.entry(value), !pluginRecords.contains(where: { $0.id == value }) {
                    pluginRecords.append(PluginRecord(id: p.plugin.id, version: p.plugin.version))
                }
            }
            let recipe = try derivedRecipe(source: source, built: built, transformID: plugin.id)
            let parent = (out as NSString).deletingLastPathComponent
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            let manifest = try DatasetBundle.write(
                recipe: recipe, splits: [.train: SplitArrays(built)], configuration: ["construction": .object(construction)],
                seeds: ["transform": seed], plugins: pluginRecords,
                created: CreationInfo(tool: "brittle \(brittleVersion)", command: CommandLine.arguments.dropFirst().joined(separator: " ")),
                brittleVersion: brittleVersion, to: out, compression: CompressionOptions(level: level))

            let size = ((try? FileManager.default.attributesOfItem(atPath: out))?[.size] as? Int64) ?? 0
            let figures = reported.keys.filter { !$0.hasPrefix("batch-") }.sorted()
                .map { "\($0) \(String(format: "%.4f", reported[$0]!))" }.joined(separator: ", ")
            print("built \(recipe.name): \(built.count) images (\(formatBytes(manifest.totalSize)) -> \(formatBytes(size))) "
                  + String(format: "in %@", formatDuration(seconds)) + " -> \(out)")
            if !figures.isEmpty { print("reported: \(figures)") }
        }

        /// The output must be a dataset of the source's image shape and classes, finite, in [0, 1].
        private func check(_ built: LabeledDataset, against source: LabeledDataset) throws {
            guard built.imageShape == source.imageShape, built.numClasses == source.numClasses else {
                throw ValidationError("\(transform) returned images \(built.imageShape) with \(built.numClasses) classes; "
                                      + "expected \(source.imageShape) with \(source.numClasses)")
            }
            if let bad = built.labels.first(where: { $0 < 0 || $0 >= built.numClasses }) {
                throw ValidationError("\(transform) returned label \(bad), outside 0..<\(built.numClasses)")
            }
            guard built.images.scalars.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
                throw ValidationError("\(transform) returned pixel values that are not finite numbers in [0, 1]")
            }
        }

        /// Path, SHA-256 of the weights file, architecture and configuration of the model used.
        private func modelRecord(_ m: Classifier, path: String) throws -> JSONValue {
            var isDirectory: ObjCBool = false
            var file = path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                file = (path as NSString).appendingPathComponent(Checkpoint.fileName)
            }
            let (digest, bytes) = try SHA256.hash(file: file)
            return .object([
                "path": .string(path), "file": .string(file), "sha256": .string(digest), "size": .number(Double(bytes)),
                "architecture": .string(m.architecture),
                "architecture_version": Registry.shared.entry(m.architecture).map { .string($0.plugin.version) } ?? .null,
                "configuration": .object(m.configuration.mapValues(JSONValue.string)),
                "input_transforms": .array(m.inputTransforms.map(JSONValue.string)),
                "input_shape": .array(m.inputShape.map { .number(Double($0)) }),
                "classes": .number(Double(m.classCount)),
            ])
        }

        /// The recipe recorded in the bundle: the source's classes and shapes, a train split only,
        /// and the source recipe's license and citation (the data is derived from it).
        private func derivedRecipe(source: LabeledDataset, built: LabeledDataset, transformID: String) throws -> DatasetRecipe {
            var base: DatasetRecipe?
            if DatasetLoader.isBundlePath(data.dataset) {
                base = try? BundleReader.manifest(of: data.dataset).configuration["recipe"]?.decode(DatasetRecipe.self)
            } else {
                base = try? DatasetCatalog.recipe(named: data.dataset)
            }
            let sourceName = base?.name ?? String(source.name.split(separator: ":").first ?? "dataset")
            let datasetName = name ?? "\(sourceName)-\(transformID)"
            let recipe: JSONValue = .object([
                "name": .string(datasetName),
                "title": .string("\(base?.title ?? sourceName), \(transformID)"),
                "description": .string("\(transformID) applied to the first \(source.count) training images of \(sourceName)"
                                       + (model.map { " with the model \($0)" } ?? "") + " (`brittle datasets build`)"),
                "classes": .number(Double(built.numClasses)),
                "class_names": .array(built.classNames.map(JSONValue.string)),
                "image_shape": .array(built.imageShape.map { .number(Double($0)) }),
                "splits": .object(["train": .number(Double(built.count))]),
                "source": .object([
                    "kind": .string("generated"), "format": .string("transform"), "files": .array([]),
                    "note": .string("brittle " + CommandLine.arguments.dropFirst().joined(separator: " ")),
                ]),
                "license": .string(base.map { "derived from \($0.name): \($0.license)" } ?? "derived data"),
                "citation": .string(base?.citation ?? ""),
            ])
            return try recipe.decode(DatasetRecipe.self)
        }
    }
}

/// A parameter value as JSON: numbers, booleans, strings, arrays of numbers.
private func json(_ v: ParameterValue) -> JSONValue {
    switch v {
    case .int(let i): return .number(Double(i))
    case .float(let f): return .number(f)
    case .bool(let b): return .bool(b)
    case .string(let s): return .string(s)
    case .intList(let l): return .array(l.map { .number(Double($0)) })
    case .floatList(let l): return .array(l.map { .number($0) })
    }
}

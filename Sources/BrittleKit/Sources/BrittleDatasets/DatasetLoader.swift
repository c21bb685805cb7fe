// DatasetImport and DatasetLoader: turning a recipe's sources (verified against the recipe's
// SHA-256) into a dataset bundle, and resolving what `--dataset` names (a recipe, an imported
// bundle, raw source files, a generated set, or a bundle path) into a LabeledDataset.
// Not the bundle format: see DatasetBundle.swift.

import BrittleArchive
import BrittleIO
import BrittleNN
import Foundation

/// Imports datasets from their sources into bundles.
public enum DatasetImport {
    /// The source files a recipe needs in `directory`, each with its SHA-256 checked against the
    /// recipe when pinned. IDX files may also be present uncompressed when the hash is not pinned.
    ///
    /// - Returns: (file name, path, sha256, size) of each file used.
    /// - Throws: `DataError(.missing)` naming the file and where to get it, or
    ///   `DataError(.mismatch)` naming the file whose hash differs.
    public static func verifySources(_ recipe: DatasetRecipe, in directory: String) throws
        -> [(name: String, path: String, sha256: String, size: Int64)]
    {
        var used: [(String, String, String, Int64)] = []
        for file in recipe.source.files {
            var path = directory + "/" + file.name
            if !FileManager.default.fileExists(atPath: path), file.sha256 == nil, file.name.hasSuffix(".gz"),
                FileManager.default.fileExists(atPath: String(path.dropLast(3)))
            {
                path = String(path.dropLast(3))
            }
            guard FileManager.default.fileExists(atPath: path) else {
                throw DataError(
                    .missing, path: directory, problem: "\(recipe.name): source file \(file.name) is not here",
                    fix: recipe.source.note ?? "Pass the directory holding the files with --from")
            }
            let (digest, size) = try SHA256.hash(file: path)
            if let expected = file.sha256, expected != digest {
                throw DataError(
                    .mismatch, path: path,
                    problem: "SHA-256 \(digest) differs from the recipe's \(expected)",
                    fix: "The file is not the one the recipe pins (corrupt or another version): "
                        + (recipe.source.package.map { "reinstall it with `apt-get install --reinstall \($0)`" }
                            ?? "get a fresh copy"))
            }
            used.append((POSIXFile.split(path).base, path, digest, size))
        }
        return used
    }

    /// Verifies the sources of `recipe` (in `directory`, default: the recipe's) and packs a
    /// dataset bundle at `bundlePath`.
    @discardableResult
    public static func run(
        _ recipe: DatasetRecipe, from directory: String? = nil, to bundlePath: String,
        compression: CompressionOptions = .init(), brittleVersion: String, command: String
    ) throws -> BundleManifest {
        var splits: [DataSplit: SplitArrays] = [:]
        var config: [String: JSONValue] = [:]
        var seeds: [String: UInt64] = [:]
        switch recipe.source.format {
        case "synthetic-features":
            let generator = SyntheticFeatures(recipe: recipe)
            for split in DataSplit.allCases { splits[split] = SplitArrays(generator.generate(split)) }
            config["parameters"] = try JSONValue.from(generator.parameters)
            seeds["data"] = generator.seed
        case "idx", "cifar10-binary":
            guard let dir = directory ?? recipe.source.directory else {
                throw DataError(
                    .missing, path: recipe.name, problem: "the \(recipe.title) files are supplied by you",
                    fix: (recipe.source.note ?? "") + " (brittle datasets import \(recipe.name) --from DIR)")
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw DataError(
                    .missing, path: dir, problem: "no such directory",
                    fix: recipe.source.package.map { "Install it with `apt-get install -y \($0)`, or pass --from DIR" }
                        ?? recipe.source.note ?? "Pass --from DIR")
            }
            let files = try verifySources(recipe, in: dir)
            config["source_files"] = .array(
                files.map { .object(["name": .string($0.name), "sha256": .string($0.sha256), "size": .number(Double($0.size))]) })
            if let package = recipe.source.package { config["source_package"] = .string(package) }
            for split in DataSplit.allCases {
                splits[split] = try rawSplit(recipe, split: split, files: files.map { ($0.name, $0.path) })
            }
        default:
            throw DataError(.unsupported, path: recipe.name, problem: "unknown source format '\(recipe.source.format)'")
        }
        let parent = POSIXFile.split(bundlePath).directory
        if parent != "." { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        return try DatasetBundle.write(
            recipe: recipe, splits: splits, configuration: config, seeds: seeds,
            created: CreationInfo(tool: "brittle \(brittleVersion)", command: command), brittleVersion: brittleVersion,
            to: bundlePath, compression: compression)
    }

    /// One split's raw pixels and labels from verified source files.
    static func rawSplit(_ recipe: DatasetRecipe, split: DataSplit, files: [(name: String, path: String)]) throws
        -> SplitArrays
    {
        if recipe.source.format == "cifar10-binary" {
            let dir = POSIXFile.split(files[0].path).directory
            let (pixels, labels) = try CIFAR10.loadRaw(directory: dir, split: split)
            return SplitArrays(pixels: pixels, labels: labels, imageShape: CIFAR10.imageShape)
        }
        let names = split.idxFileNames
        guard let imagesPath = files.first(where: { $0.name.hasPrefix(names.images) })?.path,
            let labelsPath = files.first(where: { $0.name.hasPrefix(names.labels) })?.path
        else { throw DataError(.missing, path: recipe.name, problem: "the recipe lists no \(split.rawValue) files") }
        let imageBytes = try DecompressingReader.readAll(path: imagesPath)
        let (count, rows, cols) = try IDX.imageHeader(imageBytes, file: imagesPath)
        let labels = try IDX.readLabels(path: labelsPath, numClasses: recipe.classes)
        guard labels.count == count else {
            throw DataError(
                .mismatch, path: imagesPath, problem: "\(count) images but \(labels.count) labels in \(labelsPath)")
        }
        return SplitArrays(pixels: Array(imageBytes[16...]), labels: labels, imageShape: [1, rows, cols])
    }
}

/// Resolves a dataset specification (what `--dataset` takes) into data.
public enum DatasetLoader {
    /// Whether `spec` names a bundle file rather than a dataset: it ends in `.tar.zst` (or
    /// `.tar`), or it contains a `/` and is an existing file.
    public static func isBundlePath(_ spec: String) -> Bool {
        var isDirectory: ObjCBool = false
        return spec.hasSuffix(".tar.zst") || spec.hasSuffix(".tar")
            || (spec.contains("/") && FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory)
                && !isDirectory.boolValue)
    }

    /// One split of `spec`:
    /// - a bundle path: that dataset bundle (verified);
    /// - `synthetic-features`: generated from its recipe;
    /// - `fashion-mnist` / `mnist`: the IDX files in `sourceDirectory` (default: the recipe's
    ///   directory), else the imported bundle;
    /// - `cifar10`: the binary batches in `sourceDirectory`, else the imported bundle;
    /// - any other recipe name: its imported bundle in `dataDirectory`.
    ///
    /// - Throws: `DataError` saying what is missing and how to get it.
    public static func load(
        _ spec: String, split: DataSplit, sourceDirectory: String? = nil, dataDirectory: String? = nil
    ) throws -> LabeledDataset {
        if isBundlePath(spec) { return try DatasetBundle.load(spec, split: split) }
        let recipe = try DatasetCatalog.recipe(named: spec)
        let bundle = DatasetCatalog.bundlePath(recipe.name, in: dataDirectory)
        let imported = FileManager.default.fileExists(atPath: bundle)
        switch recipe.source.format {
        case "synthetic-features":
            return SyntheticFeatures(recipe: recipe).generate(split)
        case "idx":
            if let dir = sourceDirectory ?? recipe.source.directory,
                sourceDirectory != nil || !imported || FileManager.default.fileExists(atPath: dir)
            {
                // Fashion-MNIST's own hint names its Debian package; any other IDX set names its files.
                let hint = recipe.name == "fashion-mnist" ? nil
                    : "\(recipe.name) needs its IDX files ("
                        + recipe.source.files.map(\.name).joined(separator: ", ")
                        + ") in the directory given with --data-dir. " + (recipe.source.note ?? "")
                var d = try FashionMNIST.load(
                    directory: dir, split: split, classNames: recipe.classNames, missingHint: hint)
                d.name = "\(recipe.name):\(split.rawValue)"
                return d
            }
        case "cifar10-binary":
            if let dir = sourceDirectory { return try CIFAR10.load(directory: dir, split: split) }
        default: break
        }
        guard imported else {
            throw DataError(
                .missing, path: bundle, problem: "\(recipe.name) is not imported and no source directory was given",
                fix: "Run `brittle datasets import \(recipe.name) --from DIR`, or pass --data-dir DIR. "
                    + (recipe.source.note ?? ""))
        }
        return try DatasetBundle.load(bundle, split: split)
    }
}

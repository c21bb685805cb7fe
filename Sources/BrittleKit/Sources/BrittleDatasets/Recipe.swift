// DatasetRecipe and DatasetCatalog: the JSON recipes in the repository's Datasets/ folder (one
// per known dataset: classes, shapes, source files and their SHA-256, license, citation) and
// where they and the imported dataset bundles live. Not a loader: see DatasetLoader.swift.
// Reference: Datasets/*.json.

import BrittleIO
import Foundation

/// One dataset's recipe (a file `Datasets/NAME.json`).
public struct DatasetRecipe: Codable, Sendable, Equatable {
    /// Where the data comes from.
    public struct Source: Codable, Sendable, Equatable {
        /// `debian-package`, `user-files` or `generated`.
        public var kind: String
        /// File format of the source: `idx`, `cifar10-binary` or `synthetic-features`.
        public var format: String
        /// The Debian package that installs the files, if any.
        public var package: String?
        /// The package's version the hashes were taken from.
        public var version: String?
        /// Where the package installs the files.
        public var directory: String?
        /// The source files, with their hashes when pinned.
        public var files: [SourceFile]
        /// How to get the files, in words.
        public var note: String?
    }

    /// A source file and its expected SHA-256 (nil: not pinned, only recorded on import).
    public struct SourceFile: Codable, Sendable, Equatable {
        /// File name inside the source directory.
        public var name: String
        /// `train` or `test`.
        public var split: String?
        /// `images`, `labels` or `batch`.
        public var role: String?
        /// Expected SHA-256 (hex), if pinned.
        public var sha256: String?
    }

    /// Id used on the command line, e.g. `fashion-mnist`.
    public var name: String
    /// Display name.
    public var title: String
    /// What the data is.
    public var description: String
    /// Number of classes.
    public var classes: Int
    /// Name of each class, by label.
    public var classNames: [String]
    /// Shape of one image, (C, H, W).
    public var imageShape: [Int]
    /// Examples per split (`train`, `test`).
    public var splits: [String: Int]
    /// Where the data comes from.
    public var source: Source
    /// Generator parameters (generated datasets only).
    public var parameters: [String: Double]?
    /// License of the data.
    public var license: String
    /// How to cite it.
    public var citation: String

    enum CodingKeys: String, CodingKey {
        case name, title, description, classes, splits, source, parameters, license, citation
        case classNames = "class_names"
        case imageShape = "image_shape"
    }

    /// Checks the recipe's internal consistency.
    public func validate(file: String) throws {
        func bad(_ why: String) -> DataError { DataError(.malformed, path: file, problem: why) }
        guard classNames.count == classes else { throw bad("\(classNames.count) class names for \(classes) classes") }
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw bad("image_shape \(imageShape) is not (C, H, W)")
        }
        guard ["debian-package", "user-files", "generated"].contains(source.kind) else {
            throw bad("unknown source kind '\(source.kind)'")
        }
        for f in source.files {
            if let h = f.sha256, h.count != 64 { throw bad("source file \(f.name): sha256 is not 64 hex digits") }
        }
    }
}

/// The known datasets and where their bundles are kept.
public enum DatasetCatalog {
    /// The folder of recipes: `$BRITTLE_RECIPES_DIR`, else the `Datasets/` folder of the Brittle
    /// checkout that holds the running executable (or this source file), else `./Datasets`.
    public static func recipesDirectory() throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["BRITTLE_RECIPES_DIR"] { candidates.append(env) }
        var executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            executable = URL(fileURLWithPath: exe)
        }
        for start in [executable, URL(fileURLWithPath: #filePath), URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/x")] {
            var dir = start.deletingLastPathComponent()
            for _ in 0..<7 {
                candidates.append(dir.appendingPathComponent("Datasets").path)
                dir = dir.deletingLastPathComponent()
            }
        }
        for c in candidates where FileManager.default.fileExists(atPath: c + "/fashion-mnist.json") { return c }
        throw DataError(
            .missing, path: "Datasets/", problem: "no dataset recipes found (looked in \(candidates.prefix(3).joined(separator: ", ")), ...)",
            fix: "Run Brittle from its checkout, or set BRITTLE_RECIPES_DIR to the Datasets/ folder")
    }

    /// Every recipe, sorted by name.
    public static func recipes() throws -> [DatasetRecipe] {
        let dir = try recipesDirectory()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { try load(dir + "/" + $0) }
    }

    /// The recipe called `name`.
    ///
    /// - Throws: `DataError(.missing)` listing the known names.
    public static func recipe(named name: String) throws -> DatasetRecipe {
        let dir = try recipesDirectory()
        let file = dir + "/" + name + ".json"
        guard !name.contains("/"), FileManager.default.fileExists(atPath: file) else {
            let known = (try? recipes().map(\.name).joined(separator: ", ")) ?? "?"
            throw DataError(
                .missing, path: dir, problem: "no dataset called '\(name)'",
                fix: "Known datasets: \(known) (or pass a dataset bundle .tar.zst)")
        }
        return try load(file)
    }

    /// Reads and validates one recipe file.
    public static func load(_ file: String) throws -> DatasetRecipe {
        let recipe: DatasetRecipe
        do {
            recipe = try JSONDecoder().decode(DatasetRecipe.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw DataError(.malformed, path: file, problem: "not a valid dataset recipe: \(error)")
        }
        try recipe.validate(file: file)
        return recipe
    }

    /// Where `datasets import` puts bundles: `$BRITTLE_DATA_DIR`, else
    /// `~/.local/share/brittle/datasets`.
    public static var dataDirectory: String {
        if let env = ProcessInfo.processInfo.environment["BRITTLE_DATA_DIR"], !env.isEmpty { return env }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share/brittle/datasets"
    }

    /// The bundle of dataset `name` in `directory` (default: `dataDirectory`).
    public static func bundlePath(_ name: String, in directory: String? = nil) -> String {
        (directory ?? dataDirectory) + "/" + name + ".tar.zst"
    }
}

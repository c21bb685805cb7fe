// BundleManifest: the `manifest.json` that opens every bundle (format version, kind, versions,
// plugins, configuration and seeds, creation info, and path/size/SHA-256/tensor shapes of every
// other entry), its JSON coding (sorted keys: deterministic bytes) and its validation.
// Not the reader or writer: see BundleReader.swift and BundleWriter.swift.

import BrittleIO
import Foundation

/// What a bundle holds.
public enum BundleKind: String, Codable, Sendable, CaseIterable {
    /// A dataset: images/labels (or features) as .npy, per split.
    case dataset
    /// A trained model: weights as .safetensors plus its description.
    case model
    /// A run directory of `train`, `evaluate` or `attack`: everything needed to reproduce it.
    case experiment
}

/// A plugin that took part in making a bundle.
public struct PluginRecord: Codable, Sendable, Equatable {
    /// Plugin id, kebab-case (e.g. `pgd-l2`).
    public var id: String
    /// The plugin's version string.
    public var version: String

    /// A record of plugin `id` at `version`.
    public init(id: String, version: String) {
        self.id = id
        self.version = version
    }
}

/// Who made a bundle and how. `time` is only set when asked for (e.g. from SOURCE_DATE_EPOCH):
/// a wall-clock time would make every pack of the same inputs differ.
public struct CreationInfo: Codable, Sendable, Equatable {
    /// The program and its version, e.g. `"brittle 0.1.0"`.
    public var tool: String
    /// The command that made the bundle, e.g. `"datasets import fashion-mnist"`.
    public var command: String
    /// Seconds since 1970 (UTC), when recorded.
    public var time: Int64?

    /// Creation info; `time` defaults to `SOURCE_DATE_EPOCH` when that is set, else none.
    public init(tool: String, command: String, time: Int64? = CreationInfo.sourceDateEpoch) {
        self.tool = tool
        self.command = command
        self.time = time
    }

    /// `SOURCE_DATE_EPOCH` from the environment (the reproducible-builds convention), if valid.
    public static var sourceDateEpoch: Int64? {
        ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0) }
    }
}

/// Element type and shape of one tensor inside an entry (.npy: one unnamed tensor;
/// .safetensors: one per tensor, named).
public struct TensorRecord: Codable, Sendable, Equatable {
    /// The tensor's name inside a .safetensors file; nil for an .npy file.
    public var name: String?
    /// The element type as the file spells it: NumPy `descr` (`<f4`, `|u1`, `<i8`) or
    /// safetensors dtype (`F32`).
    public var dtype: String
    /// The extents, outermost first.
    public var shape: [Int]

    /// A record of tensor `name` (nil for .npy) with `dtype` and `shape`.
    public init(name: String? = nil, dtype: String, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }
}

/// One file in a bundle, as listed by the manifest.
public struct BundleEntry: Codable, Sendable, Equatable {
    /// Relative path inside the bundle (`/`-separated, no `.` or `..` components).
    public var path: String
    /// Size in bytes.
    public var size: Int64
    /// SHA-256 of the bytes, 64 lowercase hex digits (`sha256sum` form).
    public var sha256: String
    /// The tensors of an .npy or .safetensors entry; nil for other files.
    public var tensors: [TensorRecord]?

    /// An entry record.
    public init(path: String, size: Int64, sha256: String, tensors: [TensorRecord]? = nil) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.tensors = tensors
    }
}

/// The manifest of a bundle: always the archive's first entry, `manifest.json`.
public struct BundleManifest: Codable, Sendable, Equatable {
    /// Name of the manifest entry.
    public static let fileName = "manifest.json"
    /// The value of `format`.
    public static let formatName = "brittle-bundle"
    /// The format version this code writes and reads.
    public static let currentFormatVersion = 1
    /// Largest manifest read (16 MiB): a bigger one is not a Brittle manifest.
    public static let maxSize = 16 << 20

    /// Always `"brittle-bundle"`.
    public var format: String = BundleManifest.formatName
    /// Version of this layout; readers refuse versions they do not know.
    public var formatVersion: Int = BundleManifest.currentFormatVersion
    /// What the bundle holds.
    public var kind: BundleKind
    /// Version of Brittle that wrote the bundle.
    public var brittleVersion: String
    /// Plugins (id and version) that took part; empty when none did.
    public var plugins: [PluginRecord]
    /// The full configuration that produced the contents (command options, recipe, ...).
    public var configuration: JSONValue
    /// Every seed used, by purpose (e.g. `"init"`, `"shuffle"`, `"data"`).
    public var seeds: [String: UInt64]
    /// Who made the bundle and how.
    public var created: CreationInfo
    /// Every entry but the manifest, in archive order (sorted by path).
    public var entries: [BundleEntry]

    /// A manifest; `entries` is filled in by `BundleWriter`.
    public init(
        kind: BundleKind, brittleVersion: String, plugins: [PluginRecord] = [],
        configuration: JSONValue = .object([:]), seeds: [String: UInt64] = [:], created: CreationInfo,
        entries: [BundleEntry] = []
    ) {
        self.kind = kind
        self.brittleVersion = brittleVersion
        self.plugins = plugins
        self.configuration = configuration
        self.seeds = seeds
        self.created = created
        self.entries = entries
    }

    enum CodingKeys: String, CodingKey {
        case format, kind, plugins, configuration, seeds, created, entries
        case formatVersion = "format_version"
        case brittleVersion = "brittle_version"
    }

    /// Total bytes of all entries (saturating at `Int64.max`: a decoded manifest was checked
    /// not to overflow, see `validate`).
    public var totalSize: Int64 {
        entries.reduce(Int64(0)) { total, e in
            let (s, overflow) = total.addingReportingOverflow(max(e.size, 0))
            return overflow ? .max : s
        }
    }

    /// The entry at `path`, if listed.
    public func entry(_ path: String) -> BundleEntry? { entries.first { $0.path == path } }

    /// The manifest as deterministic JSON (sorted keys, two-space indent, trailing newline).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// Parses and validates manifest bytes; `source` names the bundle in errors.
    ///
    /// - Throws: `DataError`: not JSON or not a Brittle manifest (`.malformed`), a format
    ///   version this code does not know (`.unsupported`), or invalid entries (unsafe or
    ///   duplicate paths, bad sizes or hashes).
    public static func decode(_ bytes: [UInt8], source: String) throws -> BundleManifest {
        let data = Data(bytes)
        // The version first, so a newer layout gets "unknown version", not a schema complaint.
        struct Header: Decodable {
            var format: String?
            var formatVersion: Int?
            enum CodingKeys: String, CodingKey {
                case format
                case formatVersion = "format_version"
            }
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw DataError(
                .malformed, path: source, problem: "manifest.json is not valid JSON (\(describe(error)))",
                fix: "The bundle is damaged or was not written by Brittle: pack it again")
        }
        guard header.format == formatName, let version = header.formatVersion else {
            throw DataError(
                .malformed, path: source,
                problem: "manifest.json is not a Brittle bundle manifest (no \"format\": \"\(formatName)\" "
                    + "with a \"format_version\")",
                fix: "Pack the directory with `brittle bundle pack`")
        }
        guard version == currentFormatVersion else {
            throw DataError(
                .unsupported, path: source,
                problem: "bundle format version \(version); this Brittle reads version \(currentFormatVersion)",
                fix: version > currentFormatVersion
                    ? "Update Brittle to read it" : "Re-create the bundle with this Brittle")
        }
        let manifest: BundleManifest
        do {
            manifest = try JSONDecoder().decode(BundleManifest.self, from: data)
        } catch {
            throw DataError(
                .malformed, path: source, problem: "malformed manifest.json: \(describe(error))",
                fix: "The bundle is damaged or was not written by Brittle: pack it again")
        }
        try manifest.validate(source: source)
        return manifest
    }

    /// Checks every entry: safe unique paths, no file that is also a directory, non-negative
    /// sizes whose total fits in 64 bits, well-formed hashes, tensor shapes whose element
    /// counts fit in `Int`, and printable plugin records.
    public func validate(source: String) throws {
        var files = Set<String>()
        var total: Int64 = 0
        for p in plugins where p.id.containsControlCharacters || p.version.containsControlCharacters {
            throw DataError(
                .malformed, path: source,
                problem: "plugin record '\(p.id.escapingControlCharacters)' holds control characters",
                fix: "The bundle was not written by Brittle")
        }
        for e in entries {
            try BundlePath.check(e.path, source: source)
            guard e.path != Self.fileName else {
                throw DataError(.malformed, path: source, problem: "the manifest lists itself as an entry")
            }
            guard files.insert(e.path).inserted else {
                throw DataError(
                    .malformed, path: source, problem: "the manifest lists '\(e.path)' twice (duplicate entry name)")
            }
            guard e.size >= 0 else {
                throw DataError(.malformed, path: source, problem: "entry '\(e.path)' has negative size \(e.size)")
            }
            let (sum, overflow) = total.addingReportingOverflow(e.size)
            guard !overflow else {
                throw DataError(
                    .malformed, path: source,
                    problem: "the manifest's entry sizes overflow at '\(e.path)' (\(total) + \(e.size) bytes exceeds "
                        + "the 64-bit limit of \(Int64.max))",
                    fix: "The bundle is damaged or hostile: it was not written by Brittle")
            }
            total = sum
            for t in e.tensors ?? [] {
                _ = try Checked.elementCount(
                    t.shape, path: source, field: "entry '\(e.path)' tensor \(t.name.map { "'\($0.escapingControlCharacters)' " } ?? "")shape")
            }
            guard e.sha256.utf8.count == 64, e.sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
            else {
                throw DataError(
                    .malformed, path: source,
                    problem: "entry '\(e.path)' has sha256 '\(e.sha256.escapingControlCharacters)', not 64 lowercase hex digits")
            }
        }
        for path in files {
            var prefix = Substring(path)
            while let slash = prefix.lastIndex(of: "/") {
                prefix = prefix[..<slash]
                if files.contains(String(prefix)) {
                    throw DataError(
                        .malformed, path: source,
                        problem: "entry '\(path)' lies inside '\(prefix)', which is a file")
                }
            }
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\"" + at(context.codingPath)
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return context.debugDescription + at(context.codingPath)
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription + at(context.codingPath)
        default: return "\(error)"
        }
    }

    private static func at(_ path: [CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}

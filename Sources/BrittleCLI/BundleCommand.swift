// `brittle bundle pack|inspect|verify|unpack`: datasets, models and run directories as
// verifiable, reproducible .tar.zst bundles (manifest.json first, SHA-256 per entry).
// Not the format itself: see BrittleArchive (BundleWriter, BundleReader, Manifest).
import ArgumentParser
import BrittleExperiments
import BrittleArchive
import BrittleIO
import Foundation

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Pack, inspect, verify and unpack .tar.zst bundles.",
        discussion: """
            A bundle is a tar (pax) + zstd archive whose first entry, manifest.json, lists every \
            other file with its size and SHA-256 (and dtype/shape for .npy and .safetensors). \
            `tar --zstd -xf FILE` opens it without Brittle.
              brittle bundle pack runs/cnn -o cnn.tar.zst
              brittle bundle verify cnn.tar.zst
            """,
        subcommands: [Pack.self, Inspect.self, Verify.self, Unpack.self])

    struct Pack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pack a directory into a bundle.",
            discussion: """
                Every regular file under DIR is packed, sorted by path, with mtime 0 and owner 0: \
                the same files and options give the same bytes. When DIR holds a manifest.json (an \
                unpacked bundle), its kind, configuration and seeds are kept; a run directory's \
                metrics.json becomes the configuration.
                """)

        @Argument(help: "Directory to pack.") var directory: String
        @Option(name: .shortAndLong, help: "Bundle to write (FILE.tar.zst); replaced atomically.") var output: String
        @Option(help: "zstd level, 1...22.") var level: Int = 3
        @Option(help: "zstd worker threads, 0...64 (0: the calling thread). Part of the output's identity.")
        var threads: Int = 1
        // A string, not BundleKind: a retroactive ExpressibleByArgument conformance would put
        // symbols named after a kit type into the host (scripts/check-layout.sh flags them).
        @Option(help: "dataset, model or experiment (default: from DIR's manifest.json, else guessed).")
        var kind: String?

        func validate() throws {
            do { try CompressionOptions(level: level, threads: threads).validate() } catch let e as DataError {
                throw ValidationError(e.description)
            }
            if let kind, BundleKind(rawValue: kind) == nil {
                throw ValidationError("--kind must be one of \(BundleKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(kind)'")
            }
        }

        func run() throws {
            let start = Date()
            var manifest = try describe(directory)
            if let kind { manifest.kind = BundleKind(rawValue: kind)! }
            let written = try BundleWriter.pack(
                directory: directory, manifest: manifest, to: output,
                compression: CompressionOptions(level: level, threads: threads))
            let size = ((try? FileManager.default.attributesOfItem(atPath: output))?[.size] as? Int64) ?? 0
            print(
                "packed \(written.entries.count) files (\(formatBytes(written.totalSize))) into \(output) "
                    + "(\(formatBytes(size)), \(written.kind.rawValue), \(String(format: "%.1fs", Date().timeIntervalSince(start))))")
        }

        /// The manifest fields for DIR: from its manifest.json, else from what it holds.
        func describe(_ directory: String) throws -> BundleManifest {
            let created = CreationInfo(tool: "brittle \(brittleVersion)", command: "bundle pack")
            let existing = directory + "/" + BundleManifest.fileName
            if FileManager.default.fileExists(atPath: existing) {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: existing)))
                var m = try BundleManifest.decode(bytes, source: existing)
                m.entries = []
                return m
            }
            let fm = FileManager.default
            let has = { (name: String) in fm.fileExists(atPath: directory + "/" + name) }
            let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            var kind = BundleKind.experiment
            if has("train/images.npy") || has("test/images.npy") {
                kind = .dataset
            } else if !has("metrics.json"), names.contains(where: { $0.hasSuffix(".safetensors") }) {
                kind = .model
            }
            var configuration = JSONValue.object([:])
            var seeds: [String: UInt64] = [:]
            if has("metrics.json"), let data = fm.contents(atPath: directory + "/metrics.json"),
                let run = try? JSONDecoder().decode(JSONValue.self, from: data)
            {
                configuration = .object(["run": run])
                if let seed = run["configuration"]?["seed"]?.numberValue { seeds["train"] = UInt64(seed) }
            }
            return BundleManifest(
                kind: kind, brittleVersion: brittleVersion, configuration: configuration, seeds: seeds, created: created)
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarise a bundle's manifest (reads only the first entry).")

        @Argument(help: "Bundle file.") var file: String
        @OptionGroup var limit: MaxSizeOptions

        func run() throws {
            // Every field shown comes from the bundle: control characters are printed escaped.
            func print(_ line: String) { Swift.print(line.escapingControlCharacters) }
            let m = try BundleReader.manifest(of: file)
            if m.totalSize > limit.maxSize {
                note("warning: \(file) unpacks to \(formatBytes(m.totalSize)), more than --max-size \(formatBytes(limit.maxSize)): verify and unpack will refuse it unless --max-size is raised")
            }
            let size = ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int64) ?? 0
            print("bundle:     \(file) (\(formatBytes(size)), ratio \(String(format: "%.2f", Double(m.totalSize) / Double(max(size, 1)))))")
            print("format:     \(m.format) v\(m.formatVersion), kind \(m.kind.rawValue), brittle \(m.brittleVersion)")
            var created = "\(m.created.tool): \(m.created.command)"
            if let t = m.created.time { created += " at \(Date(timeIntervalSince1970: TimeInterval(t)))" }
            print("created:    \(created)")
            print("plugins:    \(m.plugins.isEmpty ? "none" : m.plugins.map { "\($0.id) \($0.version)" }.joined(separator: ", "))")
            print("seeds:      \(m.seeds.isEmpty ? "none" : m.seeds.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
            if case .object(let o) = m.configuration, !o.isEmpty {
                print("config:     \(o.keys.sorted().joined(separator: ", "))")
            }
            print("entries:    \(m.entries.count), \(formatBytes(m.totalSize)) unpacked")
            let width = min(48, m.entries.map(\.path.count).max() ?? 4)
            for e in m.entries {
                var line = e.path.padding(toLength: max(width, e.path.count), withPad: " ", startingAt: 0)
                line += "  " + formatBytes(e.size).leftPad(10) + "  " + e.sha256.prefix(12)
                if let t = e.tensors {
                    let shown = t.prefix(3).map { ($0.name.map { "\($0) " } ?? "") + "\($0.dtype) \($0.shape)" }
                    line += "  " + shown.joined(separator: "; ") + (t.count > 3 ? "; ... (\(t.count) tensors)" : "")
                }
                print("  " + line)
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every entry's size and SHA-256; fail naming the first bad entry.")

        @Argument(help: "Bundle file.") var file: String
        @OptionGroup var limit: MaxSizeOptions

        func run() throws {
            let start = Date()
            let m = try BundleReader.verify(file, options: BundleReadOptions(maxUnpackedBytes: limit.maxSize))
            print(
                "OK: \(file): \(m.entries.count) entries, \(formatBytes(m.totalSize)) verified "
                    + "(\(String(format: "%.1fs", Date().timeIntervalSince(start))))")
        }
    }

    struct Unpack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify and unpack a bundle into a directory.",
            discussion: "Nothing is written outside DIR; on any error DIR is left as it was.")

        @Argument(help: "Bundle file.") var file: String
        @Option(name: .shortAndLong, help: "Directory to unpack into (created if absent).") var output: String
        @OptionGroup var limit: MaxSizeOptions

        func run() throws {
            let m = try BundleReader.unpack(file, to: output, options: BundleReadOptions(maxUnpackedBytes: limit.maxSize))
            print("unpacked \(m.entries.count) files (\(formatBytes(m.totalSize))) and manifest.json into \(output)")
        }
    }
}


/// "1.5 MB", "812 B".
func formatBytes(_ n: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(n)
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

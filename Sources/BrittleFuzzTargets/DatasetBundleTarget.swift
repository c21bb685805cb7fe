// The `dataset-bundle` fuzz target: the input is a dataset bundle's CONTENTS (configuration JSON
// and the .npy arrays of both splits, separated by "\n--8<--\n"), packed here by BundleWriter
// with correct hashes and then loaded as `train --dataset` loads it. Byte mutations of a whole
// bundle never get past SHA-256 verification; this reaches the decoding behind it. Not a writer test.
import BrittleArchive
import BrittleDatasets
import BrittleIO
import BrittleNN
import Foundation

enum DatasetBundleTarget {
    /// Separates the parts of an input.
    static let separator = Array("\n--8<--\n".utf8)

    /// The entries the parts after the configuration become, in order.
    static let entries = ["train/images.npy", "train/labels.npy", "test/images.npy", "test/labels.npy"]

    static func run(_ bytes: [UInt8]) {
        let parts = split(bytes)
        let configuration = parts.first.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0)) }
        let sources = zip(entries, parts.dropFirst()).map { BundleSource.bytes($1, as: $0) }
        let manifest = BundleManifest(
            kind: .dataset, brittleVersion: "fuzz", configuration: configuration ?? .object([:]),
            created: CreationInfo(tool: "brittle-fuzz", command: "dataset-bundle", time: 0))
        let path = FuzzTargets.scratchDirectory + "/dataset.bundle"
        // The writer describes each .npy entry from its header; a header it refuses ends the input.
        _ = FuzzTargets.scratchFile("dataset.bundle", [])
        guard (try? BundleWriter.write(sources, manifest: manifest, to: path, compression: .init(level: 1))) != nil
        else { return }
        for split in DataSplit.allCases {
            _ = try? DatasetBundle.load(path, split: split, options: FormatTargets.bundleOptions)
        }
    }

    /// `bytes` cut at each separator (at most 1 + entries.count parts).
    static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var start = 0, i = 0
        while i + separator.count <= bytes.count, parts.count < entries.count {
            if bytes[i] == separator[0], Array(bytes[i..<(i + separator.count)]) == separator {
                parts.append(Array(bytes[start..<i]))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(Array(bytes[start...]))
        return parts
    }
}

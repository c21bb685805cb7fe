// The fuzz targets: one function per parser of untrusted bytes, by kebab-case name. Each feeds
// its bytes to the parser and must never crash; a thrown error is the parser correctly refusing.
// Shared by the libFuzzer entry point (Sources/BrittleFuzz) and the regression tests. Not a
// fuzzer itself, and not where parsers are fixed (they live in BrittleKit / BrittleExperiments).
import BrittleExperiments
import BrittleIO
import Foundation

/// Every fuzz target, and the scratch directory the file-based ones write into.
public enum FuzzTargets {
    /// One fuzz target: its name (`scripts/fuzz.sh NAME`) and the function taking the input.
    public typealias Target = (name: String, run: ([UInt8]) -> Void)

    /// Every target, in the order `scripts/fuzz-all.sh` runs them.
    public static let all: [Target] = [
        ("bundle", FormatTargets.bundle),
        ("bundle-tar", FormatTargets.bundleTar),
        ("dataset-bundle", DatasetBundleTarget.run),
        ("manifest", FormatTargets.manifest),
        ("npy", FormatTargets.npy),
        ("safetensors", FormatTargets.safetensors),
        ("idx-raw", FormatTargets.idxRaw),
        ("idx-gz", FormatTargets.idxGz),
        ("cifar10", FormatTargets.cifar10),
        ("checkpoint", FormatTargets.checkpoint),
        ("reproduce-config", TextTargets.reproduceConfig),
        ("reproduce-set", TextTargets.reproduceSet),
        ("plugin-params", TextTargets.pluginParams),
        ("transform-spec", TextTargets.transformSpec),
    ]

    /// The target called `name`, if there is one.
    public static func named(_ name: String) -> Target? { all.first { $0.name == name } }

    /// All target names, comma-separated (for usage messages).
    public static var names: String { all.map(\.name).joined(separator: ", ") }

    /// Runs `name` on `bytes`; false if there is no such target.
    @discardableResult
    public static func run(_ name: String, _ bytes: [UInt8]) -> Bool {
        guard let target = named(name) else { return false }
        target.run(bytes)
        return true
    }

    // MARK: Memory budget

    /// The budget the fuzzer runs under, as `--max-memory 256M` would set it: a quarter of
    /// libFuzzer's -malloc_limit_mb=1024, so an allocation that libFuzzer reports was not
    /// checked against the budget first (or was checked against the wrong size).
    public static let fuzzMemoryBudget: Int64 = 256 << 20

    /// Sets the process's memory budget (both the kit's `MemoryLimit` and the experiments'
    /// `MemoryBudget`), returning the previous one for `restoreMemoryBudget`.
    @discardableResult
    public static func limitMemory(_ bytes: Int64 = fuzzMemoryBudget) -> (Int64, MemoryBudget) {
        let previous = (MemoryLimit.bytes, MemoryBudget.current)
        MemoryLimit.bytes = bytes
        MemoryBudget.current = MemoryBudget(bytes: bytes, source: "the fuzzer's budget")
        return previous
    }

    /// Puts back a budget `limitMemory` returned.
    public static func restoreMemoryBudget(_ previous: (Int64, MemoryBudget)) {
        MemoryLimit.bytes = previous.0
        MemoryBudget.current = previous.1
    }

    // MARK: Scratch files

    /// `$TMPDIR/brittle-fuzz-<pid>`: one per process, created on first use and removed at exit.
    public static let scratchDirectory: String = {
        let dir = TemporaryPaths.directory + "/brittle-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { FuzzTargets.removeScratch() }
        return dir
    }()

    /// Removes the scratch directory (also done at exit; the next scratch file makes it again).
    public static func removeScratch() {
        try? FileManager.default.removeItem(atPath: scratchDirectory)
    }

    /// Writes `bytes` to the scratch file `name` (replacing it) and returns its path.
    static func scratchFile(_ name: String, _ bytes: [UInt8]) -> String {
        let path = scratchDirectory + "/" + name
        if FileManager.default.createFile(atPath: path, contents: Data(bytes)) { return path }
        // Removed since (removeScratch): make it again. A write that still fails is the
        // harness's problem, not the parser's: stop loudly.
        try? FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            fatalError("brittle-fuzz: cannot write the scratch file \(path)")
        }
        return path
    }
}

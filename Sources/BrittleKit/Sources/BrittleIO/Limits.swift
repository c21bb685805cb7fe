// Limits on untrusted numbers: sizes, counts and shapes read from files or the command line
// are summed and multiplied here, with overflow reported as a `DataError` naming the file, the
// field and the limit (never a trap), and checked against the process's memory budget before
// anything is allocated from them. Not the model's memory estimate: that is BrittlePlugins'.

import Foundation

/// Checked arithmetic on numbers that came from outside the process.
public enum Checked {
    /// `a + b`, or a `DataError` naming `field` of `path` when the sum overflows.
    public static func sum(_ a: Int64, _ b: Int64, path: String, field: String) throws -> Int64 {
        let (s, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw tooLarge(path, field, "\(a) + \(b)", limit: "\(Int64.max)") }
        return s
    }

    /// The sum of `values`, checked; every value must be non-negative.
    public static func total(_ values: some Sequence<Int64>, path: String, field: String) throws -> Int64 {
        var total: Int64 = 0
        for v in values {
            guard v >= 0 else {
                throw DataError(.malformed, path: path, problem: "\(field) is negative (\(v))")
            }
            total = try sum(total, v, path: path, field: field)
        }
        return total
    }

    /// `a * b`, or a `DataError` when the product overflows.
    public static func product(_ a: Int, _ b: Int, path: String, field: String) throws -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw tooLarge(path, field, "\(a) x \(b)", limit: "\(Int.max)") }
        return p
    }

    /// The number of elements of `shape` (1 for a scalar), checked: every extent non-negative,
    /// the product within `Int` and at most `limit`.
    public static func elementCount(
        _ shape: [Int], path: String, field: String = "shape", limit: Int = .max
    ) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw DataError(.malformed, path: path, problem: "\(field) \(shape) has a negative extent")
        }
        if shape.contains(0) { return 0 }
        var count = 1
        for d in shape { count = try product(count, d, path: path, field: "\(field) \(shape)") }
        guard count <= limit else {
            throw DataError(
                .unsupported, path: path,
                problem: "\(field) \(shape) holds \(count) elements, more than the limit of \(limit)")
        }
        return count
    }

    /// Bytes of `count` items of `itemSize` bytes, checked.
    public static func byteCount(_ count: Int, itemSize: Int, path: String, field: String) throws -> Int {
        try product(count, itemSize, path: path, field: field)
    }

    private static func tooLarge(_ path: String, _ field: String, _ expression: String, limit: String) -> DataError {
        DataError(
            .malformed, path: path,
            problem: "\(field) overflows: \(expression) exceeds the largest representable size (\(limit))",
            fix: "The file is damaged or hostile: it was not written by Brittle")
    }
}

/// The process's budget for memory allocated from sizes a file or an option declares: dataset
/// arrays, bundle entries read into memory, decompressed IDX files, model tensors. A declared
/// size above it is refused before any byte is allocated. Default: 3/4 of physical memory (or
/// of the cgroup's `memory.max` when that is lower); the host's `--max-memory` sets it.
public enum MemoryLimit {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var override: Int64?

    /// The budget in bytes.
    public static var bytes: Int64 {
        get { lock.withLock { override } ?? defaultBytes }
        set { lock.withLock { override = newValue } }
    }

    /// 3/4 of `system.total`: the default budget.
    public static var defaultBytes: Int64 { system.total / 4 * 3 }

    /// The memory this process may use: physical memory, or the cgroup's limit when lower,
    /// and which of the two it is ("physical memory", "the cgroup memory limit").
    public static let system: (total: Int64, what: String) = {
        let physical = Int64(sysconf(Int32(_SC_PHYS_PAGES))) * Int64(sysconf(Int32(_SC_PAGESIZE)))
        let total = physical > 0 ? physical : Int64(8) << 30
        if let limit = cgroupLimit(), limit < total { return (limit, "the cgroup memory limit") }
        return (total, "physical memory")
    }()

    /// The memory limit of this process's cgroup (v2 memory.max or v1 memory.limit_in_bytes),
    /// nil when unlimited or unknown.
    static func cgroupLimit() -> Int64? {
        var files = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        if let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let f = line.split(separator: ":", maxSplits: 2).map(String.init)
                guard f.count == 3, f[2].hasPrefix("/"), f[2] != "/" else { continue }
                if f[0] == "0" && f[1].isEmpty { files.append("/sys/fs/cgroup\(f[2])/memory.max") }
                if f[1].split(separator: ",").contains("memory") { files.append("/sys/fs/cgroup/memory\(f[2])/memory.limit_in_bytes") }
            }
        }
        let limits = files.compactMap { path -> Int64? in
            guard let t = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            // "max" (v2) or a near-Int64.max page-rounded value (v1) both mean no limit.
            guard let v = Int64(t.trimmingCharacters(in: .whitespacesAndNewlines)), v > 0, v < Int64(1) << 60 else { return nil }
            return v
        }
        return limits.min()
    }

    /// Throws unless `bytes` (what `what` of `path` needs) fits in the budget.
    public static func check(_ bytes: Int64, for what: String, path: String) throws {
        let budget = Self.bytes
        guard bytes <= budget else {
            throw DataError(
                .unsupported, path: path,
                problem: "\(what) needs \(formatMemory(bytes)), more than the memory budget of \(formatMemory(budget))",
                fix: "If the file is genuine, raise the budget with --max-memory BYTES (e.g. --max-memory 32G)")
        }
    }
}

/// `bytes` in binary units: "1.5 GiB", "512 B" (with `suffix`: "2G", rounded up, as --max-memory takes it).
public func formatMemory(_ bytes: Int64, suffix: Bool = false) -> String {
    let units = suffix ? ["", "K", "M", "G", "T", "P"] : ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if suffix { return "\(Int(value.rounded(.up)))\(units[unit])" }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

extension String {
    /// The string with control characters (ANSI escapes, newlines, NUL, DEL) written as
    /// `\u{1B}`-style escapes, so a hostile name cannot rewrite the terminal or fake a line.
    public var escapingControlCharacters: String {
        var out = ""
        for scalar in unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether the string holds a control character (see `escapingControlCharacters`).
    public var containsControlCharacters: Bool {
        unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }
    }
}

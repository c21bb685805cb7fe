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

    /// 3/4 of the smaller of physical memory and the cgroup v2 limit.
    public static let defaultBytes: Int64 = {
        var physical = Int64(sysconf(Int32(_SC_PHYS_PAGES))) * Int64(sysconf(Int32(_SC_PAGESIZE)))
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
            let limit = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0
        {
            physical = min(physical, limit)
        }
        return max(physical / 4 * 3, 64 << 20)
    }()

    /// Throws unless `bytes` (what `what` of `path` needs) fits in the budget.
    public static func check(_ bytes: Int64, for what: String, path: String) throws {
        let budget = Self.bytes
        guard bytes <= budget else {
            throw DataError(
                .unsupported, path: path,
                problem: "\(what) needs \(formatted(bytes)), more than the memory budget of \(formatted(budget))",
                fix: "If the file is genuine, raise the budget with --max-memory BYTES (e.g. --max-memory 32G)")
        }
    }

    /// `bytes` as "12.3 GB (12300000000 bytes)".
    public static func formatted(_ bytes: Int64) -> String {
        let units: [(Double, String)] = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        for (scale, unit) in units where Double(bytes) >= scale {
            return String(format: "%.1f %@ (%lld bytes)", Double(bytes) / scale, unit, bytes)
        }
        return "\(bytes) bytes"
    }

    /// Parses a byte count with an optional suffix: `4096`, `512M`, `8G`, `1T` (powers of 1024;
    /// `K`/`KiB`/`kB` alike). Returns nil for anything else, zero or negative.
    public static func parse(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let n = Int64(digits), n > 0 else { return nil }
        let suffix = t.dropFirst(digits.count).uppercased()
        let shifts: [String: Int64] = ["": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20,
                                       "G": 30, "GB": 30, "GIB": 30, "T": 40, "TB": 40, "TIB": 40]
        guard let shift = shifts[suffix] else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : v
    }
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

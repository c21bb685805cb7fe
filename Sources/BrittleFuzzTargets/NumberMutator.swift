// A mutation libFuzzer's byte-level ones rarely make: replace whole decimal numbers in the input
// (JSON sizes and shapes, .npy header tuples, key=value settings) with boundary values such as
// Int64.max or 2^32, where size arithmetic overflows. Used by brittle-fuzz's custom mutator
// next to libFuzzer's own mutations; not a parser and not a fuzz target.

/// Rewrites decimal numbers in fuzz inputs to boundary values.
public enum NumberMutator {
    /// Values where counts, sizes and offsets overflow or stop fitting a type.
    public static let boundaries: [String] = [
        "0", "-1", "1", "255", "256", "65535", "65536", "2147483647", "2147483648", "4294967295",
        "4294967296", "4611686018427387904", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "18446744073709551615", "99999999999999999999", "1e308", "-0", "3037000500",
    ]

    /// Replaces one or two decimal numbers of `bytes` with boundary values chosen by `random`
    /// (a stream of pseudo-random numbers); false when there is no number or the result would
    /// exceed `maxSize` bytes.
    public static func mutate(_ bytes: inout [UInt8], maxSize: Int, random: () -> UInt64) -> Bool {
        let runs = numberRuns(bytes)
        guard !runs.isEmpty else { return false }
        let count = random() % 2 == 0 ? 1 : 2
        // Later runs first, so the earlier ranges stay valid after a replacement changes length.
        let chosen = Set((0..<count).map { _ in Int(random() % UInt64(runs.count)) }).sorted(by: >)
        var out = bytes
        for index in chosen {
            let value = Array(boundaries[Int(random() % UInt64(boundaries.count))].utf8)
            out.replaceSubrange(runs[index], with: value)
        }
        guard out.count <= maxSize, out != bytes else { return false }
        bytes = out
        return true
    }

    /// Ranges of maximal runs of ASCII digits (with a leading '-' if there is one).
    static func numberRuns(_ bytes: [UInt8]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var i = 0
        while i < bytes.count {
            guard (48...57).contains(bytes[i]) else { i += 1; continue }
            let start = i > 0 && bytes[i - 1] == 45 ? i - 1 : i
            while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
            runs.append(start..<i)
        }
        return runs
    }
}

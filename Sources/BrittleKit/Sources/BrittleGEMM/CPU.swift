// What the GEMM needs to know about the processor it runs on: vendor, model name, the SIMD
// features the CPU has *and* the OS saves (CPUID + XGETBV), and the data-cache sizes (sysfs,
// with a fallback). Detection only: choosing a kernel from it is KernelPath.swift's job.
import CBrittleShims
import Foundation

/// The processor as the GEMM sees it. `CPUInfo.current` is detected once per process.
public struct CPUInfo: Sendable, CustomStringConvertible {
    /// SIMD features usable by this process: the CPU reports them and the OS saves their state.
    public struct Features: OptionSet, Sendable, CustomStringConvertible {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let avx = Features(rawValue: 1 << 0)
        public static let fma = Features(rawValue: 1 << 1)
        public static let avx2 = Features(rawValue: 1 << 2)
        public static let avx512f = Features(rawValue: 1 << 3)
        public static let avx512bw = Features(rawValue: 1 << 4)
        public static let avx512vl = Features(rawValue: 1 << 5)
        public static let avx512dq = Features(rawValue: 1 << 6)
        public static let avx512vnni = Features(rawValue: 1 << 7)

        static let names: [(Features, String)] = [
            (.avx, "avx"), (.fma, "fma"), (.avx2, "avx2"), (.avx512f, "avx512f"),
            (.avx512bw, "avx512bw"), (.avx512vl, "avx512vl"), (.avx512dq, "avx512dq"),
            (.avx512vnni, "avx512vnni"),
        ]
        public var description: String {
            let on = Self.names.filter { contains($0.0) }.map(\.1)
            return on.isEmpty ? "none" : on.joined(separator: " ")
        }
    }

    public var vendor: String
    public var model: String
    public var features: Features
    /// Per-core L1 data and L2 caches and the (shared) L3, in bytes.
    public var l1d: Int
    public var l2: Int
    public var l3: Int
    /// Where the cache sizes came from: "sysfs" or "fallback".
    public var cacheSource: String

    public init(vendor: String, model: String, features: Features, l1d: Int, l2: Int, l3: Int,
                cacheSource: String = "given") {
        (self.vendor, self.model, self.features) = (vendor, model, features)
        (self.l1d, self.l2, self.l3, self.cacheSource) = (l1d, l2, l3, cacheSource)
    }

    public var description: String {
        "\(model) (\(vendor)); \(features); L1d \(kib(l1d)), L2 \(kib(l2)), L3 \(kib(l3)) [\(cacheSource)]"
    }

    /// The CPU of this process, detected on first use.
    public static let current: CPUInfo = detect()

    /// Runs CPUID, XGETBV and reads sysfs.
    public static func detect() -> CPUInfo {
        let caches = readCaches()
        return CPUInfo(vendor: vendorString(), model: brandString(), features: detectFeatures(),
                       l1d: caches.l1d, l2: caches.l2, l3: caches.l3, cacheSource: caches.source)
    }

    static func cpuid(_ leaf: UInt32, _ sub: UInt32 = 0) -> (eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
        var r: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &r) { raw in
            _ = brittle_cpuid(leaf, sub, raw.baseAddress!.assumingMemoryBound(to: UInt32.self))
        }
        return (r.0, r.1, r.2, r.3)
    }

    static func detectFeatures() -> Features {
        var f: Features = []
        let xcr0 = brittle_xgetbv0()
        let ymmSaved = xcr0 & 0b110 == 0b110  // SSE + YMM state
        let zmmSaved = ymmSaved && xcr0 & 0b1110_0000 == 0b1110_0000  // opmask, ZMM0-15 high, ZMM16-31
        let l1 = cpuid(1)
        if ymmSaved && l1.ecx & (1 << 28) != 0 { f.insert(.avx) }
        if f.contains(.avx) && l1.ecx & (1 << 12) != 0 { f.insert(.fma) }
        guard cpuid(0).eax >= 7 else { return f }
        let l7 = cpuid(7, 0)
        if f.contains(.avx) && l7.ebx & (1 << 5) != 0 { f.insert(.avx2) }
        if zmmSaved && l7.ebx & (1 << 16) != 0 {
            f.insert(.avx512f)
            if l7.ebx & (1 << 17) != 0 { f.insert(.avx512dq) }
            if l7.ebx & (1 << 30) != 0 { f.insert(.avx512bw) }
            if l7.ebx & (1 << 31) != 0 { f.insert(.avx512vl) }
            if l7.ecx & (1 << 11) != 0 { f.insert(.avx512vnni) }
        }
        return f
    }

    static func vendorString() -> String {
        let r = cpuid(0)
        var bytes: [UInt8] = []
        for w in [r.ebx, r.edx, r.ecx] { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: w >> (8 * i))) } }
        let s = String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self)
        return s.isEmpty ? "unknown vendor" : s
    }

    /// CPUID 0x80000002-4, else /proc/cpuinfo "model name", else "unknown CPU".
    static func brandString() -> String {
        var bytes: [UInt8] = []
        if cpuid(0x8000_0000).eax >= 0x8000_0004 {
            for leaf: UInt32 in 0x8000_0002...0x8000_0004 {
                let r = cpuid(leaf)
                for w in [r.eax, r.ebx, r.ecx, r.edx] {
                    for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: w >> (8 * i))) }
                }
            }
        }
        let brand = String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        if !brand.isEmpty { return brand }
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            let name = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { return name }
        }
        return "unknown CPU"
    }

    /// Fallback when sysfs has no cache description (containers, other kernels): a typical
    /// AVX2-era server core. Only the blocking depends on it, never the results.
    public static let fallbackCaches = (l1d: 32 << 10, l2: 512 << 10, l3: 16 << 20)

    /// Cache sizes of cpu0 from sysfs (index*/level, type, size such as "32K" or "32768K").
    static func readCaches(root: String = "/sys/devices/system/cpu/cpu0/cache")
        -> (l1d: Int, l2: Int, l3: Int, source: String)
    {
        var l1d = 0, l2 = 0, l3 = 0
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for e in entries where e.hasPrefix("index") {
            func read(_ f: String) -> String? {
                (try? String(contentsOfFile: "\(root)/\(e)/\(f)", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let level = read("level").flatMap(Int.init), let type = read("type"),
                  let size = read("size").flatMap(parseSize) else { continue }
            switch (level, type) {
            case (1, "Data"), (1, "Unified"): l1d = size
            case (2, _) where type != "Instruction": l2 = size
            case (3, _) where type != "Instruction": l3 = size
            default: break
            }
        }
        if l1d > 0 && l2 > 0 {
            return (l1d, l2, l3 > 0 ? l3 : max(l2, fallbackCaches.l3), "sysfs")
        }
        return (fallbackCaches.l1d, fallbackCaches.l2, fallbackCaches.l3, "fallback")
    }

    /// "32K", "2048K", "32M", "65536" -> bytes; nil if unparseable or not positive.
    static func parseSize(_ s: String) -> Int? {
        var digits = s.uppercased()
        var scale = 1
        if digits.hasSuffix("K") { scale = 1 << 10 } else if digits.hasSuffix("M") { scale = 1 << 20 }
        else if digits.hasSuffix("G") { scale = 1 << 30 }
        if scale != 1 { digits.removeLast() }
        guard let n = Int(digits), n > 0, n <= Int.max / scale else { return nil }
        return n * scale
    }
}

/// "32 KiB", "2 MiB", "1.5 MiB".
func kib(_ bytes: Int) -> String {
    if bytes >= 1 << 20 {
        let m = Double(bytes) / Double(1 << 20)
        return m == m.rounded() ? "\(Int(m)) MiB" : String(format: "%.1f MiB", m)
    }
    return "\(bytes >> 10) KiB"
}

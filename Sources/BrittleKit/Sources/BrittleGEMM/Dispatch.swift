// Which kernel path this process's SGEMMs run: chosen once, at first use, from the CPU
// (AVX-512 when CPUID and the OS allow it, else AVX2), unless BRITTLE_ISA forces one; tests
// override it for a scope with `withPath`. The paths themselves are KernelPath.swift.
// A bad BRITTLE_ISA never crashes a product: `validateEnvironment()` (called at the start of
// `brittle` and `brittle-bench`) turns it into an error naming the fix, and `sgemm` itself
// falls back to the automatic path with one warning on stderr.
import Foundation
import Synchronization

/// A BRITTLE_ISA value that cannot be honoured on this machine.
public struct GEMMDispatchError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

public enum GEMMDispatch {
    /// The environment variable that forces a path: `avx2` or `avx512` (unset or `auto`: automatic).
    public static let environmentVariable = "BRITTLE_ISA"

    /// Whether `cpu` can execute `isa` (features present and saved by the OS).
    public static func isSupported(_ isa: GEMMISA, on cpu: CPUInfo = .current) -> Bool {
        cpu.features.isSuperset(of: isa.requires)
    }

    /// The fastest path `cpu` supports.
    public static func automatic(for cpu: CPUInfo = .current) -> GEMMISA {
        isSupported(.avx512, on: cpu) ? .avx512 : .avx2
    }

    /// The path for a BRITTLE_ISA value (`nil`, empty or `auto`: automatic) on `cpu`, or an
    /// error naming the problem and the fix.
    public static func choose(_ value: String?, cpu: CPUInfo = .current) throws -> GEMMISA {
        let v = (value ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if v.isEmpty || v == "auto" { return automatic(for: cpu) }
        guard let isa = GEMMISA(rawValue: v) else {
            throw GEMMDispatchError(description:
                "\(environmentVariable)=\(escaped(value ?? "")) is not a GEMM kernel path: set it to "
                + "avx2 or avx512, or unset it to choose from the CPU")
        }
        guard isSupported(isa, on: cpu) else {
            let missing = isa.requires.subtracting(cpu.features)
            throw GEMMDispatchError(description:
                "\(environmentVariable)=\(v), but this CPU (\(cpu.model)) has no \(missing) "
                + "(or the OS does not enable its registers); unset \(environmentVariable) or set "
                + "it to \(automatic(for: cpu))")
        }
        return isa
    }

    /// Checks BRITTLE_ISA against this CPU: call at program start to refuse a bad value with
    /// a clear message before any work.
    public static func validateEnvironment() throws {
        _ = try choose(ProcessInfo.processInfo.environment[environmentVariable])
    }

    /// The path chosen for this process at first use (never an unsupported one).
    public static let selected: GEMMKernelPath = {
        let cpu = CPUInfo.current
        let value = ProcessInfo.processInfo.environment[environmentVariable]
        do {
            return GEMMKernelPath(try choose(value, cpu: cpu), cpu: cpu)
        } catch {
            let fallback = automatic(for: cpu)
            FileHandle.standardError.write(Data("warning: \(error); using \(fallback)\n".utf8))
            return GEMMKernelPath(fallback, cpu: cpu)
        }
    }()

    private static let override = Mutex<GEMMKernelPath?>(nil)

    /// The path `sgemm` uses now: the innermost `withPath` override, else `selected`.
    public static var current: GEMMKernelPath {
        override.withLock { $0 } ?? selected
    }

    /// Runs `body` with every `sgemm` of the process on `path` (for tests and benchmarks; not
    /// for concurrent use with other callers of `sgemm`). Throws, without running `body`,
    /// if this CPU cannot execute the path.
    public static func withPath<R>(_ path: GEMMKernelPath, _ body: () throws -> R) throws -> R {
        let cpu = CPUInfo.current
        guard isSupported(path.isa, on: cpu) else {
            let missing = path.isa.requires.subtracting(cpu.features)
            throw GEMMDispatchError(description:
                "the \(path.isa) GEMM path needs \(missing), which this CPU (\(cpu.model)) lacks")
        }
        let saved = override.withLock { old in
            let s = old
            old = path
            return s
        }
        defer { override.withLock { $0 = saved } }
        return try body()
    }

    /// `withPath` with the path's analytical blocking for this CPU.
    public static func withPath<R>(_ isa: GEMMISA, _ body: () throws -> R) throws -> R {
        try withPath(GEMMKernelPath(isa, cpu: .current), body)
    }

    /// Control characters and non-ASCII shown as Swift escapes, so a message never carries
    /// raw terminal control sequences.
    static func escaped(_ s: String) -> String {
        "\"" + s.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
    }
}

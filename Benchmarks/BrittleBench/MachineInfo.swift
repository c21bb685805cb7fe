// What machine and which GEMM kernel path a benchmark ran on, for every `brittle-bench`
// subcommand to print above its figures, and the path's theoretical peak. Detection itself
// is the kit's (BrittleGEMM CPU.swift, Dispatch.swift); nothing is measured here.
import BrittleGEMM

/// Two lines: the CPU (model, vendor, SIMD features, caches) and the GEMM path with its blocking
/// (the path in effect now: BRITTLE_ISA or automatic, or a `GEMMDispatch.withPath` override).
public func machineSummary() -> String {
    let cpu = CPUInfo.current
    return "CPU: \(cpu.model) (\(cpu.vendor)); \(cpu.features); L1d \(kibString(cpu.l1d)), "
        + "L2 \(kibString(cpu.l2)), L3 \(kibString(cpu.l3)) [\(cpu.cacheSource)]\n"
        + "GEMM path: \(GEMMDispatch.current)"
}

/// Single-precision flop per cycle per core of `isa`: 2 (an FMA) x SIMD lanes x FMA units.
/// AVX2 cores since Haswell/Zen 2 have 2 FMA units; AVX-512 Xeons have 2 (Gold 6xxx, Platinum)
/// or 1 (many Silver/Gold 5xxx parts), which halves their peak: hence `fmaUnits`.
public func peakFlopPerCycle(_ isa: GEMMISA, fmaUnits: Int = 2) -> Double {
    Double(2 * isa.lanes * fmaUnits)
}

/// "32 KiB", "512 KiB", "32 MiB".
func kibString(_ bytes: Int) -> String {
    bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
}

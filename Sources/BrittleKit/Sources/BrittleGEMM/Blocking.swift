// Cache blocking of the SGEMM (BLIS names MC, KC, NC) from the detected caches, by the
// analytical model of Low, Igual, Smith & Quintana-Orti, "Analytical Modeling Is Enough for
// High-Performance BLIS", ACM TOMS 2016. Sizes only: the loops that use them are in GEMM.swift.
//
// DETERMINISM INVARIANT: KC is the same constant (512) on every ISA path and every CPU.
// Each element of C is accumulated over k in order with one FMA per step inside a KC block,
// then combined as alpha*acc + beta*C (beta 1 for the later K blocks). MC and NC only choose
// *which* elements a block covers, never the order of any element's sum, so with one KC the
// AVX2 and AVX-512 paths, every machine and every thread count give bit-identical results.
// Changing KC changes the rounding; never derive it from the hardware.

/// The fixed K block and the model behind the per-CPU MC and NC.
public enum GEMMBlocking {
    /// K block of every path on every CPU (the determinism invariant above). The KC x NR
    /// micro-panel of B is then 32 KiB (NR 16): the whole L1d of a Zen core, two thirds of
    /// the 48 KiB L1d of recent Xeons. Kept from the Zen 2 tuning of the 6x16 kernel: on this
    /// Zen 3 VM, KC 256 and 384 were not consistently faster (single-thread 2048^3 and
    /// 128x784x512 moved by less than the run-to-run noise of the shared machine).
    public static let KC = 512

    /// Share of the per-core L2 given to the packed MC x KC block of A (the rest holds the
    /// streamed B micro-panels, C and the other data of the core). Low et al.'s way-counting
    /// would give A all ways but those of one B micro-panel and one spare (6 of 8 ways here,
    /// MC 192); on this VM MC 192 was not faster than MC 126 from half of L2, which keeps
    /// more slack for a noisy neighbour, so the model uses half.
    public static let l2Share = 0.5
    /// Share of the L3 given to the packed KC x NC block of B, which every thread reads (shared
    /// path) or one per thread (column path): a quarter leaves room for the other tenants of a
    /// shared L3 and for the A blocks.
    public static let l3Share = 0.25
    /// Bounds of NC: at least 16 micro-panels; at most 8192 columns (a 16 MiB pack buffer).
    public static let ncRange = 256...8192

    /// MC: the largest multiple of `mr` with MC*KC floats in `l2Share` of L2 (at least `mr`).
    public static func mc(mr: Int, l2: Int) -> Int {
        let rows = Int(Double(l2) * l2Share) / (KC * MemoryLayout<Float>.size)
        return max(mr, rows / mr * mr)
    }

    /// NC: the largest multiple of `nr` with KC*NC floats in `l3Share` of L3, within `ncRange`.
    public static func nc(nr: Int, l3: Int) -> Int {
        let cols = Int(Double(l3) * l3Share) / (KC * MemoryLayout<Float>.size)
        let clamped = min(ncRange.upperBound, max(ncRange.lowerBound, cols))
        return max(nr, clamped / nr * nr)
    }
}

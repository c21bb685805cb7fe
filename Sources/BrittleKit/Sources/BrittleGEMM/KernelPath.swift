// The kernel paths of the SGEMM: which microkernel (ISA and MR x NR tile) and which blocking
// a product runs with, and the public description of that choice. Choosing a path for this
// process (CPU, BRITTLE_ISA, overrides) is Dispatch.swift; the loops are GEMM.swift.
import BrittleGEMMAVX512

/// The microkernels. `avx512TileOnAVX2` is a test path: the AVX-512 path's 28x16 tile body
/// compiled for AVX2, so its packing, edges, blocking and threading run on any machine.
public enum GEMMISA: String, Sendable, CaseIterable, CustomStringConvertible {
    case avx2
    case avx512
    case avx512TileOnAVX2 = "avx512-tile-on-avx2"

    public var description: String { rawValue }
    /// Rows and columns of the microkernel's tile of C.
    public var tile: (mr: Int, nr: Int) {
        switch self {
        case .avx2: return (6, 16)
        case .avx512, .avx512TileOnAVX2: return (28, 16)
        }
    }
    /// CPU features the path executes.
    public var requires: CPUInfo.Features {
        switch self {
        case .avx2, .avx512TileOnAVX2: return [.avx, .avx2, .fma]
        case .avx512: return [.avx, .avx2, .fma, .avx512f]
        }
    }
    /// Single-precision FMA lanes per instruction (peak flop/cycle = 2 x lanes x FMA units).
    public var lanes: Int { self == .avx512 ? 16 : 8 }
}

/// One kernel path with its blocking for one CPU.
public struct GEMMKernelPath: Sendable, Equatable, CustomStringConvertible {
    public let isa: GEMMISA
    public let mr: Int, nr: Int
    public let mc: Int, kc: Int, nc: Int
    /// The cache sizes the blocking was computed from.
    public let l1d: Int, l2: Int, l3: Int

    /// The path `isa` with the analytical blocking for `cpu` (Blocking.swift).
    public init(_ isa: GEMMISA, cpu: CPUInfo) {
        self.init(isa, mc: GEMMBlocking.mc(mr: isa.tile.mr, l2: cpu.l2),
                  nc: GEMMBlocking.nc(nr: isa.tile.nr, l3: cpu.l3), cpu: cpu)
    }

    /// A path with explicit MC and NC (tests and tuning). MC is rounded up to a multiple of MR
    /// and NC to one of NR; KC is always `GEMMBlocking.KC` (the determinism invariant).
    public init(_ isa: GEMMISA, mc: Int, nc: Int, cpu: CPUInfo = .current) {
        self.isa = isa
        (mr, nr) = isa.tile
        self.mc = max(1, (mc + mr - 1) / mr) * mr
        self.kc = GEMMBlocking.KC
        self.nc = max(1, (nc + nr - 1) / nr) * nr
        (l1d, l2, l3) = (cpu.l1d, cpu.l2, cpu.l3)
    }

    /// e.g. "avx2 (6x16 tile, MC 126 KC 512 NC 4096; L1d 32 KiB, L2 512 KiB)".
    public var description: String {
        "\(isa) (\(mr)x\(nr) tile, MC \(mc) KC \(kc) NC \(nc); L1d \(kib(l1d)), L2 \(kib(l2)))"
    }

    /// Bytes of the packed blocks: A (MC x KC, per thread) and B (KC x NC).
    public var packedABytes: Int { mc * kc * MemoryLayout<Float>.size }
    public var packedBBytes: Int { kc * nc * MemoryLayout<Float>.size }

    /// One full MR x NR tile: the kernel of this path.
    @inline(__always)
    func tile(
        _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
    ) {
        switch isa {
        case .avx2: microkernel6x16(kc, a, b, c, ldc, alpha, beta)
        case .avx512: avx512Microkernel28x16(kc, a, b, c, ldc, alpha, beta)
        case .avx512TileOnAVX2: microkernel28x16OnAVX2(kc, a, b, c, ldc, alpha, beta)
        }
    }
}

/// The AVX-512 path's tile body compiled here, for AVX2 (ymm; the 28 accumulators spill, so
/// it is slow): the `avx512-tile-on-avx2` test path. What ran on the AVX2-only machine this was
/// written on: this function, the 28-row packing, edges, blocking and threading. What did not:
/// `avx512Microkernel28x16`, the same body in zmm registers (checked by disassembly only).
@inline(never)
func microkernel28x16OnAVX2(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    tile28x16(kc, a, b, c, ldc, alpha, beta)
}

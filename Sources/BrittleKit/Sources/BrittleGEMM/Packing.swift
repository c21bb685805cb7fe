// Packing routines of the blocked SGEMM (BLIS naming): copy a KC x NC block of op(B) into
// NR-wide row panels (NR 16 on every path) and an MC x KC block of op(A) into MR-tall column
// panels (MR 6 or 28, by path), zero-padding edges so the microkernel never branches.
// Transposition is absorbed here, nowhere else. Also the per-worker pack buffers.
import Foundation

/// Per-worker pack buffers, reused across calls: a fresh 8 MiB allocation per call costs page
/// faults that dominate small GEMMs. Sized for the largest path that has used them.
final class PackBuffers: @unchecked Sendable {
    let a: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>
    let aCount: Int, bCount: Int
    init(aCount: Int, bCount: Int) {
        (self.aCount, self.bCount) = (aCount, bCount)
        a = hugePageBuffer(aCount)
        b = hugePageBuffer(bCount)
    }
    deinit { free(a); free(b) }
}

/// `count` floats, 2 MiB-aligned and advised as transparent huge pages (where the kernel's THP
/// mode is `madvise`): the KC x NC block of B is streamed from L3 once per MC block of A, and
/// in 4 KiB pages its 8 MiB span 2048 TLB entries. Freed with `free`.
func hugePageBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
    let huge = 2 << 20
    let bytes = (count * MemoryLayout<Float>.size + huge - 1) / huge * huge
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, huge, bytes) == 0, let raw else {
        fatalError("sgemm: cannot allocate \(bytes) bytes of pack buffer")
    }
    _ = madvise(raw, bytes, 14)  // MADV_HUGEPAGE; harmless if THP is off or unsupported
    return raw.bindMemory(to: Float.self, capacity: count)
}

final class PackBufferPool: @unchecked Sendable {
    private var free: [PackBuffers] = []
    private let lock = NSLock()
    static let shared = PackBufferPool()
    /// Buffers holding at least an MC x KC (or `aRows` x KC) block of A and a KC x NC block
    /// of B of `path`.
    func take(for path: GEMMKernelPath, aRows: Int = 0) -> PackBuffers {
        let needA = max(path.mc, aRows) * path.kc, needB = path.kc * path.nc
        lock.lock(); defer { lock.unlock() }
        while let b = free.popLast() {
            if b.aCount >= needA && b.bCount >= needB { return b }
        }
        return PackBuffers(aCount: needA, bCount: needB)
    }
    func give(_ b: PackBuffers) {
        lock.lock(); defer { lock.unlock() }
        free.append(b)
    }
}

/// Packs op(B)[pc..<pc+kc, jc..<jc+nc] into `dst`: panel q holds kc rows of NR floats.
@inline(__always)
func packB(
    _ transB: Transpose, _ b: UnsafePointer<Float>, _ ldb: Int,
    pc: Int, jc: Int, kc: Int, nc: Int, _ dst: UnsafeMutablePointer<Float>
) {
    let NR = packNR
    var q = 0
    var out = dst
    while q < nc {
        let w = min(NR, nc - q)
        if transB == .none {
            // Row p of the panel is contiguous in B.
            var src = b + pc * ldb + jc + q
            if w == NR {
                for _ in 0..<kc {
                    let raw = UnsafeRawPointer(src)
                    let o = UnsafeMutableRawPointer(out)
                    o.storeBytes(of: raw.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    o.storeBytes(
                        of: raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self),
                        toByteOffset: 32, as: SIMD8<Float>.self)
                    src += ldb
                    out += NR
                }
            } else {
                for _ in 0..<kc {
                    for j in 0..<w { out[j] = src[j] }
                    for j in w..<NR { out[j] = 0 }
                    src += ldb
                    out += NR
                }
            }
        } else {
            // op(B)(p, j) = B[j, p]: column j of the panel is contiguous in B.
            for j in 0..<w {
                let src = b + (jc + q + j) * ldb + pc
                var o = out + j
                for p in 0..<kc {
                    o.pointee = src[p]
                    o += NR
                }
            }
            if w < NR {
                for p in 0..<kc {
                    for j in w..<NR { out[p * NR + j] = 0 }
                }
            }
            out += kc * NR
        }
        q += NR
    }
}

/// NR of every path's packed B.
let packNR = 16

/// Packs op(A)[ic..<ic+mc, pc..<pc+kc] into `dst`: panel holds kc columns of MR floats.
@inline(__always)
func packA(
    _ transA: Transpose, _ a: UnsafePointer<Float>, _ lda: Int,
    ic: Int, pc: Int, mc: Int, kc: Int, mr MR: Int, _ dst: UnsafeMutablePointer<Float>
) {
    var i = 0
    var out = dst
    while i < mc {
        let h = min(MR, mc - i)
        if transA == .none {
            // Row r of the panel is contiguous in A; interleave 6 rows (the AVX2 tile).
            if h == 6 && MR == 6 {
                let r0 = a + (ic + i) * lda + pc
                let r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda, r5 = r4 + lda
                var o = out
                for p in 0..<kc {
                    o[0] = r0[p]; o[1] = r1[p]; o[2] = r2[p]
                    o[3] = r3[p]; o[4] = r4[p]; o[5] = r5[p]
                    o += MR
                }
            } else if h == MR {
                // Full panel of another height (28): four rows at a time, each read in order.
                var r = 0
                while r + 4 <= MR {
                    let s0 = a + (ic + i + r) * lda + pc
                    let s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda
                    var o = out + r
                    for p in 0..<kc {
                        o[0] = s0[p]; o[1] = s1[p]; o[2] = s2[p]; o[3] = s3[p]
                        o += MR
                    }
                    r += 4
                }
                while r < MR {
                    let src = a + (ic + i + r) * lda + pc
                    for p in 0..<kc { out[p * MR + r] = src[p] }
                    r += 1
                }
            } else {
                for r in 0..<MR {
                    if r < h {
                        let src = a + (ic + i + r) * lda + pc
                        for p in 0..<kc { out[p * MR + r] = src[p] }
                    } else {
                        for p in 0..<kc { out[p * MR + r] = 0 }
                    }
                }
            }
        } else {
            // op(A)(r, p) = A[p, r]: each k step is MR contiguous floats.
            var src = a + pc * lda + ic + i
            var o = out
            for _ in 0..<kc {
                for r in 0..<h { o[r] = src[r] }
                for r in h..<MR { o[r] = 0 }
                src += lda
                o += MR
            }
        }
        out += kc * MR
        i += MR
    }
}

// The GEMM's kernel dispatch: CPU detection, the choice of path (automatic, BRITTLE_ISA, and
// its refusals), the analytical blocking and the determinism invariant across paths (the
// AVX2 kernel and the AVX-512 tile compiled for AVX2 agree bit for bit), plus the real
// AVX-512 path where the CPU has it. What the products print: GEMMDispatchCLITests.
import XCTest
@testable import BrittleGEMM

final class GEMMDispatchTests: XCTestCase {
    let avx2CPU = CPUInfo(vendor: "AuthenticAMD", model: "Test Zen 3", features: [.avx, .fma, .avx2],
                          l1d: 32 << 10, l2: 512 << 10, l3: 32 << 20)
    let avx512CPU = CPUInfo(vendor: "GenuineIntel", model: "Test Xeon",
                            features: [.avx, .fma, .avx2, .avx512f, .avx512bw, .avx512vl, .avx512dq],
                            l1d: 48 << 10, l2: 2 << 20, l3: 60 << 20)

    func testDetectedCPUIsPlausible() {
        let cpu = CPUInfo.current
        XCTAssertFalse(cpu.model.isEmpty)
        // The kit is compiled for AVX2 + FMA: if this runs, the CPU has them.
        XCTAssert(cpu.features.isSuperset(of: [.avx, .avx2, .fma]), "\(cpu)")
        XCTAssertGreaterThanOrEqual(cpu.l1d, 4 << 10, "\(cpu)")
        XCTAssertGreaterThan(cpu.l2, cpu.l1d, "\(cpu)")
        XCTAssertGreaterThanOrEqual(cpu.l3, cpu.l2, "\(cpu)")
        // AVX-512 subfeatures are only reported together with AVX-512F.
        if !cpu.features.contains(.avx512f) {
            XCTAssert(cpu.features.isDisjoint(with: [.avx512bw, .avx512vl, .avx512dq, .avx512vnni]))
        }
    }

    func testCacheSizesAndFallback() {
        XCTAssertEqual(CPUInfo.parseSize("32K"), 32 << 10)
        XCTAssertEqual(CPUInfo.parseSize("32768K"), 32 << 20)
        XCTAssertEqual(CPUInfo.parseSize("2M"), 2 << 20)
        XCTAssertEqual(CPUInfo.parseSize("4096"), 4096)
        for bad in ["", "K", "-1K", "0K", "12Q", "99999999999999999999G"] {
            XCTAssertNil(CPUInfo.parseSize(bad), bad)
        }
        let none = CPUInfo.readCaches(root: "/nonexistent-brittle-\(UUID().uuidString)")
        XCTAssertEqual(none.source, "fallback")
        XCTAssertEqual(none.l2, CPUInfo.fallbackCaches.l2)
        // A fake sysfs tree: L1d, L1i (ignored), L2, no L3.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (i, level, type, size) in [(0, "1", "Data", "48K"), (1, "1", "Instruction", "32K"), (2, "2", "Unified", "2048K")] {
            let dir = "\(root)/index\(i)"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (f, v) in [("level", level), ("type", type), ("size", size)] {
                _ = FileManager.default.createFile(atPath: "\(dir)/\(f)", contents: Data((v + "\n").utf8))
            }
        }
        let fake = CPUInfo.readCaches(root: root)
        XCTAssertEqual(fake.source, "sysfs")
        XCTAssertEqual(fake.l1d, 48 << 10)
        XCTAssertEqual(fake.l2, 2 << 20)
        XCTAssertGreaterThanOrEqual(fake.l3, fake.l2)
    }

    func testAutomaticChoiceAndBRITTLE_ISA() throws {
        XCTAssertEqual(GEMMDispatch.automatic(for: avx2CPU), .avx2)
        XCTAssertEqual(GEMMDispatch.automatic(for: avx512CPU), .avx512)
        for unset in [nil, "", "auto", " AUTO "] {
            XCTAssertEqual(try GEMMDispatch.choose(unset, cpu: avx2CPU), .avx2)
            XCTAssertEqual(try GEMMDispatch.choose(unset, cpu: avx512CPU), .avx512)
        }
        XCTAssertEqual(try GEMMDispatch.choose("avx2", cpu: avx512CPU), .avx2)
        XCTAssertEqual(try GEMMDispatch.choose(" AVX512 ", cpu: avx512CPU), .avx512)
        XCTAssertEqual(try GEMMDispatch.choose("avx512-tile-on-avx2", cpu: avx2CPU), .avx512TileOnAVX2)
        // AVX-512 forced on a CPU without it: the problem (variable, CPU, missing feature) and the fix.
        XCTAssertThrowsError(try GEMMDispatch.choose("avx512", cpu: avx2CPU)) { error in
            let m = "\(error)"
            for part in ["BRITTLE_ISA=avx512", "Test Zen 3", "avx512f", "unset BRITTLE_ISA", "set it to avx2"] {
                XCTAssert(m.contains(part), "'\(m)' does not mention '\(part)'")
            }
        }
        // Unknown values, control characters shown escaped.
        for (value, shown) in [("bogus", "\"bogus\""), ("avx\u{1B}[31m", "\"avx\\u{1B}[31m\"")] {
            XCTAssertThrowsError(try GEMMDispatch.choose(value, cpu: avx512CPU)) { error in
                let m = "\(error)"
                XCTAssert(m.contains("BRITTLE_ISA=\(shown)") && m.contains("avx2 or avx512"), m)
                XCTAssertFalse(m.unicodeScalars.contains { $0.value == 0x1B }, m)
            }
        }
    }

    /// The blocking of the model on two CPUs, and KC fixed on every path (the invariant).
    func testBlockingModel() {
        let zen = GEMMKernelPath(.avx2, cpu: avx2CPU)
        XCTAssertEqual([zen.mr, zen.nr, zen.mc, zen.kc, zen.nc], [6, 16, 126, 512, 4096])
        XCTAssertEqual(zen.description, "avx2 (6x16 tile, MC 126 KC 512 NC 4096; L1d 32 KiB, L2 512 KiB)")
        let xeon = GEMMKernelPath(.avx512, cpu: avx512CPU)
        XCTAssertEqual([xeon.mr, xeon.nr, xeon.mc, xeon.kc, xeon.nc], [28, 16, 504, 512, 7680])
        // The B micro-panel (KC x NR) fits the Xeon's 48 KiB L1d; the A block half its L2.
        XCTAssertLessThanOrEqual(xeon.kc * xeon.nr * 4, avx512CPU.l1d)
        XCTAssertLessThanOrEqual(xeon.packedABytes, avx512CPU.l2 / 2)
        for cpu in [avx2CPU, avx512CPU, CPUInfo.current] {
            for isa in GEMMISA.allCases {
                let p = GEMMKernelPath(isa, cpu: cpu)
                XCTAssertEqual(p.kc, GEMMBlocking.KC, "\(p)")
                XCTAssertEqual(p.mc % p.mr, 0, "\(p)")
                XCTAssertEqual(p.nc % p.nr, 0, "\(p)")
            }
        }
        // Tiny caches still give one tile; explicit blockings round up to whole tiles.
        XCTAssertEqual(GEMMBlocking.mc(mr: 28, l2: 1024), 28)
        XCTAssertEqual(GEMMKernelPath(.avx512TileOnAVX2, mc: 30, nc: 17).mc, 56)
        XCTAssertEqual(GEMMKernelPath(.avx512TileOnAVX2, mc: 30, nc: 17).nc, 32)
    }

    func testWithPathRefusesWhatThisCPUCannotRun() throws {
        if GEMMDispatch.isSupported(.avx512) { throw XCTSkip("this CPU has AVX-512F: nothing to refuse") }
        var ran = false
        XCTAssertThrowsError(try GEMMDispatch.withPath(.avx512) { ran = true }) { error in
            XCTAssert("\(error)".contains("avx512f"), "\(error)")
        }
        XCTAssertFalse(ran)
        // The override is scoped: nested paths restore the outer one.
        let before = GEMMDispatch.current
        try GEMMDispatch.withPath(.avx512TileOnAVX2) {
            XCTAssertEqual(GEMMDispatch.current.isa, .avx512TileOnAVX2)
            try GEMMDispatch.withPath(.avx2) { XCTAssertEqual(GEMMDispatch.current.isa, .avx2) }
            XCTAssertEqual(GEMMDispatch.current.isa, .avx512TileOnAVX2)
        }
        XCTAssertEqual(GEMMDispatch.current, before)
    }

    /// The determinism invariant: one KC everywhere, so the 6x16 AVX2 kernel and the 28x16 tile
    /// (here compiled for AVX2), with any blocking and thread count, give the same bits.
    func testPathsAreBitIdentical() {
        let KC = GEMMBlocking.KC
        let cases = [
            GEMMCase(m: 1, n: 1, k: 1, alpha: -0.5, beta: 0.25),
            GEMMCase(m: 29, n: 17, k: KC + 1, padA: 1, padC: 2),
            GEMMCase(transA: .transposed, m: 57, n: 33, k: 2 * KC - 1, alpha: 0.75, beta: 1),
            GEMMCase(transB: .transposed, m: 230, n: 95, k: 300, alpha: -1.5, beta: 0.25, padB: 3),
            GEMMCase(transA: .transposed, transB: .transposed, m: 113, n: 161, k: 2 * KC + 3,
                     beta: -2, padA: 2, padB: 1, padC: 1),
            GEMMCase(m: 5, n: 700, k: 41, alpha: 3, padC: 1, seed: 4),
        ]
        for t in cases {
            guard let expected = onPath(GEMMKernelPath(.avx2, cpu: .current), { t.run(threads: 1) })
            else { return }
            for path in GEMMTestPaths.all {
                for th in [1, 2, 3, 5] {
                    let got = onPath(path) { t.run(threads: th) }
                    XCTAssert(got?.map(\.bitPattern) == expected.map(\.bitPattern),
                              "\(t): \(path) with \(th) threads differs from avx2 with 1 thread")
                }
            }
        }
    }

    /// The real AVX-512 kernel: runs only where CPUID and the OS allow it.
    func testRealAVX512Path() throws {
        let cpu = CPUInfo.current
        guard GEMMDispatch.isSupported(.avx512, on: cpu) else {
            throw XCTSkip("the real AVX-512 path cannot run: this CPU (\(cpu.model)) has no AVX-512F "
                + "(or the OS does not save ZMM state); its 28x16 tile logic ran as avx512-tile-on-avx2")
        }
        let path = GEMMKernelPath(.avx512, cpu: cpu)
        for (ta, tb) in [(Transpose.none, Transpose.none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed)] {
            check(GEMMCase(transA: ta, transB: tb, m: 2 * path.mc + 29, n: 47, k: GEMMBlocking.KC + 1,
                           alpha: -0.5, beta: 0.25, padA: 1, padB: 2, padC: 3), paths: [path])
        }
        let t = GEMMCase(m: 300, n: 200, k: 600, alpha: 1.5, beta: 0.5, padC: 1)
        let avx2 = onPath(GEMMKernelPath(.avx2, cpu: cpu)) { t.run(threads: 2) }
        let avx512 = onPath(path) { t.run(threads: 3) }
        XCTAssert(avx2?.map(\.bitPattern) == avx512?.map(\.bitPattern), "avx512 differs from avx2 bit for bit")
    }
}

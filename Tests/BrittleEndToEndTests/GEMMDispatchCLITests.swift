// BRITTLE_ISA as the products see it, through the real binaries: `brittle` refuses a path this
// CPU cannot run (and an unknown one) at startup with exit status 1 and the fix, and accepts a
// supported one; `brittle-bench gemm` prints the CPU, the path it was forced to and its
// blocking. In-process selection logic: GEMMDispatchTests.
import BrittleGEMM
import BrittleTestSupport
import Foundation
import XCTest

final class GEMMDispatchCLITests: XCTestCase {
    func testBrittleRefusesAVX512WithoutIt() throws {
        let cpu = CPUInfo.current
        if GEMMDispatch.isSupported(.avx512, on: cpu) {
            throw XCTSkip("this CPU (\(cpu.model)) has AVX-512F: BRITTLE_ISA=avx512 is valid here")
        }
        let sandbox = try CLISandbox()
        let run = try sandbox.run(["plugins", "list"], environment: ["BRITTLE_ISA": "avx512"])
        sandbox.assertRefused(run, mentions: ["BRITTLE_ISA=avx512", cpu.model, "avx512f",
                                              "unset BRITTLE_ISA or set it to avx2"])
    }

    func testBrittleRefusesUnknownISA() throws {
        let sandbox = try CLISandbox()
        for value in ["bogus", "avx1024"] {
            let run = try sandbox.run(["plugins", "list"], environment: ["BRITTLE_ISA": value])
            sandbox.assertRefused(run, mentions: ["BRITTLE_ISA=\"\(value)\"", "avx2 or avx512"])
        }
    }

    func testBrittleAcceptsSupportedISA() throws {
        let sandbox = try CLISandbox()
        for value in ["avx2", "auto", ""] {
            let run = try sandbox.run(["plugins", "list"], environment: ["BRITTLE_ISA": value])
            XCTAssertEqual(run.status, 0, run.transcript)
            XCTAssertFalse(run.stderr.contains("BRITTLE_ISA"), run.transcript)
        }
    }

    /// The forced path is the one used: brittle-bench prints it with its tile and blocking.
    func testBenchHonoursForcedPath() throws {
        let bench = try BuiltBinaries.bench()
        let args = ["gemm", "--shapes", "40x40x40", "--repeats", "1", "--min-batch", "0.01",
                    "--settle", "0", "--threads", "1"]
        let expected: [(String, String)] = [
            ("avx2", "GEMM path: avx2 (6x16 tile, MC "),
            ("avx512-tile-on-avx2", "GEMM path: avx512-tile-on-avx2 (28x16 tile, MC "),
        ]
        for (value, line) in expected {
            let (status, out, err) = try runProcess(bench, args, ["BRITTLE_ISA": value])
            XCTAssertEqual(status, 0, "BRITTLE_ISA=\(value):\n\(out)\n\(err)")
            XCTAssert(out.contains(line) && out.contains("KC 512"), "BRITTLE_ISA=\(value):\n\(out)")
            XCTAssert(out.contains("CPU: \(CPUInfo.current.model)"), out)
        }
        // --isa refuses what this CPU lacks the same way.
        if !GEMMDispatch.isSupported(.avx512) {
            let (status, _, err) = try runProcess(bench, args + ["--isa", "avx512"], [:])
            XCTAssertEqual(status, 1, err)
            XCTAssert(err.contains("no avx512f") && err.contains("use --isa avx2"), err)
            let (envStatus, _, envErr) = try runProcess(bench, args, ["BRITTLE_ISA": "avx512"])
            XCTAssertEqual(envStatus, 1, envErr)
            XCTAssert(envErr.contains("unset BRITTLE_ISA or set it to avx2"), envErr)
        }
    }

    private func runProcess(_ path: String, _ args: [String], _ env: [String: String]) throws
        -> (Int32, String, String)
    {
        let r = try ProcessRunner.run(path, args, environment: env)
        return (r.status, r.stdout, r.stderr)
    }
}

// `brittle reproduce gaussian` through the real binary: a small run writes the report, results and
// four PNG figures, its claims hold, the same seed gives the same numbers; bad options are refused
// with exit status 1 before anything is written.
import BrittleExperiments
import BrittleGaussian
import BrittleTestSupport
import Foundation
import XCTest

final class GaussianCLITests: CLITestCase {
    private let small = ["--dimensions", "4", "--epsilons", "0,0.5,1", "--samples", "2000",
                         "--bridge-epochs", "40", "--bridge-samples", "4000"]

    private func numbers(_ path: String) throws -> GaussianResults {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var r = try d.decode(GaussianResults.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        r.seconds = 0
        for i in r.bridge.indices { r.bridge[i].seconds = 0 }
        return r
    }

    func testReproduceGaussianWritesReportFiguresAndIsDeterministic() throws {
        let out = path("gauss")
        let first = try brittle(["reproduce", "gaussian", "--out", out] + small, timeout: 300)
        assertSuccess(first)
        for name in ["report.md", "results.json", "figures/attacked-accuracy.png", "figures/robust-covariance.png",
                     "figures/gradient-alignment.png", "figures/gaussian-2d.png"] {
            XCTAssertTrue(exists(out + "/" + name), "\(name) missing:\n\(first.transcript)")
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: out + "/figures/gaussian-2d.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        for claim in ["misalignment", "robust-covariance", "gradient-alignment"] {
            XCTAssertTrue(first.stdout.contains("holds           \(claim):"), "\(claim) does not hold:\n\(first.stdout)")
        }
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        for text in ["## 1. Vulnerability from metric misalignment", "## 2. Robust learning", "## 3. Gradient alignment",
                     "## The engine", "figures/gaussian-2d.png"] {
            XCTAssertTrue(report.contains(text), "report.md lacks '\(text)'")
        }
        let results = try numbers(out + "/results.json")
        XCTAssertEqual(results.epsilons.map(\.epsilon), [0, 0.5, 1])
        XCTAssertEqual(results.bridge.map(\.name), ["standard", "adversarial"])

        let again = try brittle(["reproduce", "gaussian", "--out", path("gauss2")] + small, timeout: 300)
        assertSuccess(again)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        XCTAssertEqual(try encoder.encode(numbers(path("gauss2") + "/results.json")), try encoder.encode(results),
                       "the same seed gave different numbers")
    }

    func testBadOptionsAreRefusedAndNothingIsWritten() throws {
        let cases: [([String], String)] = [
            (["--epsilons", "0,-0.5"], "--epsilons"), (["--epsilons", "-1"], "--epsilons"), (["--epsilons", "0,abc"], "--epsilons"),
            (["--dimensions", "1"], "--dimensions"), (["--samples", "10"], "--samples"),
            (["--bridge-epsilon", "0"], "--bridge-epsilon"),
        ]
        for (i, (options, flag)) in cases.enumerated() {
            let out = path("bad\(i)")
            let run = try brittle(["reproduce", "gaussian", "--out", out] + options)
            box.assertRefused(run, mentions: [flag])
            XCTAssertFalse(exists(out), "\(options) created \(out)")
        }
    }
}

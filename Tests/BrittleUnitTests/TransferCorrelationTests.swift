// Tests of Figure 3's statistics (TransferCorrelation): per-architecture means and ranges over
// seeds, Pearson's r over the means, the percentile bootstrap interval (numpy's percentile on
// known values, determinism, degenerate resamples), and the scatter's error bars in the PNG.
// Not the transfer measurement itself (ReproduceCLITests runs it end to end).
@testable import BrittleExperiments
@testable import BrittleFigures
import BrittleTestSupport
import Foundation
import XCTest

final class TransferCorrelationTests: XCTestCase {
    private func result(_ arch: String, seed: UInt64, x: Float, y: Float) -> TransferResult {
        TransferResult(architecture: arch, seed: seed, relabelledSet: "d_rand", accuracyTrainedOnRelabelled: x,
                       targetCleanAccuracy: 0.9, transferSuccess: y, examples: 100, stages: [])
    }

    func testMeansRangesAndROverArchitectures() throws {
        // Two seeds per architecture; the means lie on y = 2x - 0.8 exactly (in fractions).
        let points: [(String, Float, Float, Float, Float)] = [
            ("linear", 0.50, 0.54, 0.20, 0.28), ("mlp", 0.60, 0.64, 0.40, 0.48), ("cnn-small", 0.70, 0.74, 0.60, 0.68),
            ("resnet-mini", 0.80, 0.84, 0.80, 0.88),
        ]
        let transfer = points.flatMap { a, x0, x1, y0, y1 in [result(a, seed: 0, x: x0, y: y0), result(a, seed: 1, x: x1, y: y1)] }
        let c = TransferCorrelation(transfer, resamples: 2000)
        XCTAssertEqual(c.architectures.map(\.name), ["linear", "mlp", "cnn-small", "resnet-mini"])
        XCTAssertEqual(c.architectures[1].seeds, 2)
        XCTAssertEqual(c.architectures[1].x, 62, accuracy: 1e-4)
        XCTAssertEqual(c.architectures[1].y, 44, accuracy: 1e-4)
        XCTAssertEqual(c.architectures[1].xRange.lowerBound, 60, accuracy: 1e-4)
        XCTAssertEqual(c.architectures[1].yRange.upperBound, 48, accuracy: 1e-4)
        XCTAssertEqual(c.r, 1, accuracy: 1e-9)
        // Every resample with spread is on the same line: the interval is [1, 1]; resamples of
        // one architecture repeated have no r and are left out.
        let i = try XCTUnwrap(c.interval)
        XCTAssertEqual(i.lowerBound, 1, accuracy: 1e-9)
        XCTAssertEqual(i.upperBound, 1, accuracy: 1e-9)
        XCTAssertLessThan(c.usableResamples, 2000)
        XCTAssertGreaterThan(c.usableResamples, 1900, "P(all 4 picks equal) = 4/256")
        XCTAssertTrue(c.summary.contains("Pearson r = 1.00 (95% bootstrap interval 1.00 to 1.00 over 4 architectures' means, 2000 resamples"), c.summary)
    }

    func testBootstrapIntervalIsSeededAndBracketsR() throws {
        let xs: [Float] = [0.55, 0.62, 0.70, 0.74, 0.81, 0.66], ys: [Float] = [0.30, 0.52, 0.41, 0.70, 0.55, 0.35]
        let transfer = zip(xs, ys).enumerated().map { result("a\($0.offset)", seed: 0, x: $0.element.0, y: $0.element.1) }
        let a = TransferCorrelation(transfer), b = TransferCorrelation(transfer)
        // Python: statistics.correlation(xs, ys) = 0.66022 (Pearson).
        XCTAssertEqual(a.r, 0.66022, accuracy: 1e-4)
        let i = try XCTUnwrap(a.interval)
        XCTAssertEqual(i, b.interval, "the bootstrap is not deterministic")
        XCTAssertTrue(i.lowerBound < a.r && a.r < i.upperBound && i.lowerBound >= -1 && i.upperBound <= 1, "\(i) vs r \(a.r)")
        XCTAssertGreaterThan(i.upperBound - i.lowerBound, 0.3, "six points cannot pin r down")
        XCTAssertNotEqual(TransferCorrelation(transfer, seed: 99).interval, i, "the seed does not drive the resampling")
        // Below three architectures: r, no interval, and the summary says why.
        let two = TransferCorrelation(Array(transfer.prefix(2)))
        XCTAssertNil(two.interval)
        XCTAssertTrue(two.summary.contains("no bootstrap interval below 3"), two.summary)
    }

    func testPercentileIntervalMatchesNumpy() throws {
        // np.percentile(np.arange(1, 101), [2.5, 97.5]) = [3.475, 97.525]
        let i = try XCTUnwrap(TransferCorrelation.percentileInterval((1...100).map(Double.init).shuffled()))
        XCTAssertEqual(i.lowerBound, 3.475, accuracy: 1e-9)
        XCTAssertEqual(i.upperBound, 97.525, accuracy: 1e-9)
        XCTAssertNil(TransferCorrelation.percentileInterval([]))
        XCTAssertEqual(TransferCorrelation.percentileInterval([0.3]), 0.3...0.3)
    }

    /// Spreads draw bars in the point's colour: more coloured pixels than the markers alone.
    func testScatterErrorBarsAreDrawn() throws {
        let dir = try TemporaryDirectory("scatter-bars")
        func pixels(spread: Bool) throws -> Int {
            let plot = ScatterPlot(title: "t", xAxis: PlotAxis("x", range: 0...100), yAxis: PlotAxis("y", range: 0...100),
                                   points: [.init(x: 50, y: 50, label: "a", xSpread: spread ? 20...80 : nil, ySpread: spread ? 10...90 : nil)],
                                   showsFit: false, width: 400, height: 400)
            let file = dir.path + "/\(spread).png"
            try plot.write(to: file)
            return try DecodedPNG(contentsOf: file).count(of: FigureColor.palette(0).pixel)
        }
        let bare = try pixels(spread: false), barred = try pixels(spread: true)
        // The bars span 60 and 80 data units on a plot some 300 pixels across: well over 200 pixels.
        XCTAssertGreaterThan(barred, bare + 200, "error bars missing (\(bare) -> \(barred) pixels)")
    }

    /// The report's per-architecture table gives each mean with its range and, from 3 seeds on,
    /// the 95% t interval; the finding counts architectures and seeds, not points.
    func testReportTableHasTheIntervalAndTheFindingCountsArchitectures() throws {
        var c = try ReproductionConfig.preset("quick")
        c.seeds = [0, 1, 2]
        var r = ReproductionResults(config: c, experiments: ["transfer"], threads: 2)
        // linear: x 50/52/54% (sd 2 points: t interval ±4.97), y 30/20/10%; mlp: x 60/64/68%, y 10/15/20%.
        r.transfer = (0..<3).flatMap { s -> [TransferResult] in
            let k = Float(s)
            return [result("linear", seed: UInt64(s), x: 0.50 + 0.02 * k, y: 0.30 - 0.10 * k),
                    result("mlp", seed: UInt64(s), x: 0.60 + 0.04 * k, y: 0.10 + 0.05 * k)]
        }
        r.claims = ReproductionClaims.evaluate(r)
        let refs = try ReferenceFigures.load(ReferenceFigures.defaultPath())
        let md = ReproductionReport.render(r, figures: [], command: "reproduce transfer", references: refs)
        XCTAssertTrue(md.contains("| linear | 3 | 52.0% (50.0–54.0; CI 47.0–57.0) | 20.0% (10.0–30.0; CI -4.8–44.8) |"), md)
        XCTAssertTrue(md.contains("| mlp | 3 | 64.0% (60.0–68.0; CI 54.1–73.9) |"), md)
        let note = try XCTUnwrap(ReproductionReport.findings(r).first { $0.contains("Figure 3's correlation") })
        XCTAssertTrue(note.contains("With 2 architectures (3 pipeline seeds)"), note)
        XCTAssertTrue(note.contains("linear (x 52.0%, y 20.0%)"), note)
    }
}

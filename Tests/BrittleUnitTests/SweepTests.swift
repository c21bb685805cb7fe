// Tests of the library side of `brittle sweep`: --grid parsing and its errors, the expansion's
// order and size, a point's configuration, the table's statistics against hand-computed values
// (the t interval at n = 3), sweep.json, sweep.md's rows, and the figures' error bars (drawn
// where the seed spread puts them). Synthetic ReproductionResults: nothing is trained.
// BRITTLE_FIGURE_SAMPLES=DIR keeps the sample sweep outputs in DIR/sweep*.
@testable import BrittleExperiments
@testable import BrittleFigures
import BrittleTestSupport
import Foundation
import XCTest

final class SweepTests: XCTestCase {
    // MARK: Grid

    func testGridParsesScalarListAndJSONValues() throws {
        let grid = try SweepGrid(parsing: ["set_size=1000, 2000", "rand-epsilon=0.5,1"])
        XCTAssertEqual(grid.keys, ["set_size", "rand_epsilon"], "dashes become underscores; order kept")
        XCTAssertEqual(grid.axes[0].values.map(\.value), ["1000", "2000"])
        XCTAssertEqual(grid.axes[1].values.map(\.number), [0.5, 1])

        let lists = try SweepGrid(parsing: ["det_epsilons=1;2,4"])
        XCTAssertEqual(lists.axes[0].values.map(\.value), ["1;2", "4"])
        XCTAssertEqual(lists.axes[0].values.map(\.items), [["1", "2"], ["4"]])
        XCTAssertNil(lists.axes[0].values[0].number, "a list is not a number")
        let json = try SweepGrid(parsing: ["det_epsilons=[[1,2],[4]]"])
        XCTAssertEqual(json.axes[0].values, lists.axes[0].values, "the JSON form is the same grid")

        let strings = try SweepGrid(parsing: [#"inversion_start=["noise","other-image"]"#, "transfer_architectures=mlp;cnn-small,mlp"])
        XCTAssertEqual(strings.axes[0].values.map(\.value), ["noise", "other-image"])
        XCTAssertEqual(strings.axes[1].values.map(\.assignment), ["transfer_architectures=mlp,cnn-small", "transfer_architectures=mlp"])
        XCTAssertEqual(try SweepGrid(parsing: ["test_limit=1000,null"]).axes[0].values.map(\.value), ["1000", "null"])
    }

    func testGridErrorsNameTheProblemAndTheFix() {
        func message(_ args: [String]) -> String {
            do { _ = try SweepGrid(parsing: args); return "no error" } catch { return "\(error)" }
        }
        let unknown = message(["set_sise=1,2"])
        XCTAssertTrue(unknown.contains("unknown key 'set_sise'") && unknown.contains("known keys") && unknown.contains("set_size"), unknown)
        XCTAssertFalse(unknown.contains("seeds,"), "seeds is not offered as a grid key: \(unknown)")
        let bad = message(["set_size=1000,abc"])
        XCTAssertTrue(bad.contains("set_size") && bad.contains("'abc'"), bad)
        XCTAssertTrue(message([]).contains("no grid") && message([]).contains("--grid"), message([]))
        let twice = message(["set_size=1", "set-size=2"])
        XCTAssertTrue(twice.contains("set_size") && twice.contains("twice"), twice)
        XCTAssertTrue(message(["seeds=0,1"]).contains("--seeds"), message(["seeds=0,1"]))
        XCTAssertTrue(message(["preset=quick,paper"]).contains("--preset"))
        XCTAssertTrue(message(["set_size"]).contains("key=v1,v2"))
        XCTAssertTrue(message(["set_size=1000,,2000"]).contains("empty value"))
        XCTAssertTrue(message(["rand_epsilon=1,1.0"]).contains("repeats"), message(["rand_epsilon=1,1.0"]))
        XCTAssertTrue(message(["det_epsilons=[1,2]"]).contains("each value is a list"), message(["det_epsilons=[1,2]"]))
        XCTAssertTrue(message(["set_size=[1,"]).contains("not a JSON array"))
    }

    func testExpansionIsTheCartesianProductFirstKeySlowest() throws {
        let grid = try SweepGrid(parsing: ["set_size=100,200,300", "inversion_start=noise,other-image"])
        let points = grid.points
        XCTAssertEqual(points.count, 6)
        XCTAssertEqual(points.map(\.index), Array(0..<6))
        XCTAssertEqual(points.map(\.label), [
            "set_size=100, inversion_start=noise", "set_size=100, inversion_start=other-image",
            "set_size=200, inversion_start=noise", "set_size=200, inversion_start=other-image",
            "set_size=300, inversion_start=noise", "set_size=300, inversion_start=other-image",
        ])
        XCTAssertEqual(try SweepGrid(parsing: ["set_size=100,200,300", "inversion_start=noise,other-image"]).points, points, "stable")
        XCTAssertEqual(try SweepGrid(parsing: ["set_size=1", "rand_epsilon=1,2", "relabel_steps=3,4,5"]).points.count, 6)
    }

    func testConfigurationForAPointIsTheBaseWithItsSettingsAndOneSeed() throws {
        let base = try ReproductionConfig.preset("quick")
        let grid = try SweepGrid(parsing: ["set_size=100,200", "det_epsilons=1;2,4"])
        let c = try grid.configuration(for: grid.points[1], seed: 7, base: base)
        XCTAssertEqual(c.setSize, 100)
        XCTAssertEqual(c.detEpsilons, [4])
        XCTAssertEqual(c.seeds, [7])
        var expected = base
        expected.setSize = 100
        expected.detEpsilons = [4]
        expected.seeds = [7]
        XCTAssertEqual(c, expected, "every other setting is the base's")

        let all = try grid.configurations(seeds: [0, 1, 2], base: base)
        XCTAssertEqual(all.count, 12)
        XCTAssertEqual(all.map(\.point.index), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        XCTAssertEqual(all.map(\.seed), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
        XCTAssertEqual(all[7].config.setSize, 200)
        XCTAssertThrowsError(try grid.configurations(seeds: [], base: base))

        // A value of the right type that cannot run fails naming the point and the seed.
        let zero = try SweepGrid(parsing: ["set_size=0,10"])
        XCTAssertThrowsError(try zero.configuration(for: zero.points[0], seed: 3, base: base)) {
            XCTAssertTrue("\($0)".contains("set_size=0") && "\($0)".contains("seed 3") && "\($0)".contains("at least 1"), "\($0)")
        }
        let headline = try SweepGrid(parsing: ["headline_epsilon=0.5,3"])
        XCTAssertNoThrow(try headline.configuration(for: headline.points[0], seed: 0, base: base))
        XCTAssertThrowsError(try headline.configurations(seeds: [0], base: base)) { XCTAssertTrue("\($0)".contains("eval_epsilons"), "\($0)") }
    }

    // MARK: Table

    private func model(_ name: String, seed: UInt64, clean: Float, robust: Float, next: Float = 0.1, transferred: Float? = nil,
                       ensemble: Float? = nil) -> ModelResult {
        ModelResult(name: name, label: name.uppercased(), seed: seed, architecture: "cnn-small", trainImages: 100, epochs: 1,
                    evaluation: ModelEvaluation(cleanAccuracy: clean, testImages: 100, nextClassFraction: next, robustCleanAccuracy: clean,
                                                robustImages: 100, robust: [RobustPoint(epsilon: 0.5, robustAccuracy: robust / 2),
                                                                            RobustPoint(epsilon: 1.0, robustAccuracy: robust)], steps: 20),
                    ensemble: ensemble.map { .fixture(clean: clean, robust: $0) },
                    transferredAccuracy: transferred, stage: "\(name)-\(seed)")
    }

    /// Grid set_size=100,200,300 at seeds 0, 1, 2; D_R's clean accuracy is chosen per point:
    /// (50, 75, 100)%, (30, 40)% (seed 2 has no D_R) and 80% at every seed.
    private func sweep() throws -> (SweepGrid, [SweepRun]) {
        let grid = try SweepGrid(parsing: ["set_size=100,200,300"])
        let cleans: [[Float?]] = [[0.5, 0.75, 1.0], [0.3, 0.4, nil], [0.8, 0.8, 0.8]]
        var runs: [SweepRun] = []
        for p in grid.points {
            for seed: UInt64 in [2, 0, 1] {  // out of order: the table sorts by --seeds
                var c = try grid.configuration(for: p, seed: seed, base: try ReproductionConfig.preset("quick"))
                c.detEpsilons = [2]
                var r = ReproductionResults(config: c, experiments: ["all"], threads: 2)
                if let clean = cleans[p.index][Int(seed)] { r.models.append(model("d_r", seed: seed, clean: clean, robust: 0.25,
                                                                                    ensemble: seed == 2 ? nil : Float(seed + 1) / 10)) }
                r.models.append(model("d_det_eps2", seed: seed, clean: 0.05, robust: 0, next: 0.5, transferred: 0.125))
                r.sets = [SetResult(name: "d_rand", label: "D_rand", seed: seed, spec: "adversarial-relabel", sourceModel: "standard",
                                    images: 100, reported: ["targeted-success": 0.875, "batch-0/targeted-success": 1], stage: "s")]
                r.transfer = [0.5, 0.625, 0.75].enumerated().map { i, x in
                    TransferResult(architecture: "a\(i)", seed: seed, relabelledSet: "d_rand", accuracyTrainedOnRelabelled: x,
                                   targetCleanAccuracy: 0.9, transferSuccess: Float(i + 1) / 8, examples: 100, stages: [])
                }
                r.claims = [ClaimResult(id: "d_rand", statement: "D_rand generalises", holds: seed != 1 || p.index == 2, detail: ""),
                            ClaimResult(id: "d_sub-control", statement: "reported", holds: nil, detail: "")]
                runs.append(SweepRun(point: p, seed: seed, results: r))
            }
        }
        return (grid, runs)
    }

    func testTableStatisticsMatchHandComputedValues() throws {
        let (grid, runs) = try sweep()
        let table = SweepTable(grid: grid, experiment: "all", seeds: [0, 1, 2], runs: runs)
        let clean = try XCTUnwrap(table.figure("clean/d_r"))
        XCTAssertEqual(clean.unit, "%")
        let a = try XCTUnwrap(clean.points[0])
        XCTAssertEqual(a.values, [50, 75, 100], "seed order of --seeds, in percent")
        XCTAssertEqual(a.n, 3)
        XCTAssertEqual(a.mean, 75)
        XCTAssertEqual([a.min, a.max], [50, 100])
        XCTAssertEqual(try XCTUnwrap(a.standardDeviation), 25, accuracy: 1e-12)
        // 75 ± t(0.975, 2) · 25 / sqrt(3), t = 4.302653 (scipy.stats.t.ppf).
        XCTAssertEqual(try XCTUnwrap(a.ci95Lower), 12.896557, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(a.ci95Upper), 137.103443, accuracy: 1e-5)
        let b = try XCTUnwrap(clean.points[1])
        XCTAssertEqual(b.n, 2, "the seed without D_R does not count")
        XCTAssertEqual(b.mean, 35, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(b.standardDeviation), 7.0710678, accuracy: 1e-5)
        XCTAssertNil(b.ci95Lower, "no interval below three seeds")
        let c = try XCTUnwrap(clean.points[2])
        XCTAssertEqual([c.mean, c.min, c.max], Array(repeating: Double(Float(0.8)) * 100, count: 3))
        XCTAssertEqual(try XCTUnwrap(c.ci95Lower), c.mean, accuracy: 1e-9, "no spread, a zero-width interval")

        XCTAssertEqual(table.figure("robust/d_r")?.points[0]?.mean, 25, "robust accuracy at headline_epsilon 1, not at 0.5")
        // The ensemble's robust accuracy where the run measured it (seed 2: robust_evaluation = pgd).
        XCTAssertEqual(table.figure("ensemble/d_r")?.points[0]?.values.map { ($0 * 1e4).rounded() / 1e4 }, [10, 20])
        XCTAssertNil(table.figure("ensemble/d_det_eps2"), "no D_det model faced the ensemble")
        XCTAssertEqual(table.figure("next-class/d_det_eps2")?.points[0]?.mean, 50)
        XCTAssertNil(table.figure("next-class/d_r"), "the (y+1) share is a D_det figure")
        XCTAssertEqual(table.figure("transferred/d_det_eps2")?.points[1]?.mean, 12.5)
        XCTAssertNil(table.figure("transferred/d_r"), "no model measured it")
        XCTAssertEqual(table.figure("set/d_rand/targeted-success")?.points[2]?.mean, 87.5)
        XCTAssertNil(table.figures.first { $0.id.contains("batch-") }, "per-batch diagnostics are not headline figures")
        XCTAssertEqual(try XCTUnwrap(table.figure("transfer-correlation")?.points[0]?.mean), 1, accuracy: 1e-6)
        XCTAssertEqual(table.figures.map(\.id).prefix(2), ["clean/d_r", "clean/d_det_eps2"])

        let claim = try XCTUnwrap(table.claims.first { $0.id == "d_rand" })
        XCTAssertEqual(claim.holds, [2, 2, 3])
        XCTAssertEqual(claim.checked, [3, 3, 3])
        XCTAssertEqual(table.claims.first { $0.id == "d_sub-control" }?.checked, [0, 0, 0], "reported claims are not checked")
        XCTAssertEqual(table.headlineEpsilons, [1, 1, 1])

        // sweep.json round-trips.
        let back = try SweepTable.decode(table.encoded())
        XCTAssertEqual(back.figure("clean/d_r")?.points[0], a)
        XCTAssertEqual(back.grid, grid)
        XCTAssertTrue(String(decoding: try table.encoded(), as: UTF8.self).contains("\"ci95_lower\""))
    }

    func testTQuantileAgainstScipy() {
        XCTAssertEqual(SweepStatistics.tQuantile975(degreesOfFreedom: 2), 4.302653, accuracy: 1e-6)
        XCTAssertEqual(SweepStatistics.tQuantile975(degreesOfFreedom: 30), 2.042272, accuracy: 1e-6)
        XCTAssertEqual(SweepStatistics.tQuantile975(degreesOfFreedom: 40), 2.021075, accuracy: 1e-5)
        XCTAssertEqual(SweepStatistics.tQuantile975(degreesOfFreedom: 120), 1.979930, accuracy: 1e-5)
        XCTAssertNil(SweepStatistics([.nan, .infinity]))
        XCTAssertEqual(SweepStatistics([1, .nan])?.n, 1)
    }

    // MARK: Report

    func testMarkdownHasARowPerPointForEveryFigure() throws {
        let (grid, runs) = try sweep()
        let table = SweepTable(grid: grid, experiment: "all", seeds: [0, 1, 2], runs: runs,
                               execution: SweepExecution(executor: "local", stages: 40, cachedStages: 12, seconds: 95))
        let md = SweepReport.markdown(table, command: "sweep all --grid set_size=100,200,300 --seeds 0,1,2", figureFiles: ["clean/d_r": "figures/clean-d_r.png"])
        XCTAssertTrue(md.contains("3 grid points × 3 seeds (0, 1, 2) = 9 reproductions, run as one stage graph on the `local` executor: 40 distinct stages"), md)
        XCTAssertTrue(md.contains("12 of them already cached"))
        XCTAssertTrue(md.contains("### D_R: clean accuracy\n\n![D_R: clean accuracy](figures/clean-d_r.png)"), md)
        XCTAssertTrue(md.contains("| set_size | mean | min–max | 95% CI | n |"))
        XCTAssertTrue(md.contains("| 100 | 75.0% | 50.0%–100.0% | 12.9%–137.1% | 3 |"), md)
        XCTAssertTrue(md.contains("| 200 | 35.0% | 30.0%–40.0% | — | 2 |"), md)
        XCTAssertTrue(md.contains("| 300 | 80.0% | 80.0%–80.0% | 80.0%–80.0% | 3 |"), md)
        XCTAssertTrue(md.contains("| 100 | 1.000 | 1.000–1.000 |"), "the correlation is not a percentage")
        XCTAssertTrue(md.contains("robust accuracy is L2 PGD at the point's `headline_epsilon` (1); the attack ensemble attacks at the same budget."), md)
        XCTAssertTrue(md.contains("### D_R: robust accuracy under the attack ensemble"), md)
        XCTAssertTrue(md.contains("| set_size | `d_rand` | `d_sub-control` |\n|---|---|---|\n| 100 | 2/3 | reported |\n| 200 | 2/3 | reported |\n| 300 | 3/3 | reported |"), md)
    }

    func testFiguresPlotTheSweptSettingWithSeedSpreadBars() throws {
        let (grid, runs) = try sweep()
        let table = SweepTable(grid: grid, experiment: "all", seeds: [0, 1, 2], runs: runs)
        let figure = try XCTUnwrap(table.figure("clean/d_r"))
        var plot = SweepReport.plot(figure, in: table)
        XCTAssertNil(plot.categories, "set_size is numeric: x is its value")
        XCTAssertEqual(plot.series.count, 1)
        let percent = { (v: Float) in 100 * Double(v) }
        XCTAssertEqual(plot.series[0].points, [PlotPoint(100, 75), PlotPoint(200, (percent(0.3) + percent(0.4)) / 2), PlotPoint(300, percent(0.8))])
        XCTAssertEqual(plot.series[0].errorBars.map(\.x), [100, 200, 300])
        XCTAssertEqual(plot.series[0].errorBars[0], ErrorBar(x: 100, low: 50, high: 100))

        let scratch = try TemporaryDirectory("sweep")
        // BRITTLE_FIGURE_SAMPLES=DIR keeps sweep.md and the figures in DIR/sweep for a person to look at.
        let out = ProcessInfo.processInfo.environment["BRITTLE_FIGURE_SAMPLES"].map { $0 + "/sweep" } ?? scratch.path
        let files = try SweepReport.write(table, to: out, command: "sweep all")
        XCTAssertEqual(files.count, table.figures.count)
        for name in ["sweep.json", "sweep.md", "figures/clean-d_r.png", "figures/set-d_rand-targeted-success.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + name), name)
        }
        let written = try DecodedPNG(contentsOf: out + "/figures/clean-d_r.png")
        let colour = FigureColor.palette(0).pixel
        XCTAssertGreaterThan(written.count(of: colour), 300, "not blank: the series, its markers and bars")

        // Bars at the expected places: render on a fixed 0...100 axis with and without bars.
        plot.yAxis.range = -10...110
        try plot.write(to: scratch.path + "/bars.png")
        plot.series[0].errorBars = []
        try plot.write(to: scratch.path + "/nobars.png")
        let with = try DecodedPNG(contentsOf: scratch.path + "/bars.png"), without = try DecodedPNG(contentsOf: scratch.path + "/nobars.png")
        let f = try XCTUnwrap(with.plotFrame())
        // The x axis is padded by 6% of the span at each end: 100 and 300 stand clear of the frame.
        let xRange = try XCTUnwrap(plot.xAxis.range)
        XCTAssertEqual(xRange.lowerBound, 88, accuracy: 1e-9)
        XCTAssertEqual(xRange.upperBound, 312, accuracy: 1e-9)
        func py(_ v: Double) -> Double { Double(f.y) + (110 - v) / 120 * Double(f.height) }
        // (At 300 the seeds agree: a zero-height bar hidden under the marker.)
        for (x, low, high) in [(100.0, 50.0, 100.0), (200, 30, 40)] {
            let px = Int((Double(f.x) + (x - 88) / 224 * Double(f.width)).rounded(.down))
            let box = try XCTUnwrap(with.boundingBox { bx, by, p in abs(bx - px) < 20 && p == colour && without[bx, by] != colour },
                                    "a bar at set_size \(x)")
            XCTAssertEqual(Double(box.minY), py(high), accuracy: 1.5, "top of the bar at \(x)")
            XCTAssertEqual(Double(box.maxY), py(low), accuracy: 1.5, "bottom of the bar at \(x)")
            XCTAssertEqual(Double(box.minX + box.maxX) / 2, Double(px), accuracy: 1, "centred on the point at \(x)")
        }
    }

    /// A sweep table over `grid` at seeds 0 and 1, each run holding the models `models` gives.
    private func sweepTable(_ grid: SweepGrid, experiment: String, models: (SweepPoint, UInt64) -> [ModelResult]) throws -> SweepTable {
        var runs: [SweepRun] = []
        for p in grid.points {
            for seed: UInt64 in [0, 1] {
                var r = ReproductionResults(config: try grid.configuration(for: p, seed: seed, base: ReproductionConfig()), experiments: ["all"], threads: 1)
                r.models = models(p, seed)
                runs.append(SweepRun(point: p, seed: seed, results: r))
            }
        }
        return SweepTable(grid: grid, experiment: experiment, seeds: [0, 1], runs: runs)
    }

    func testNonNumericAndTwoKeyGridsGetCategoriesAndOneLinePerSecondValue() throws {
        let grid = try SweepGrid(parsing: ["inversion_start=noise,other-image", "set_size=100,200,300"])
        let table = try sweepTable(grid, experiment: "robust-features") { p, seed in
            [model("d_r", seed: seed, clean: Float(p.index) / 8 + Float(seed) / 16, robust: 0.25)]
        }
        let plot = SweepReport.plot(try XCTUnwrap(table.figure("clean/d_r")), in: table)
        XCTAssertEqual(plot.categories, ["noise", "other-image"])
        XCTAssertEqual(plot.series.map(\.name), ["set_size=100", "set_size=200", "set_size=300"])
        // set_size=200 is point 1 (noise) and point 4 (other-image): means (1/8 + 1/32), (4/8 + 1/32).
        XCTAssertEqual(plot.series[1].points, [PlotPoint(0, 15.625), PlotPoint(1, 53.125)])
        XCTAssertEqual(plot.series[1].errorBars, [ErrorBar(x: 0, low: 12.5, high: 18.75), ErrorBar(x: 1, low: 50, high: 56.25)])
        let scratch = try TemporaryDirectory("sweep-cat")
        let out = ProcessInfo.processInfo.environment["BRITTLE_FIGURE_SAMPLES"].map { $0 + "/sweep-categorical" } ?? scratch.path
        try SweepReport.write(table, to: out, command: "sweep")
        let png = try DecodedPNG(contentsOf: out + "/figures/clean-d_r.png")
        for i in 0..<3 { XCTAssertGreaterThan(png.count(of: FigureColor.palette(i).pixel), 50, "line \(i)") }
    }

    /// A figure the second key does not change (its stage is shared across that key's values)
    /// is drawn once, named as such; one that it changes keeps a line per value.
    func testAFigureTheOtherKeysDoNotChangeIsOneLine() throws {
        let grid = try SweepGrid(parsing: ["set_size=100,200", "rand_epsilon=1,2"])
        let table = try sweepTable(grid, experiment: "non-robust-features") { p, seed in
            let size = Float(p.settings[0].number!) / 1000, eps = Float(p.settings[1].number!) / 100
            return [model("d_det_eps2", seed: seed, clean: size + Float(seed) / 100, robust: 0),
                    model("d_rand", seed: seed, clean: size + eps, robust: 0)]
        }
        let det = SweepReport.plot(try XCTUnwrap(table.figure("clean/d_det_eps2")), in: table)
        XCTAssertEqual(det.series.map(\.name), ["the same at every rand_epsilon"])
        XCTAssertEqual(det.series[0].points.map(\.x), [100, 200])
        for (point, mean) in zip(det.series[0].points, [10.5, 20.5]) { XCTAssertEqual(point.y, mean, accuracy: 1e-4) }
        XCTAssertEqual(det.series[0].errorBars.count, 2)
        let rand = SweepReport.plot(try XCTUnwrap(table.figure("clean/d_rand")), in: table)
        XCTAssertEqual(rand.series.map(\.name), ["rand_epsilon=1", "rand_epsilon=2"])
    }

    /// Set sizes spread over decades get a logarithmic x axis (1,000 to 20,000 would otherwise
    /// squash 1k-5k into a fifth of the width); values from 0, or within a factor of 10, stay linear.
    func testSweptValuesOverADecadeOrMoreGetALogarithmicAxis() throws {
        let grid = try SweepGrid(parsing: ["set_size=1000,2000,5000,20000"])
        let table = try sweepTable(grid, experiment: "robust-features") { p, seed in
            [model("d_r", seed: seed, clean: Float(p.index) / 8 + Float(seed) / 16, robust: 0.25)]
        }
        let plot = SweepReport.plot(try XCTUnwrap(table.figure("clean/d_r")), in: table)
        XCTAssertEqual(plot.xAxis.scale, .logarithmic)
        XCTAssertEqual(plot.xAxis.label, "set_size (log scale)")
        let range = try XCTUnwrap(plot.xAxis.range)
        // 6% of the 1.30 decades at each end: a factor 20^0.06 = 1.197.
        XCTAssertEqual(range.lowerBound, 1000 / pow(20, 0.06), accuracy: 1e-6)
        XCTAssertEqual(range.upperBound, 20000 * pow(20, 0.06), accuracy: 1e-6)
        let ticks = plot.xAxis.ticks(for: [], targetCount: 6)
        XCTAssertEqual(ticks.values.map(ticks.label), ["1000", "2000", "5000", "10000", "20000"])
        // Drawn: the bar at N = 2,000 sits where log10 puts it, not where 2,000 falls linearly.
        let scratch = try TemporaryDirectory("sweep-log")
        let out = ProcessInfo.processInfo.environment["BRITTLE_FIGURE_SAMPLES"].map { $0 + "/sweep-log" } ?? scratch.path
        try SweepReport.write(table, to: out, command: "sweep")
        var bare = plot
        bare.series[0].errorBars = []
        try bare.write(to: scratch.path + "/nobars.png")
        let with = try DecodedPNG(contentsOf: out + "/figures/clean-d_r.png"), without = try DecodedPNG(contentsOf: scratch.path + "/nobars.png")
        let f = try XCTUnwrap(with.plotFrame())
        let t = (log10(2000) - log10(range.lowerBound)) / (log10(range.upperBound) - log10(range.lowerBound))
        let px = Double(f.x) + t * Double(f.width)
        let colour = FigureColor.palette(0).pixel
        let box = try XCTUnwrap(with.boundingBox { bx, by, p in abs(Double(bx) - px) < 15 && p == colour && without[bx, by] != colour },
                                "the bar at set_size 2000")
        XCTAssertEqual(Double(box.minX + box.maxX) / 2, px, accuracy: 1.5)

        let linear = try sweepTable(try SweepGrid(parsing: ["set_size=1000,2000,5000"]), experiment: "robust-features") { _, seed in
            [model("d_r", seed: seed, clean: 0.5, robust: 0.25)]
        }
        XCTAssertEqual(SweepReport.plot(try XCTUnwrap(linear.figure("clean/d_r")), in: linear).xAxis.scale, .linear)
        XCTAssertFalse(SweepReport.logarithmicAxis([0, 1, 8]), "0 has no logarithm")
        XCTAssertFalse(SweepReport.logarithmicAxis([-1, 10, 100]))
        XCTAssertTrue(SweepReport.logarithmicAxis([0.5, 1, 2, 4, 8]))
    }
}

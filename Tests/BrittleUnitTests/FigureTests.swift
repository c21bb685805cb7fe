// Tests of BrittleFigures: every figure kind writes a valid PNG of the expected size whose pixels
// (decoded back through cairo) show what was drawn; bad paths fail cleanly and leave no file;
// NaN and infinity in plot data are skipped. Set BRITTLE_FIGURE_SAMPLES=DIR to keep the sample
// figures of `testSampleFigures` in DIR for a person to look at.
@testable import BrittleFigures
import BrittleIO
import BrittleNN
import Foundation
import BrittleTestSupport
import XCTest

final class FigureTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    private var directory: String { scratch.path }

    override func setUpWithError() throws {
        scratch = try TemporaryDirectory("figures")
    }

    override func tearDownWithError() throws { scratch = nil }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// Checks the PNG signature and returns the IHDR width and height.
    private func pngSize(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> (Int, Int) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertGreaterThan(bytes.count, 33, "PNG too short", file: file, line: line)
        XCTAssertEqual(Array(bytes[0..<8]), [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature", file: file, line: line)
        XCTAssertEqual(String(decoding: bytes[12..<16], as: UTF8.self), "IHDR", file: file, line: line)
        func be32(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// The files in the test directory (to check that no temporary file is left behind).
    private func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    private func constantImage(_ values: [Float], height: Int = 28, width: Int = 28) -> Tensor {
        Tensor(
            shape: [values.count, height, width],
            scalars: values.flatMap { [Float](repeating: $0, count: height * width) })
    }

    /// The bounding box (minX, minY, maxX, maxY) of the pixels equal to `p`.
    private func boundingBox(of p: RGBPixel, in png: DecodedPNG) -> (Int, Int, Int, Int)? {
        var box: (Int, Int, Int, Int)? = nil
        for y in 0..<png.height {
            for x in 0..<png.width where png[x, y] == p {
                box = box.map { (min($0.0, x), min($0.1, y), max($0.2, x), max($0.3, y)) } ?? (x, y, x, y)
            }
        }
        return box
    }

    // MARK: Image grids

    func testImageGridCellsShowTheImageValuesUpscaledTo84Pixels() throws {
        let gray = constantImage([0.2])
        let rgb = constantImage([0.9, 0.1, 0.3])
        let out = path("grid.png")
        try ImageGrid(images: [gray, rgb], columns: 2).write(to: out)

        // No text: two 84-px cells, a 10-px gap, 12-px margins.
        let (w, h) = try pngSize(out)
        XCTAssertEqual(w, 12 + 84 + 10 + 84 + 12)
        XCTAssertEqual(h, 12 + 84 + 12)
        let png = try DecodedPNG(contentsOf: out)
        XCTAssertEqual(png.width, w)
        XCTAssertEqual(png.height, h)
        XCTAssertEqual(png[0, 0], RGBPixel(gray: 255), "background is white")

        for (pixel, centreX) in [
            (RGBPixel(gray: 51), 12 + 42), (RGBPixel(red: 230, green: 26, blue: 77), 12 + 84 + 10 + 42),
        ] {
            XCTAssertEqual(png[centreX, 12 + 42], pixel, "cell centre shows the image value * 255")
            XCTAssertEqual(png.count(of: pixel), 84 * 84, "the cell is exactly 84 x 84 pixels of \(pixel)")
            let box = try XCTUnwrap(boundingBox(of: pixel, in: png))
            XCTAssertEqual(box.2 - box.0 + 1, 84)
            XCTAssertEqual(box.3 - box.1 + 1, 84)
        }
    }

    func testImageGridUpscalesWithNearestNeighbour() throws {
        // 4 x 4 image of 16 distinct grays; at scale 10 each must be an exact 10 x 10 block.
        let values = (0..<16).map { Float($0 + 2) / 20 }
        let image = Tensor(shape: [1, 1, 4, 4], scalars: values)
        let out = path("nn.png")
        try ImageGrid(images: image, columns: 1, scale: 10).write(to: out)
        let png = try DecodedPNG(contentsOf: out)
        let first = RGBPixel(gray: UInt8((values[0] * 255).rounded()))
        let (x0, y0, _, _) = try XCTUnwrap(boundingBox(of: first, in: png))
        for i in 0..<4 {
            for j in 0..<4 {
                let expected = RGBPixel(gray: UInt8((values[i * 4 + j] * 255).rounded()))
                for (dx, dy) in [(0, 0), (9, 0), (0, 9), (9, 9), (5, 5)] {
                    XCTAssertEqual(png[x0 + j * 10 + dx, y0 + i * 10 + dy], expected, "block (\(i), \(j))")
                }
            }
        }
    }

    func testImageGridWithCaptionsTitlesAndAttackRows() throws {
        let originals = Tensor(shape: [3, 1, 28, 28], scalars: (0..<(3 * 784)).map { Float($0 % 784) / 783 })
        var adversarial = originals
        adversarial.scalars = originals.scalars.enumerated().map { i, v in min(1, max(0, v + (i % 2 == 0 ? 0.1 : -0.1)))
        }
        var grid = try ImageGrid.attackExamples(
            originals: originals, adversarial: adversarial, labels: ["Coat", "Bag", "Ankle boot"],
            predictions: ["Shirt", "Bag", "Sneaker"], title: "PGD-Linf, eps 0.1")
        grid.columnTitles = ["#1", "#2", "#3"]
        XCTAssertEqual(grid.rows.count, 3)
        XCTAssertEqual(grid.rowTitles[1], "perturbation ×5", "0.5 / 0.1 = 5 is a 1-2-5 value")
        let out = path("attack.png")
        try grid.write(to: out)
        let (w, h) = try pngSize(out)
        XCTAssertGreaterThan(w, 3 * 84)
        XCTAssertGreaterThan(h, 3 * 84)
        let png = try DecodedPNG(contentsOf: out)
        XCTAssertEqual(png[0, 0], RGBPixel(gray: 255))
        // Wrong predictions are captioned in red, right ones in green (antialiased text: near colours).
        let reddish = png.pixels.filter { $0.red > 150 && $0.green < 110 && $0.blue < 110 }.count
        let greenish = png.pixels.filter { $0.green > 90 && $0.red < 80 && $0.blue < 100 }.count
        XCTAssertGreaterThan(reddish, 10)
        XCTAssertGreaterThan(greenish, 10)
        // The perturbation row: 0.5 + 5 * (+-0.1) is 1.0 or 0.0 away from the clamped pixels.
        XCTAssertGreaterThan(png.count(of: RGBPixel(gray: 255)), 0)
    }

    func testImageGridRejectsBadShapesAndEmptyGrids() throws {
        XCTAssertThrowsError(try ImageGrid(images: Tensor(shape: [2, 2, 4, 4]), columns: 2)) {
            XCTAssertTrue("\($0)".contains("C = 1 or 3"), "\($0)")
        }
        let out = path("bad.png")
        XCTAssertThrowsError(try ImageGrid(images: [Tensor(shape: [5, 4, 4])], columns: 1).write(to: out)) {
            XCTAssertTrue("\($0)".contains("[5, 4, 4]"), "\($0)")
        }
        XCTAssertThrowsError(try ImageGrid(rows: []).write(to: out))
        XCTAssertEqual(try listing(), [], "a failed figure writes nothing")
    }

    func testPerturbationMaps() {
        let delta = Tensor(shape: [1, 1, 1, 3], scalars: [0.05, -0.2, .nan])
        XCTAssertEqual(PerturbationImage.render(delta, map: .gray, amplification: 5).scalars, [0.75, 0, 0.5])
        let rb = PerturbationImage.render(delta, map: .redBlue, amplification: 5)
        XCTAssertEqual(rb.shape, [1, 3, 1, 3])
        // Plane order R, G, B: +0.05 is half-way to red, -0.2 is full blue, NaN is white.
        XCTAssertEqual(rb.scalars, [1, 0, 1, 0.5, 0, 1, 0.5, 1, 1])
        XCTAssertEqual(PerturbationImage.fullRangeAmplification(for: delta), 2.5)
    }

    // MARK: Plots

    func testLinePlotDrawsSeriesAxesAndReferenceLine() throws {
        let plot = LinePlot(
            title: "Robust accuracy, PGD-L2", xAxis: PlotAxis("epsilon (L2)"),
            yAxis: PlotAxis("accuracy (%)", range: 0...100),
            series: [
                .init("standard", x: [0, 0.25, 0.5, 1], y: [92, 60, 31, 8]),
                .init("adversarially trained", x: [0, 0.25, 0.5, 1], y: [85, 80, 76, 66]),
            ],
            referenceLines: [ReferenceLine(y: 10, label: "chance")], width: 640, height: 400)
        let out = path("line.png")
        try plot.write(to: out)
        let (w, h) = try pngSize(out)
        XCTAssertEqual(w, 640)
        XCTAssertEqual(h, 400)
        let png = try DecodedPNG(contentsOf: out)
        XCTAssertEqual(png[1, 1], RGBPixel(gray: 255), "background is white")
        XCTAssertEqual(png[w - 2, h - 2], RGBPixel(gray: 255))
        XCTAssertGreaterThan(png.count(of: FigureColor.palette(0).pixel), 100, "first series colour")
        XCTAssertGreaterThan(png.count(of: FigureColor.palette(1).pixel), 100, "second series colour")
        XCTAssertGreaterThan(png.count(of: FigureColor.reference.pixel), 50, "reference line")
        XCTAssertGreaterThan(png.count(of: FigureColor.grid.pixel), 100, "grid lines")
        XCTAssertGreaterThan(png.count(of: RGBPixel(gray: 0x44)), 4 * 200, "axes box")
    }

    func testLinePlotSkipsNonFiniteValues() throws {
        let plot = LinePlot(
            xAxis: PlotAxis("x"), yAxis: PlotAxis("y"),
            series: [
                .init("gappy", x: [0, 1, .nan, 3, 4, 5], y: [1, .infinity, 2, 3, -.infinity, 4]),
                .init("all NaN", x: [.nan, .nan], y: [.nan, 1]),
                .init("empty", points: []),
            ])
        let out = path("nan.png")
        try plot.write(to: out)
        XCTAssertEqual(try pngSize(out).0, 800)
        let png = try DecodedPNG(contentsOf: out)
        XCTAssertGreaterThan(png.count(of: FigureColor.palette(0).pixel), 20)
        // Only non-finite data at all: the axes fall back to 0...1.
        try LinePlot(series: [.init("nothing", x: [.nan], y: [.infinity])]).write(to: path("empty.png"))
        XCTAssertEqual(try listing(), ["empty.png", "nan.png"])
    }

    func testErrorBarsAreDrawnAtTheirDataPositions() throws {
        // Fixed ranges, so data maps onto the measured frame: x 0...4, y 0...100.
        func plot(_ bars: [ErrorBar], categories: [String]? = nil) -> LinePlot {
            var p = LinePlot(
                xAxis: PlotAxis("x", range: 0...4), yAxis: PlotAxis("y", range: 0...100),
                series: [.init("s", x: [1, 3], y: [50, 50], errorBars: bars)], legend: .hidden, width: 480, height: 360)
            p.categories = categories
            return p
        }
        let bars = [ErrorBar(x: 1, low: 20, high: 80), ErrorBar(x: 3, low: 60, high: 35)]
        XCTAssertEqual(bars[1].low, 35, "ends given in either order")
        try plot(bars).write(to: path("bars.png"))
        try plot([]).write(to: path("nobars.png"))
        let with = try DecodedPNG(contentsOf: path("bars.png"))
        let without = try DecodedPNG(contentsOf: path("nobars.png"))
        let frame = try XCTUnwrap(with.plotFrame(), "the axes box is found")
        let colour = FigureColor.palette(0).pixel
        for bar in bars {
            let x = Int((Double(frame.x) + bar.x / 4 * Double(frame.width)).rounded(.down))
            let top = Int((Double(frame.y) + (1 - bar.high / 100) * Double(frame.height)).rounded(.down))
            let bottom = Int((Double(frame.y) + (1 - bar.low / 100) * Double(frame.height)).rounded(.down))
            let box = try XCTUnwrap(
                with.boundingBox(where: { px, py, p in abs(px - x) < 30 && p == colour && without[px, py] != colour }),
                "pixels of the bar at x = \(bar.x)")
            XCTAssertEqual(Double(box.minX), Double(x - 4), accuracy: 1, "left end of the caps")
            XCTAssertEqual(Double(box.maxX), Double(x + 4), accuracy: 1, "right end of the caps")
            XCTAssertEqual(Double(box.minY), Double(top), accuracy: 1, "upper cap at \(bar.high)")
            XCTAssertEqual(Double(box.maxY), Double(bottom), accuracy: 1, "lower cap at \(bar.low)")
            // The stem is solid between the caps, away from the marker.
            let inside = top + (bottom - top) / 6
            XCTAssertEqual(with[x, inside], colour, "stem of the bar at x = \(bar.x)")
            XCTAssertNotEqual(without[x, inside], colour, "nothing of the series there without bars")
        }
        // A categorical axis puts x = i at the centre of slot i.
        try plot([ErrorBar(x: 0, low: 10, high: 90)], categories: ["a", "b"]).write(to: path("cat.png"))
        let cat = try DecodedPNG(contentsOf: path("cat.png"))
        let f = try XCTUnwrap(cat.plotFrame())
        let cx = Int((Double(f.x) + 0.25 * Double(f.width)).rounded(.down))
        XCTAssertEqual(cat[cx, f.y + f.height / 4], colour, "stem at the centre of the first of two slots")
    }

    func testScatterPlotWithLabelsGroupsAndFit() throws {
        var plot = ScatterPlot(
            title: "Transfer", xAxis: PlotAxis("accuracy on the original test set (%)"),
            yAxis: PlotAxis("transfer success (%)"), showsFit: true, width: 700, height: 500)
        plot.points = [
            .init(x: 70, y: 30, label: "mlp", group: "D_rand"),
            .init(x: 80, y: 50, label: "cnn-small", group: "D_rand"),
            .init(x: 90, y: 70, label: "resnet-mini", group: "D_det"),
            .init(x: .nan, y: 10, label: "broken", group: "D_det"),
            .init(x: 85, y: .infinity, label: "broken too"),
        ]
        let fit = try XCTUnwrap(plot.fit)
        XCTAssertEqual(fit.slope, 2, accuracy: 1e-12)
        XCTAssertEqual(fit.intercept, -110, accuracy: 1e-9)
        XCTAssertEqual(fit.correlation, 1, accuracy: 1e-12)
        XCTAssertEqual(fit.count, 3)
        let out = path("scatter.png")
        try plot.write(to: out)
        let (w, h) = try pngSize(out)
        XCTAssertEqual(w, 700)
        XCTAssertEqual(h, 500)
        let png = try DecodedPNG(contentsOf: out)
        XCTAssertEqual(png[1, 1], RGBPixel(gray: 255))
        XCTAssertGreaterThan(png.count(of: FigureColor.palette(0).pixel), 40, "group D_rand")
        XCTAssertGreaterThan(png.count(of: FigureColor.palette(1).pixel), 20, "group D_det")
        XCTAssertNil(LinearFit([PlotPoint(1, 1), PlotPoint(1, 2)]), "no fit through a vertical line")
    }

    /// A markers-only series draws its markers and no joining line; a PlotGrid puts panels in rows
    /// at their own size and leaves empty cells white.
    func testMarkersOnlySeriesAndPlotGrid() throws {
        func plot(line: Bool) -> LinePlot {
            var s = LinePlot.Series("cloud", x: [0, 10], y: [5, 5], marker: .circle)
            s.showsLine = line
            return LinePlot(xAxis: PlotAxis("x", range: 0...10), yAxis: PlotAxis("y", range: 0...10), series: [s],
                            legend: .hidden, width: 300, height: 200)
        }
        try plot(line: true).write(to: path("line.png"))
        try plot(line: false).write(to: path("dots.png"))
        let joined = try DecodedPNG(contentsOf: path("line.png")).count(of: FigureColor.palette(0).pixel)
        let dots = try DecodedPNG(contentsOf: path("dots.png")).count(of: FigureColor.palette(0).pixel)
        XCTAssertGreaterThan(dots, 20, "markers missing")
        XCTAssertGreaterThan(joined, dots + 100, "the line was not left out")
        try PlotGrid(panels: [plot(line: true), plot(line: false), plot(line: true)], columns: 2).write(to: path("grid.png"))
        let (w, h) = try pngSize(path("grid.png"))
        XCTAssertEqual(w, 600)
        XCTAssertEqual(h, 400)
        let grid = try DecodedPNG(contentsOf: path("grid.png"))
        XCTAssertEqual(grid[450, 300], RGBPixel(gray: 255), "the empty fourth cell is white")
        XCTAssertGreaterThan(grid.count(of: FigureColor.palette(0).pixel), 2 * joined + dots - 10)
        XCTAssertThrowsError(try PlotGrid(panels: [], columns: 2).write(to: path("none.png")))
    }

    func testNiceTicks() {
        let a = AxisTicks.covering(0.03, 0.93)
        XCTAssertEqual(a.lower, 0)
        XCTAssertEqual(a.upper, 1)
        XCTAssertEqual(a.step, 0.2)
        XCTAssertEqual(a.values.map(a.label), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let b = AxisTicks.within(0, 100)
        XCTAssertEqual(b.values, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(b.label(40), "40")
        let c = AxisTicks.covering(0, 1, targetCount: 11)
        XCTAssertEqual(c.label(c.values[3]), "0.3", "k * step, no drift")
        XCTAssertEqual(AxisTicks.covering(-37, 1234).step, 200)
        XCTAssertEqual(AxisTicks.covering(-0.0004, 0.0021).step, 0.0005, accuracy: 1e-12)
        for step in [1.0, 2, 5, 10] { XCTAssertEqual(AxisTicks.niceStep(span: step * 5, targetCount: 6), step) }
        let flat = AxisTicks.covering(3, 3)
        XCTAssertLessThan(flat.lower, 3)
        XCTAssertGreaterThan(flat.upper, 3)
        let none = AxisTicks.covering(.nan, .infinity)
        XCTAssertEqual([none.lower, none.upper], [0, 1])
        XCTAssertEqual(AxisTicks.covering(-1, 1).label(-0.0), "0.0")
        XCTAssertEqual(AxisTicks.covering(-1, 1).label(-0.5), "\u{2212}0.5")
    }

    func testLogarithmicTicks() {
        let sizes = AxisTicks.logarithmic(covering: 1000, 20000)
        XCTAssertEqual([sizes.lower, sizes.upper], [1000, 20000])
        XCTAssertEqual(sizes.values.map(sizes.label), ["1000", "2000", "5000", "10000", "20000"])
        let eps = AxisTicks.logarithmic(covering: 0.6, 8)
        XCTAssertEqual([eps.lower, eps.upper], [0.5, 10], "out to the next 1-2-5 value")
        XCTAssertEqual(eps.values.map(eps.label), ["0.5", "1", "2", "5", "10"])
        XCTAssertEqual([sizes.fractionDigits, eps.fractionDigits], [0, 1], "what the smallest tick needs")
        let wide = AxisTicks.logarithmic(covering: 0.001, 100)
        XCTAssertEqual(wide.values.map(wide.label), ["0.001", "0.01", "0.1", "1", "10", "100"], "decades only past three")
        XCTAssertEqual(AxisTicks.logarithmic(within: 3, 4.5).values, [3, 4.5], "a range inside one gap keeps its ends")
        XCTAssertEqual(AxisTicks.logarithmic(within: 800, 3000).values, [1000, 2000])
        let bad = AxisTicks.logarithmic(covering: -1, 0)
        XCTAssertEqual([bad.lower, bad.upper], [1, 10])
    }

    func testLogarithmicAxisPlacesPointsByTheirLogarithm() throws {
        // x on 1...100: 10 is at the middle, 2 at log10(2) / 2 = 15% of the width.
        func plot(_ bars: [ErrorBar]) -> LinePlot {
            LinePlot(
                xAxis: PlotAxis("N", range: 1...100, scale: .logarithmic), yAxis: PlotAxis("y", range: 0...100),
                series: [.init("s", x: [2, 10], y: [50, 50], errorBars: bars)], legend: .hidden, width: 480, height: 360)
        }
        try plot([ErrorBar(x: 2, low: 20, high: 80), ErrorBar(x: 10, low: 20, high: 80)]).write(to: path("log.png"))
        try plot([]).write(to: path("lognobars.png"))
        let with = try DecodedPNG(contentsOf: path("log.png")), without = try DecodedPNG(contentsOf: path("lognobars.png"))
        let frame = try XCTUnwrap(with.plotFrame())
        let colour = FigureColor.palette(0).pixel
        for (x, share) in [(2.0, log10(2) / 2), (10, 0.5)] {
            let px = Double(frame.x) + share * Double(frame.width)
            let box = try XCTUnwrap(
                with.boundingBox(where: { bx, by, p in abs(Double(bx) - px) < 20 && p == colour && without[bx, by] != colour }),
                "the bar at x = \(x)")
            XCTAssertEqual(Double(box.minX + box.maxX) / 2, px, accuracy: 1.5, "bar at x = \(x)")
        }

        // Non-positive values cannot be placed: a clear error, and no file.
        let zero = LinePlot(xAxis: PlotAxis("N", scale: .logarithmic), series: [.init("s", x: [0, 10], y: [1, 2])])
        XCTAssertThrowsError(try zero.write(to: path("zero.png"))) { error in
            XCTAssertEqual(
                "\(error)",
                "LinePlot: the logarithmic x axis got the value 0.0; a logarithmic axis shows only positive values (drop the value, or use a linear axis)")
        }
        let range = LinePlot(yAxis: PlotAxis("y", range: 0...10, scale: .logarithmic), series: [.init("s", x: [1], y: [1])])
        XCTAssertThrowsError(try range.write(to: path("range.png"))) { error in
            XCTAssertTrue("\(error)".contains("the logarithmic y axis has the range 0.0...10.0"), "\(error)")
        }
        let scatter = ScatterPlot(xAxis: PlotAxis("x", scale: .logarithmic), points: [.init(x: 1, y: 1)])
        XCTAssertThrowsError(try scatter.write(to: path("scatter.png"))) { error in
            XCTAssertTrue("\(error)".contains("a scatter plot has linear axes only"), "\(error)")
        }
        XCTAssertEqual(try listing(), ["log.png", "lognobars.png"])
    }

    // MARK: Writing

    func testMissingDirectoryGivesAClearErrorAndNoFile() throws {
        let missing = directory + "/no-such-dir"
        let out = missing + "/plot.png"
        let plot = LinePlot(series: [.init("s", x: [0, 1], y: [0, 1])])
        XCTAssertThrowsError(try plot.write(to: out)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(out), text)
            XCTAssertTrue(text.contains("does not exist"), text)
            XCTAssertEqual((error as? LocalizedError)?.errorDescription, text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
        XCTAssertEqual(try listing(), [])
        // A directory in the way of the file.
        XCTAssertThrowsError(try plot.write(to: directory)) {
            XCTAssertTrue("\($0)".contains("is a directory"), "\($0)")
        }
    }

    func testWritesReplaceAtomicallyAndLeaveNoTemporaryFiles() throws {
        let out = path("figure.png")
        try LinePlot(series: [.init("s", x: [0, 1], y: [0, 1])], width: 300, height: 200).write(to: out)
        XCTAssertEqual(try pngSize(out).0, 300)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        // A figure that fails leaves the previous file as it was.
        XCTAssertThrowsError(try ImageGrid(rows: []).write(to: out))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before)
        // Overwriting goes through a rename too.
        try LinePlot(series: [.init("s", x: [0, 1], y: [1, 0])], width: 320, height: 240).write(to: out)
        XCTAssertEqual(try pngSize(out).0, 320)
        XCTAssertEqual(try listing(), ["figure.png"], "no temporary files left")
        XCTAssertThrowsError(try DecodedPNG(contentsOf: path("absent.png"))) {
            XCTAssertTrue("\($0)".contains("absent.png"), "\($0)")
        }
    }

    // MARK: Every kind on realistic and hard inputs

    /// One realistic figure of each kind (Fashion-MNIST images when installed) and hard layouts
    /// (NaN gaps, crossing series, negative automatic ranges): each must render to a decodable
    /// PNG that is not blank. Kept in $BRITTLE_FIGURE_SAMPLES when set, for a person to look at.
    func testEveryFigureKindRendersRealisticAndHardInputs() throws {
        let dir = ProcessInfo.processInfo.environment["BRITTLE_FIGURE_SAMPLES"] ?? directory
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let names = FashionMNIST.classNames
        let images: Tensor
        var labels = [0, 1, 2, 3, 4, 5, 6, 7]
        if let data = try? FashionMNIST.load(split: .test) {
            images = data.images.slice(0..<8)
            labels = Array(data.labels[0..<8])
        } else {
            images = Tensor(shape: [8, 1, 28, 28], scalars: (0..<(8 * 784)).map { Float(($0 * 7) % 255) / 255 })
        }
        // Datasets grid: five constructions, row titles, captions.
        var rows: [[ImageGrid.Cell?]] = []
        let cells = try ImageGrid.split(images)
        for (r, _) in ["D", "D_R", "D_NR", "D_rand", "D_det"].enumerated() {
            rows.append(
                cells.enumerated().map { i, t in
                    var u = t
                    if r > 0 {
                        u.scalars = t.scalars.enumerated().map { k, v in
                            min(1, max(0, v + Float(r) * 0.04 * sin(Float(k + r))))
                        }
                    }
                    return ImageGrid.Cell(
                        u, caption: names[(labels[i] + (r == 4 ? 1 : r == 3 ? (i * 7) % 9 + 1 : 0)) % 10])
                })
        }
        let grid = ImageGrid(
            rows: rows, rowTitles: ["D", "D_R", "D_NR", "D_rand", "D_det"],
            columnTitles: (1...8).map { "#\($0)" }, title: "Training images by construction")
        try grid.write(to: dir + "/grid.png")

        var adversarial = images
        adversarial.scalars = images.scalars.enumerated().map { k, v in min(1, max(0, v + 0.1 * sin(Float(k) * 0.37))) }
        try ImageGrid.attackExamples(
            originals: images, adversarial: adversarial, labels: labels.map { names[$0] },
            predictions: (0..<8).map { names[$0 % 3 == 0 ? labels[$0] : (labels[$0] + 4) % 10] }, map: .redBlue,
            title: "PGD-Linf, eps 0.1, 20 steps"
        ).write(to: dir + "/attack.png")

        let eps = [0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
        try LinePlot(
            title: "Robust accuracy under PGD-L2 (cnn-small, Fashion-MNIST)", xAxis: PlotAxis("epsilon (L2)"),
            yAxis: PlotAxis("robust accuracy (%)", range: 0...100),
            series: [
                .init("standard (D)", x: eps, y: [92.3, 61.0, 30.2, 14.9, 7.1, 2.0, 0.4]),
                .init("adversarially trained", x: eps, y: [85.1, 81.7, 77.0, 71.9, 66.4, 54.2, 41.0]),
                .init("D_R", x: eps, y: [80.2, 70.1, 58.8, 45.0, 32.6, 16.0, 6.5]),
                .init("D_NR", x: eps, y: [84.0, 44.0, 17.1, 7.2, 2.9, .nan, 0.1]),
            ], referenceLines: [ReferenceLine(y: 10, label: "chance (10%)")]
        ).write(to: dir + "/line.png")

        try ScatterPlot(
            title: "Transfer of adversarial examples from cnn-small",
            xAxis: PlotAxis("accuracy on the original test set (%)"), yAxis: PlotAxis("transfer success (%)"),
            points: [
                .init(x: 65.0, y: 38.0, label: "mlp"), .init(x: 72.4, y: 52.1, label: "cnn-small"),
                .init(x: 74.9, y: 57.3, label: "resnet-mini"), .init(x: 70.1, y: 47.5, label: "cnn-wide"),
                .init(x: 70.3, y: 49.0, label: "mlp-deep"),
            ], showsFit: true
        ).write(to: dir + "/scatter.png")

        // Harder layouts: many series crossing everywhere (legend moves outside), automatic
        // negative ranges with gaps; long category names (tilted).
        let epochs = (0...20).map(Double.init)
        var curves: [LinePlot.Series] = []
        for k in 0..<7 {
            let phase = Double(k)
            let amplitude = 1 + Double(k) / 4
            let y: [Double] = epochs.map { e in e == Double(7 + k) ? .nan : sin(e / 3 + phase) * amplitude - 0.3 }
            curves.append(LinePlot.Series("seed \(k)", x: epochs, y: y))
        }
        try LinePlot(
            title: "Training curves", xAxis: PlotAxis("epoch"), yAxis: PlotAxis("log loss difference"),
            series: curves, referenceLines: [ReferenceLine(y: 0, label: "no change", style: .dotted)]
        ).write(to: dir + "/line-many.png")
        // Logarithmic on both axes over eight decades, with gaps.
        let decades = (0...16).map { pow(10, Double($0) / 2 - 3) }
        try LinePlot(
            title: "Log-log", xAxis: PlotAxis("set size", scale: .logarithmic), yAxis: PlotAxis("error", scale: .logarithmic),
            series: [
                .init("power law", x: decades, y: decades.map { $0 == 1 ? .nan : 1 / sqrt($0) }),
                .init("flat", x: decades, y: decades.map { _ in 0.05 }),
            ], referenceLines: [ReferenceLine(y: 0.5, label: "half")]
        ).write(to: dir + "/line-log.png")
        try ScatterPlot(
            title: "Transfer by construction", xAxis: PlotAxis("accuracy on the original test set (%)", range: 0...100),
            yAxis: PlotAxis("transfer success (%)", range: 0...100),
            points: [
                .init(x: 65.0, y: 38.0, label: "mlp", group: "D_rand"),
                .init(x: 72.4, y: 52.1, label: "cnn-small", group: "D_rand"),
                .init(x: 74.9, y: 57.3, label: "resnet-mini", group: "D_rand"),
                .init(x: 7.9, y: 12.0, label: "mlp", group: "D_det"),
                .init(x: 3.2, y: 9.5, label: "cnn-small", group: "D_det"),
                .init(x: 5.0, y: 14.1, label: "resnet-mini", group: "D_det"),
            ], showsFit: true
        ).write(to: dir + "/scatter-groups.png")
        try ImageGrid.attackExamples(
            originals: images.slice(0..<5), adversarial: adversarial.slice(0..<5),
            labels: labels[0..<5].map { names[$0] },
            predictions: labels[0..<5].map { names[($0 * 3) % 10] }, title: "PGD-Linf, eps 0.1 (gray map)"
        ).write(to: dir + "/attack-gray.png")

        for name in [
            "grid", "attack", "line", "scatter", "line-many", "line-log", "scatter-groups", "attack-gray",
        ] {
            let png = try DecodedPNG(contentsOf: "\(dir)/\(name).png")
            XCTAssertEqual(png[0, 0], RGBPixel(gray: 255), name)
            // Not blank: axes, marks, images and text cover a visible share of the canvas.
            var inked = 0
            for y in stride(from: 0, to: png.height, by: 2) {
                for x in stride(from: 0, to: png.width, by: 2) where png[x, y] != RGBPixel(gray: 255) { inked += 1 }
            }
            let share = Double(inked) / Double(((png.width + 1) / 2) * ((png.height + 1) / 2))
            XCTAssertGreaterThan(share, 0.02, "\(name): \(String(format: "%.3f", share)) of the pixels are not background")
        }
    }
}

extension DecodedPNG {
    /// The plot area of a line or scatter plot: the box whose left and right edges are the two
    /// columns with the most axes-grey (0x444444) pixels, from the longest grey run of the right
    /// edge. nil if no such box.
    func plotFrame() -> (x: Int, y: Int, width: Int, height: Int)? {
        let grey = RGBPixel(gray: 0x44)
        var counts = [Int](repeating: 0, count: width)
        for y in 0..<height { for x in 0..<width where self[x, y] == grey { counts[x] += 1 } }
        let edges = counts.indices.filter { counts[$0] > height / 3 }
        guard let left = edges.min(), let right = edges.max(), right > left else { return nil }
        var best = (start: 0, length: 0), run = (start: 0, length: 0)
        for y in 0..<height {
            if self[right, y] == grey { run = run.length == 0 ? (y, 1) : (run.start, run.length + 1) } else { run = (0, 0) }
            if run.length > best.length { best = run }
        }
        return (left, best.start, right - left + 1, best.length)
    }

    /// The bounding box of the pixels for which `test(x, y, pixel)` holds.
    func boundingBox(where test: (Int, Int, RGBPixel) -> Bool) -> (minX: Int, minY: Int, maxX: Int, maxY: Int)? {
        var box: (minX: Int, minY: Int, maxX: Int, maxY: Int)? = nil
        for y in 0..<height {
            for x in 0..<width where test(x, y, self[x, y]) {
                box = box.map { (min($0.minX, x), min($0.minY, y), max($0.maxX, x), max($0.maxY, y)) } ?? (x, y, x, y)
            }
        }
        return box
    }
}

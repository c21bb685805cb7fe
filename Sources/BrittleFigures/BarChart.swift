// Grouped bar charts: one group per category (e.g. training set D, D_R, D_NR), one bar per
// series (e.g. clean and robust accuracy), with optional error bars and the individual samples
// (per-seed values) drawn as dots. Non-finite values leave their bar out.
import Foundation

/// A grouped bar chart written to PNG.
///
/// ```swift
/// var chart = BarChart(title: "Fashion-MNIST, cnn-small", categories: ["D", "D_R", "D_NR"],
///                      yAxis: PlotAxis("accuracy (%)", range: 0...100))
/// chart.series = [.init("clean", samples: [[92.1, 92.4], [80.3, 81.0], [85.2, 84.9]]),
///                 .init("robust, L2 eps 1.0", samples: [[2.0, 3.1], [32.6, 32.8], [2.9, 5.1]])]
/// try chart.write(to: "report/robust-features.png")
/// ```
public struct BarChart: Sendable {
    /// One series: a value per category, with optional error-bar ends and samples.
    public struct Series: Sendable {
        /// Name in the legend.
        public var name: String
        /// Bar heights, one per category.
        public var values: [Double]
        /// Error-bar lower and upper ends, one per category (`nil`: no error bars).
        public var errorLow: [Double]?
        /// Upper error-bar ends (see `errorLow`).
        public var errorHigh: [Double]?
        /// Individual observations per category, drawn as dots over the bar (e.g. seeds).
        public var samples: [[Double]]?
        /// `nil`: the palette colour of the series' index.
        public var color: FigureColor?

        /// Bars of `values`, with symmetric error bars of half-length `errors` if given.
        public init(_ name: String, values: [Double], errors: [Double]? = nil, color: FigureColor? = nil) {
            self.name = name
            self.values = values
            self.errorLow = errors.map { zip(values, $0).map { $0 - $1 } }
            self.errorHigh = errors.map { zip(values, $0).map { $0 + $1 } }
            self.samples = nil
            self.color = color
        }

        /// Bars at the mean of each category's samples, error bars from their minimum to their
        /// maximum (the per-seed spread), and each sample drawn as a dot.
        public init(_ name: String, samples: [[Double]], color: FigureColor? = nil) {
            let finite = samples.map { $0.filter(\.isFinite) }
            self.name = name
            self.values = finite.map { $0.isEmpty ? .nan : $0.reduce(0, +) / Double($0.count) }
            self.errorLow = finite.map { $0.min() ?? .nan }
            self.errorHigh = finite.map { $0.max() ?? .nan }
            self.samples = samples
            self.color = color
        }
    }

    /// Text above the chart.
    public var title: String
    /// Group names along the x axis.
    public var categories: [String]
    /// Text under the category names.
    public var xLabel: String
    /// The value axis; its automatic range always includes 0.
    public var yAxis: PlotAxis
    /// The bars of each category, left to right.
    public var series: [Series]
    /// Print each bar's value above it.
    public var showsValues: Bool
    /// Where the legend goes (`.automatic` hides it for a single series).
    public var legend: LegendPosition
    /// Image width in pixels.
    public var width: Int
    /// Image height in pixels.
    public var height: Int

    /// A chart of `categories`; add series before writing.
    public init(
        title: String = "", categories: [String], xLabel: String = "", yAxis: PlotAxis = PlotAxis(),
        series: [Series] = [], showsValues: Bool = false, legend: LegendPosition = .automatic, width: Int = 800,
        height: Int = 520
    ) {
        self.title = title
        self.categories = categories
        self.xLabel = xLabel
        self.yAxis = yAxis
        self.series = series
        self.showsValues = showsValues
        self.legend = legend
        self.width = width
        self.height = height
    }

    func color(_ i: Int) -> FigureColor { series[i].color ?? .palette(i) }

    /// Draws the chart and writes it to `path` as PNG, atomically.
    public func write(to path: String) throws {
        try render().writePNG(to: path)
    }

    /// The bar of series `s` in category `c`: left edge and width in category units.
    func slot(series s: Int, category c: Int) -> (x: Double, width: Double) {
        let groupWidth = 0.8
        let w = groupWidth / Double(max(1, series.count))
        return (Double(c) + (1 - groupWidth) / 2 + Double(s) * w, w)
    }

    func render() throws -> Canvas {
        guard !categories.isEmpty else {
            throw FigureError.invalidInput(figure: "BarChart", reason: "no categories to draw")
        }
        for s in series where s.values.count != categories.count {
            throw FigureError.invalidInput(
                figure: "BarChart",
                reason: "series '\(s.name)' has \(s.values.count) values for \(categories.count) categories")
        }
        for s in series {
            for (what, n) in [
                ("error-bar lows", s.errorLow?.count), ("error-bar highs", s.errorHigh?.count),
                ("sample lists", s.samples?.count),
            ] where n != nil && n != categories.count {
                throw FigureError.invalidInput(
                    figure: "BarChart",
                    reason: "series '\(s.name)' has \(n!) \(what) for \(categories.count) categories")
            }
        }
        let canvas = try Canvas(width: width, height: height, figure: "BarChart")
        var yAxisZero = yAxis
        yAxisZero.includesZero = true
        var ys: [Double] = []
        for s in series {
            ys += s.values + (s.errorLow ?? []) + (s.errorHigh ?? []) + (s.samples ?? []).flatMap { $0 }
        }
        let legendBox = Legend(
            entries: series.count < 2 && legend == .automatic
                ? [] : series.indices.map { LegendEntry(label: series[$0].name, color: color($0), swatch: true) })
        let (frame, position) = layoutWithLegend(
            canvas: canvas, legend: legendBox, position: legend,
            makeFrame: {
                PlotFrame(
                    canvas: canvas, title: title, x: .categories(categories, label: xLabel), y: yAxisZero,
                    yData: ys, outsideLegendWidth: $0)
            },
            obstacles: { f in
                var pts: [(Double, Double)] = []
                for (si, s) in series.enumerated() {
                    for (c, v) in s.values.enumerated() where v.isFinite {
                        let top = max(v, s.errorHigh?[c] ?? v, 0)
                        let (x, w) = slot(series: si, category: c)
                        let y0 = f.py(max(0, f.yTicks.lower))
                        let y1 = f.py(top) - (showsValues ? 16 : 0)
                        for fx in stride(from: f.px(x), through: f.px(x + w), by: 4) {
                            for fy in stride(from: min(y0, y1), through: max(y0, y1), by: 4) { pts.append((fx, fy)) }
                        }
                    }
                }
                return pts
            })
        frame.drawGrid()
        canvas.clipped(to: frame.plot) {
            let base = frame.py(min(max(0, frame.yTicks.lower), frame.yTicks.upper))
            for (si, s) in series.enumerated() {
                for (c, v) in s.values.enumerated() where v.isFinite {
                    let (x, w) = slot(series: si, category: c)
                    let x0 = frame.px(x).rounded()
                    let x1 = frame.px(x + w).rounded()
                    let yv = frame.py(v)
                    canvas.fillRect(
                        Rect(x: x0 + 1, y: min(yv, base), width: x1 - x0 - 2, height: abs(base - yv)), color: color(si))
                    drawErrorBar(canvas, frame, s, c, center: (x0 + x1) / 2, halfWidth: max(3, (x1 - x0) / 6))
                    if let samples = s.samples?[c] {
                        for v in samples where v.isFinite {
                            canvas.marker(.circle, x: (x0 + x1) / 2, y: frame.py(v), size: 5, color: .ink)
                        }
                    }
                }
            }
        }
        if showsValues {
            let digits = frame.yTicks.fractionDigits + 1
            for (si, s) in series.enumerated() {
                for (c, v) in s.values.enumerated() where v.isFinite {
                    let (x, w) = slot(series: si, category: c)
                    let top = max(v, s.errorHigh?[c] ?? v)
                    canvas.text(
                        String(format: "%.\(digits)f", v), x: frame.px(x + w / 2), y: frame.py(top) - 3, size: 10,
                        anchor: .middle, baseline: .bottom)
                }
            }
        }
        frame.drawAxes()
        frame.drawLegend(legendBox, at: position)
        return canvas
    }

    private func drawErrorBar(
        _ canvas: Canvas, _ frame: PlotFrame, _ s: Series, _ c: Int, center: Double, halfWidth: Double
    ) {
        guard let lo = s.errorLow?[c], let hi = s.errorHigh?[c], lo.isFinite, hi.isFinite, hi > lo else { return }
        let x = Canvas.crisp(center)
        let y0 = Canvas.crisp(frame.py(lo))
        let y1 = Canvas.crisp(frame.py(hi))
        canvas.line(from: (x, y0), to: (x, y1), color: .ink, lineWidth: 1)
        canvas.line(from: (x - halfWidth, y0), to: (x + halfWidth, y0), color: .ink, lineWidth: 1)
        canvas.line(from: (x - halfWidth, y1), to: (x + halfWidth, y1), color: .ink, lineWidth: 1)
    }
}

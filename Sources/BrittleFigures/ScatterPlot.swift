// Scatter plots of labelled points (each point's text sits beside it, placed greedily so labels
// avoid each other, the markers and the frame), optional groups with a legend, and an optional
// least-squares line. Used for the transfer figure: accuracy on the original test set against
// transfer success, one point per architecture, optionally with the spread of each coordinate
// over seeds as horizontal and vertical error bars. Non-finite points are skipped.
import Foundation

/// A scatter plot written to PNG.
///
/// ```swift
/// var plot = ScatterPlot(title: "Transfer", xAxis: PlotAxis("test accuracy (%)"),
///                        yAxis: PlotAxis("transfer success (%)"), showsFit: true)
/// plot.points = [.init(x: 88.1, y: 41.0, label: "cnn-small"), .init(x: 84.0, y: 30.2, label: "mlp")]
/// try plot.write(to: "report/transfer.png")
/// ```
public struct ScatterPlot: Sendable {
    /// One point, optionally labelled and in a named group (groups get colours and the legend).
    public struct Point: Sendable, Equatable {
        /// Horizontal coordinate.
        public var x: Double
        /// Vertical coordinate.
        public var y: Double
        /// Text drawn beside the point (e.g. an architecture name).
        public var label: String?
        /// Points of a group share a colour and marker and a legend row.
        public var group: String?
        /// Horizontal and vertical error bars (e.g. the min-max over seeds), drawn in the
        /// point's colour; nil: none.
        public var xSpread: ClosedRange<Double>?
        public var ySpread: ClosedRange<Double>?
        /// A point.
        public init(x: Double, y: Double, label: String? = nil, group: String? = nil,
                    xSpread: ClosedRange<Double>? = nil, ySpread: ClosedRange<Double>? = nil) {
            self.x = x
            self.y = y
            self.label = label
            self.group = group
            self.xSpread = xSpread
            self.ySpread = ySpread
        }
        var isFinite: Bool { x.isFinite && y.isFinite }
    }

    /// Text above the plot.
    public var title: String
    /// The horizontal axis.
    public var xAxis: PlotAxis
    /// The vertical axis.
    public var yAxis: PlotAxis
    /// The points; non-finite ones are skipped.
    public var points: [Point]
    /// Draw the least-squares line through the finite points (legend shows its equation and r).
    public var showsFit: Bool
    /// Where the legend goes (shown for groups or a fit).
    public var legend: LegendPosition
    /// Image width in pixels.
    public var width: Int
    /// Image height in pixels.
    public var height: Int

    /// A plot; add points before writing.
    public init(
        title: String = "", xAxis: PlotAxis = PlotAxis(), yAxis: PlotAxis = PlotAxis(), points: [Point] = [],
        showsFit: Bool = false, legend: LegendPosition = .automatic, width: Int = 800, height: Int = 560
    ) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.points = points
        self.showsFit = showsFit
        self.legend = legend
        self.width = width
        self.height = height
    }

    /// Group names in order of first appearance (ungrouped points are not listed).
    var groups: [String] {
        var seen: [String] = []
        for p in points { if let g = p.group, !seen.contains(g) { seen.append(g) } }
        return seen
    }

    /// The least-squares fit through the finite points, if there is one.
    public var fit: LinearFit? { LinearFit(points.map { PlotPoint($0.x, $0.y) }) }

    static let markerSize = 10.0
    static let labelSize = 12.0

    /// Draws the plot and writes it to `path` as PNG, atomically.
    public func write(to path: String) throws {
        try render().writePNG(to: path)
    }

    func render() throws -> Canvas {
        if xAxis.isLogarithmic || yAxis.isLogarithmic {
            throw FigureError.invalidInput(
                figure: "ScatterPlot",
                reason: "a scatter plot has linear axes only (its least-squares fit is a straight line); "
                    + "give the axes the linear scale, or plot the logarithms of the values")
        }
        let canvas = try Canvas(width: width, height: height, figure: "ScatterPlot")
        let finite = points.filter(\.isFinite)
        let groupNames = groups
        func style(_ p: Point) -> (FigureColor, MarkerShape) {
            guard let g = p.group, let i = groupNames.firstIndex(of: g) else { return (.palette(0), .circle) }
            return (.palette(i), .cycle(i))
        }
        let line = showsFit ? fit : nil
        var entries = groupNames.indices.map {
            LegendEntry(label: groupNames[$0], color: .palette($0), marker: .cycle($0))
        }
        if let l = line {
            entries.append(LegendEntry(label: "least-squares fit: \(l.summary)", color: .ink, line: .dashed))
        }
        let legendBox = Legend(entries: entries)
        // Automatic ranges get 5% of air so edge points and their labels stay inside the frame.
        func padded(_ v: [Double]) -> [Double] {
            guard let lo = v.min(), let hi = v.max() else { return v }
            let pad = (hi - lo) * 0.05
            return v + [lo - pad, hi + pad]
        }
        let (frame, position) = layoutWithLegend(
            canvas: canvas, legend: legendBox, position: legend,
            makeFrame: {
                PlotFrame(
                    canvas: canvas, title: title,
                    x: .numeric(xAxis, data: padded(finite.flatMap { [$0.x] + ($0.xSpread.map { [$0.lowerBound, $0.upperBound] } ?? []) })),
                    y: yAxis, yData: padded(finite.flatMap { [$0.y] + ($0.ySpread.map { [$0.lowerBound, $0.upperBound] } ?? []) }),
                    outsideLegendWidth: $0)
            },
            obstacles: { f in
                var pts = finite.map { (f.px($0.x), f.py($0.y)) }
                for r in placeLabels(frame: f, canvas: canvas) {
                    pts += [(r.x, r.y), (r.maxX, r.y), (r.x, r.maxY), (r.maxX, r.maxY), (r.midX, r.midY)]
                }
                if let l = line { pts += fitSamples(l, frame: f) }
                return pts
            })
        frame.drawGrid()
        if let l = line {
            canvas.clipped(to: frame.plot) {
                let x0 = frame.xTicks?.lower ?? 0
                let x1 = frame.xTicks?.upper ?? 1
                canvas.line(
                    from: (frame.px(x0), frame.py(l(x0))), to: (frame.px(x1), frame.py(l(x1))), color: .ink,
                    lineWidth: 1.5, style: .dashed)
            }
        }
        canvas.clipped(to: frame.dataClip) {
            for p in finite {
                let (c, _) = style(p)
                if let s = p.ySpread, s.lowerBound.isFinite, s.upperBound.isFinite {
                    canvas.errorBar(x: frame.px(p.x), top: frame.py(s.upperBound), bottom: frame.py(s.lowerBound), color: c)
                }
                if let s = p.xSpread, s.lowerBound.isFinite, s.upperBound.isFinite {
                    canvas.horizontalErrorBar(y: frame.py(p.y), left: frame.px(s.lowerBound), right: frame.px(s.upperBound), color: c)
                }
            }
            for p in finite {
                let (c, m) = style(p)
                canvas.marker(m, x: frame.px(p.x), y: frame.py(p.y), size: ScatterPlot.markerSize, color: c)
            }
        }
        let labelled = finite.filter { !($0.label ?? "").isEmpty }
        for (p, r) in zip(labelled, placeLabels(frame: frame, canvas: canvas)) {
            canvas.text(p.label!, x: r.x, y: r.midY, size: ScatterPlot.labelSize, baseline: .middle)
        }
        frame.drawAxes()
        frame.drawLegend(legendBox, at: position)
        return canvas
    }

    private func fitSamples(_ l: LinearFit, frame f: PlotFrame) -> [(Double, Double)] {
        let x0 = f.xTicks?.lower ?? 0
        let x1 = f.xTicks?.upper ?? 1
        return (0...200).map { k in
            let x = x0 + (x1 - x0) * Double(k) / 200
            return (f.px(x), f.py(l(x)))
        }
    }

    /// Label boxes for the finite labelled points, in order. Each label takes the first of eight
    /// positions around its point that stays inside the plot and clear of other labels and
    /// markers; failing that, the position with the least overlap.
    func placeLabels(frame f: PlotFrame, canvas: Canvas) -> [Rect] {
        let finite = points.filter(\.isFinite)
        let markers = finite.map {
            Rect(x: f.px($0.x) - 6, y: f.py($0.y) - 6, width: 12, height: 12)
        }
        let h = canvas.lineHeight(size: ScatterPlot.labelSize)
        let line = showsFit ? fit.map { fitSamples($0, frame: f) } ?? [] : []
        var placed: [Rect] = []
        for p in finite {
            guard let text = p.label, !text.isEmpty else { continue }
            let w = canvas.textWidth(text, size: ScatterPlot.labelSize)
            let x = f.px(p.x)
            let y = f.py(p.y)
            let g = 8.0
            let candidates = [
                Rect(x: x + g, y: y - h / 2, width: w, height: h),
                Rect(x: x - g - w, y: y - h / 2, width: w, height: h),
                Rect(x: x + 4, y: y - g - h + 2, width: w, height: h),
                Rect(x: x + 4, y: y + g - 2, width: w, height: h),
                Rect(x: x - w / 2, y: y - g - h, width: w, height: h),
                Rect(x: x - w / 2, y: y + g, width: w, height: h),
                Rect(x: x - 4 - w, y: y - g - h + 2, width: w, height: h),
                Rect(x: x - 4 - w, y: y + g - 2, width: w, height: h),
            ]
            func cost(_ r: Rect) -> Double {
                var c = 0.0
                if r.x < f.plot.x || r.maxX > f.plot.maxX || r.y < f.plot.y || r.maxY > f.plot.maxY { c += 100 }
                c += Double(placed.filter { $0.intersects(r) }.count) * 10
                c += Double(markers.filter { $0.intersects(r) }.count) * 5
                // Crossing the fit line is allowed but worse than a clear spot.
                if line.contains(where: { r.contains($0.0, $0.1) }) { c += 1 }
                return c
            }
            var best = candidates[0]
            var bestCost = Double.infinity
            for r in candidates {
                let c = cost(r)
                if c < bestCost {
                    best = r
                    bestCost = c
                }
                if c == 0 { break }
            }
            placed.append(best)
        }
        return placed
    }
}

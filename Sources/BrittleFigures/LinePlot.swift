// Line plots: series of (x, y) points joined by lines with a marker at each point, on axes with
// 1-2-5 ticks, labels, a title, a legend and optional horizontal reference lines ("chance").
// Used for robust accuracy against epsilon. Non-finite points are skipped and break the line.
// Optional per series: error bars (ErrorBars.swift), markers only (no joining line, for point
// clouds); per plot: a categorical x axis.
import Foundation

/// A horizontal line across a plot at a fixed y, labelled above one end (e.g. "chance").
public struct ReferenceLine: Sendable, Equatable {
    /// Height of the line, in data units.
    public var y: Double
    /// Text above one end of the line (the end that crosses less data).
    public var label: String
    /// Dash pattern.
    public var style: LineStyle
    /// A reference line at `y`.
    public init(y: Double, label: String, style: LineStyle = .dashed) {
        self.y = y
        self.label = label
        self.style = style
    }
}

/// A line plot written to PNG.
///
/// ```swift
/// var plot = LinePlot(title: "Robust accuracy, PGD-L2", xAxis: PlotAxis("epsilon (L2)"),
///                     yAxis: PlotAxis("accuracy (%)", range: 0...100))
/// plot.series.append(.init("standard", x: [0, 0.5, 1], y: [92, 40, 11]))
/// plot.referenceLines = [ReferenceLine(y: 10, label: "chance")]
/// try plot.write(to: "runs/cnn/robust.png")
/// ```
public struct LinePlot: Sendable {
    /// One named series.
    public struct Series: Sendable {
        /// Name in the legend.
        public var name: String
        /// Drawn in this order; points with a non-finite coordinate are skipped and split the line.
        public var points: [PlotPoint]
        /// `nil`: the palette colour of the series' index.
        public var color: FigureColor?
        /// `nil`: the marker cycle's shape for the series' index.
        public var marker: MarkerShape?
        /// Draw a marker at each point.
        public var showsMarkers: Bool
        /// Join the points with a line (false: markers only, e.g. a cloud of samples).
        public var showsLine: Bool = true
        /// Marker size in pixels (smaller for dense clouds).
        public var markerSize: Double = 9
        /// Dash pattern of the joining line.
        public var lineStyle: LineStyle
        /// Vertical bars drawn in the series' colour under its markers (e.g. the spread over seeds).
        public var errorBars: [ErrorBar]

        /// A series from parallel x and y arrays (the shorter one sets the length).
        public init(
            _ name: String, x: [Double], y: [Double], color: FigureColor? = nil, marker: MarkerShape? = nil,
            showsMarkers: Bool = true, lineStyle: LineStyle = .solid, errorBars: [ErrorBar] = []
        ) {
            self.init(
                name, points: zip(x, y).map { PlotPoint($0, $1) }, color: color, marker: marker,
                showsMarkers: showsMarkers, lineStyle: lineStyle, errorBars: errorBars)
        }

        /// A series from points.
        public init(
            _ name: String, points: [PlotPoint], color: FigureColor? = nil, marker: MarkerShape? = nil,
            showsMarkers: Bool = true, lineStyle: LineStyle = .solid, errorBars: [ErrorBar] = []
        ) {
            self.name = name
            self.points = points
            self.color = color
            self.marker = marker
            self.showsMarkers = showsMarkers
            self.lineStyle = lineStyle
            self.errorBars = errorBars
        }
    }

    /// Text above the plot.
    public var title: String
    /// The horizontal axis.
    public var xAxis: PlotAxis
    /// The vertical axis (e.g. `PlotAxis("accuracy (%)", range: 0...100)`).
    public var yAxis: PlotAxis
    /// Drawn in order; colours and markers cycle by index.
    public var series: [Series]
    /// Horizontal lines such as chance level.
    public var referenceLines: [ReferenceLine]
    /// Where the legend goes.
    public var legend: LegendPosition
    /// Names of a categorical x axis: x = i is drawn at the centre of slot i, under
    /// `categories[i]` (`xAxis` gives only the label). `nil`: a numeric x axis.
    public var categories: [String]? = nil
    /// Image size in pixels.
    public var width: Int
    /// Image height in pixels.
    public var height: Int

    /// A plot; add series before writing.
    public init(
        title: String = "", xAxis: PlotAxis = PlotAxis(), yAxis: PlotAxis = PlotAxis(), series: [Series] = [],
        referenceLines: [ReferenceLine] = [], legend: LegendPosition = .automatic, width: Int = 800,
        height: Int = 520
    ) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.series = series
        self.referenceLines = referenceLines
        self.legend = legend
        self.width = width
        self.height = height
    }

    func color(_ i: Int) -> FigureColor { series[i].color ?? .palette(i) }
    func marker(_ i: Int) -> MarkerShape { series[i].marker ?? .cycle(i) }

    /// Draws the plot and writes it to `path` as PNG, atomically.
    public func write(to path: String) throws {
        try render().writePNG(to: path)
    }

    func render() throws -> Canvas {
        let canvas = try Canvas(width: width, height: height, figure: "LinePlot")
        let finite = series.flatMap { $0.points.filter(\.isFinite) }
        let bars = series.flatMap { $0.errorBars.filter(\.isFinite) }
        let xs = finite.map(\.x) + bars.map(\.x)
        let ys = finite.map(\.y) + bars.flatMap { [$0.low, $0.high] } + referenceLines.map(\.y).filter(\.isFinite)
        if categories == nil { try xAxis.check(xs, figure: "LinePlot", axis: "x") }
        try yAxis.check(ys, figure: "LinePlot", axis: "y")
        let legendBox = Legend(
            entries: series.indices.map {
                LegendEntry(
                    label: series[$0].name, color: color($0), marker: series[$0].showsMarkers ? marker($0) : nil,
                    line: series[$0].showsLine ? series[$0].lineStyle : nil)
            })
        let (frame, position) = layoutWithLegend(
            canvas: canvas, legend: legendBox, position: legend,
            makeFrame: {
                PlotFrame(
                    canvas: canvas, title: title,
                    x: categories.map { .categories($0, label: xAxis.label) } ?? .numeric(xAxis, data: xs), y: yAxis, yData: ys,
                    outsideLegendWidth: $0)
            },
            obstacles: { f in obstacles(in: f) })
        frame.drawGrid()
        let dataPoints = obstacles(in: frame, includingReferences: false)
        canvas.clipped(to: frame.plot) {
            for r in referenceLines where r.y.isFinite {
                let y = Canvas.crisp(frame.py(r.y))
                canvas.line(
                    from: (frame.plot.x, y), to: (frame.plot.maxX, y), color: .reference, lineWidth: 1.5, style: r.style
                )
                // The label goes at the end of the line that crosses less data.
                let w = canvas.textWidth(r.label, size: 11)
                let h = canvas.lineHeight(size: 11)
                let right = Rect(x: frame.plot.maxX - 8 - w, y: y - 4 - h, width: w + 4, height: h + 2)
                let left = Rect(x: frame.plot.x + 4, y: y - 4 - h, width: w + 4, height: h + 2)
                func covered(_ b: Rect) -> Int {
                    dataPoints.reduce(0) { $0 + (b.insetBy(-3).contains($1.0, $1.1) ? 1 : 0) }
                }
                let atLeft = covered(left) < covered(right)
                canvas.text(
                    r.label, x: atLeft ? frame.plot.x + 6 : frame.plot.maxX - 6, y: y - 4, size: 11,
                    color: .reference, anchor: atLeft ? .start : .end, baseline: .bottom)
            }
        }
        canvas.clipped(to: frame.dataClip) {
            for i in series.indices where series[i].showsLine {
                for run in runs(series[i].points) {
                    canvas.polyline(
                        run.map { (px(frame, $0.x), frame.py($0.y)) }, color: color(i), lineWidth: 2,
                        style: series[i].lineStyle)
                }
            }
            for i in series.indices {
                for b in series[i].errorBars where b.isFinite {
                    canvas.errorBar(x: px(frame, b.x), top: frame.py(b.high), bottom: frame.py(b.low), color: color(i))
                }
            }
            for i in series.indices where series[i].showsMarkers {
                for p in series[i].points where p.isFinite {
                    canvas.marker(marker(i), x: px(frame, p.x), y: frame.py(p.y), size: series[i].markerSize, color: color(i))
                }
            }
        }
        frame.drawAxes()
        frame.drawLegend(legendBox, at: position)
        return canvas
    }

    /// Pixel x of data x `v`: on a categorical axis, the centre of slot `v`.
    func px(_ f: PlotFrame, _ v: Double) -> Double { categories == nil ? f.px(v) : f.px(v + 0.5) }

    /// Maximal runs of consecutive finite points.
    func runs(_ points: [PlotPoint]) -> [[PlotPoint]] {
        var out: [[PlotPoint]] = [[]]
        for p in points {
            if p.isFinite { out[out.count - 1].append(p) } else if !out[out.count - 1].isEmpty { out.append([]) }
        }
        return out.filter { !$0.isEmpty }
    }

    /// Pixel positions a legend should not cover: markers, points along the lines, the reference
    /// lines and their labels.
    func obstacles(in f: PlotFrame, includingReferences: Bool = true) -> [(Double, Double)] {
        var pts: [(Double, Double)] = []
        for s in series {
            for run in runs(s.points) {
                var prev: (Double, Double)? = nil
                for p in run {
                    let q = (px(f, p.x), f.py(p.y))
                    if let a = prev, s.showsLine {
                        let n = max(1, Int((hypot(q.0 - a.0, q.1 - a.1) / 4).rounded(.up)))
                        for k in 1..<n {
                            pts.append(
                                (a.0 + (q.0 - a.0) * Double(k) / Double(n), a.1 + (q.1 - a.1) * Double(k) / Double(n)))
                        }
                    }
                    pts.append(q)
                    prev = q
                }
            }
        }
        for s in series {
            for b in s.errorBars where b.isFinite {
                let x = px(f, b.x), top = f.py(b.high), bottom = f.py(b.low)
                pts += stride(from: top, through: bottom, by: 4).map { (x, $0) } + [(x, bottom)]
            }
        }
        for r in referenceLines where includingReferences && r.y.isFinite {
            let y = f.py(r.y)
            pts += stride(from: f.plot.x, through: f.plot.maxX, by: 4).map { ($0, y) }
            // The label sits above one end of the line.
            pts += stride(from: f.plot.x, through: f.plot.x + 80, by: 4).map { ($0, y - 10) }
            pts += stride(from: f.plot.maxX - 80, through: f.plot.maxX, by: 4).map { ($0, y - 10) }
        }
        return pts
    }
}

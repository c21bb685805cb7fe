// The frame shared by every plot: it lays out title, tick labels, axis labels and an outside
// legend around the data area, then draws grid lines, the axes box, ticks and labels. Line,
// scatter and bar plots differ only in what they draw inside it. Internal.
import Foundation

/// The x axis of a frame: numeric with ticks, or one slot per category (bar charts).
enum FrameXAxis {
    case numeric(PlotAxis, data: [Double])
    case categories([String], label: String)
}

/// A laid-out plot frame on a canvas: where the data area is and how data maps onto it.
struct PlotFrame {
    static let titleSize = 16.0
    static let labelSize = 13.0
    static let tickSize = 12.0
    static let tickLength = 5.0
    static let margin = 14.0

    let canvas: Canvas
    let title: String
    let xAxis: FrameXAxis
    let yAxis: PlotAxis
    /// The data area, in pixels.
    private(set) var plot = Rect(x: 0, y: 0, width: 1, height: 1)
    private(set) var xTicks: AxisTicks? = nil
    private(set) var yTicks = AxisTicks.covering(0, 1)
    private(set) var xScale = LinearScale(domain: (0, 1), pixels: (0, 1))
    private(set) var yScale = LinearScale(domain: (0, 1), pixels: (0, 1))
    /// Rotation of category labels (0, or tilted when they would collide).
    private(set) var categoryAngle = 0.0

    /// Lays out the frame. `yData` are the values the automatic y range must show;
    /// `outsideLegendWidth` reserves room on the right for a legend.
    init(canvas: Canvas, title: String, x: FrameXAxis, y: PlotAxis, yData: [Double], outsideLegendWidth: Double = 0) {
        self.canvas = canvas
        self.title = title
        self.xAxis = x
        self.yAxis = y
        let W = Double(canvas.width)
        let H = Double(canvas.height)
        let m = PlotFrame.margin
        let tickH = canvas.lineHeight(size: PlotFrame.tickSize)
        let labelH = canvas.lineHeight(size: PlotFrame.labelSize)
        let right = m + 12 + (outsideLegendWidth > 0 ? outsideLegendWidth + 14 : 0)

        let top = m + (title.isEmpty ? 6 : canvas.lineHeight(size: PlotFrame.titleSize, bold: true) + 12)
        var xLabel = ""
        var xLabelBlock = tickH
        switch x {
        case .numeric(let axis, _):
            xLabel = axis.label
        case .categories(let names, let label):
            xLabel = label
            // Tilt category names that would not fit their slot; the plot width used here is a
            // provisional one (the left margin is not known until the y ticks are).
            let slot = (W - right - 80) / Double(max(1, names.count))
            let widest = names.map { canvas.textWidth($0, size: PlotFrame.tickSize) }.max() ?? 0
            if widest > slot - 6 {
                categoryAngle = -Double.pi / 5
                xLabelBlock = widest * sin(Double.pi / 5) + 0.73 * PlotFrame.tickSize * cos(Double.pi / 5) + 4
            }
        }
        let bottom = m + PlotFrame.tickLength + 4 + xLabelBlock + (xLabel.isEmpty ? 0 : labelH + 8)
        let plotH = max(20, H - top - bottom)
        yTicks = y.ticks(for: yData, targetCount: min(9, max(4, Int(plotH / 55))))
        let yLabelW =
            yTicks.values.map { canvas.textWidth(yTicks.label($0) + y.tickSuffix, size: PlotFrame.tickSize) }
            .max() ?? 0
        let left = m + (y.label.isEmpty ? 0 : labelH + 10) + yLabelW + 5 + PlotFrame.tickLength
        let plotW = max(20, W - left - right)
        plot = Rect(x: left.rounded(), y: top.rounded(), width: plotW.rounded(), height: plotH.rounded())
        yScale = LinearScale(domain: (yTicks.lower, yTicks.upper), pixels: (plot.maxY, plot.y), logarithmic: y.isLogarithmic)

        switch x {
        case .numeric(let axis, let data):
            let t = axis.ticks(for: data, targetCount: min(11, max(4, Int(plotW / 90))))
            xTicks = t
            xScale = LinearScale(domain: (t.lower, t.upper), pixels: (plot.x, plot.maxX), logarithmic: axis.isLogarithmic)
        case .categories(let names, _):
            xScale = LinearScale(domain: (0, Double(max(1, names.count))), pixels: (plot.x, plot.maxX))
        }
    }

    /// Pixel x of data value `v`.
    func px(_ v: Double) -> Double { xScale(v) }
    /// Pixel y of data value `v`.
    func py(_ v: Double) -> Double { yScale(v) }

    /// The area data is clipped to: the plot area plus room for markers on its edges.
    var dataClip: Rect { plot.insetBy(-7) }

    /// Light grid lines at the ticks, drawn under the data.
    func drawGrid() {
        for v in yTicks.values {
            let y = Canvas.crisp(py(v))
            canvas.line(from: (plot.x, y), to: (plot.maxX, y), color: .grid)
        }
        if let t = xTicks {
            for v in t.values {
                let x = Canvas.crisp(px(v))
                canvas.line(from: (x, plot.y), to: (x, plot.maxY), color: .grid)
            }
        }
    }

    /// The axes box, ticks, tick labels, axis labels and title, drawn over the data.
    func drawAxes() {
        let frameColor = FigureColor(hex: 0x444444)
        canvas.strokeRect(
            Rect(x: plot.x + 0.5, y: plot.y + 0.5, width: plot.width - 1, height: plot.height - 1), color: frameColor)
        let tl = PlotFrame.tickLength
        for v in yTicks.values {
            let y = Canvas.crisp(py(v))
            canvas.line(from: (plot.x - tl, y), to: (plot.x, y), color: frameColor)
            canvas.text(
                yTicks.label(v) + yAxis.tickSuffix, x: plot.x - tl - 4, y: py(v), size: PlotFrame.tickSize,
                anchor: .end, baseline: .middle)
        }
        let labelTop = plot.maxY + tl + 4
        var xLabel = ""
        switch xAxis {
        case .numeric(let axis, _):
            xLabel = axis.label
            if let t = xTicks {
                for v in t.values {
                    let x = Canvas.crisp(px(v))
                    canvas.line(from: (x, plot.maxY), to: (x, plot.maxY + tl), color: frameColor)
                    canvas.text(
                        t.label(v) + axis.tickSuffix, x: px(v), y: labelTop, size: PlotFrame.tickSize,
                        anchor: .middle, baseline: .top)
                }
            }
        case .categories(let names, let label):
            xLabel = label
            for (i, name) in names.enumerated() {
                let x = px(Double(i) + 0.5)
                canvas.line(
                    from: (Canvas.crisp(x), plot.maxY), to: (Canvas.crisp(x), plot.maxY + tl), color: frameColor)
                if categoryAngle == 0 {
                    canvas.text(name, x: x, y: labelTop, size: PlotFrame.tickSize, anchor: .middle, baseline: .top)
                } else {
                    canvas.text(
                        name, x: x + 4, y: labelTop, size: PlotFrame.tickSize, anchor: .end, baseline: .top,
                        angle: categoryAngle)
                }
            }
        }
        let m = PlotFrame.margin
        if !xLabel.isEmpty {
            canvas.text(
                xLabel, x: plot.midX, y: Double(canvas.height) - m, size: PlotFrame.labelSize, anchor: .middle,
                baseline: .bottom)
        }
        if !yAxis.label.isEmpty {
            let ascent = canvas.fontMetrics(size: PlotFrame.labelSize).ascent
            canvas.text(
                yAxis.label, x: m + ascent, y: plot.midY, size: PlotFrame.labelSize, anchor: .middle,
                angle: -Double.pi / 2)
        }
        if !title.isEmpty {
            canvas.text(
                title, x: plot.midX, y: m, size: PlotFrame.titleSize, bold: true, anchor: .middle, baseline: .top)
        }
    }

    /// Draws `legend` at `position` (resolved: not `.automatic`), returning nothing if hidden.
    func drawLegend(_ legend: Legend, at position: LegendPosition) {
        guard position != .hidden, !legend.entries.isEmpty else { return }
        let size = legend.size(on: canvas)
        let origin: (x: Double, y: Double)
        if position == .outsideRight {
            origin = (plot.maxX + 14, plot.y)
        } else {
            origin = Legend.corner(position, plot: plot, size: size)
        }
        legend.draw(on: canvas, at: origin)
    }
}

/// Resolves `.automatic` legend placement: lays the frame out with the legend inside, and again
/// with room on the right when every inside corner would cover data. `obstacles` maps a frame to
/// the pixel positions of the data it shows.
func layoutWithLegend(
    canvas: Canvas, legend: Legend, position: LegendPosition,
    makeFrame: (_ outsideLegendWidth: Double) -> PlotFrame,
    obstacles: (PlotFrame) -> [(Double, Double)]
) -> (PlotFrame, LegendPosition) {
    let size = legend.size(on: canvas)
    if legend.entries.isEmpty || position == .hidden { return (makeFrame(0), .hidden) }
    switch position {
    case .outsideRight:
        return (makeFrame(size.width), .outsideRight)
    case .automatic:
        let inside = makeFrame(0)
        let fits = size.width < inside.plot.width * 0.6 && size.height < inside.plot.height * 0.8
        if fits {
            let best = Legend.bestCorner(plot: inside.plot, size: size, obstacles: obstacles(inside))
            if best.covered == 0 { return (inside, best.position) }
        }
        return (makeFrame(size.width), .outsideRight)
    default:
        return (makeFrame(0), position)
    }
}

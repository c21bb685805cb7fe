// Plot legends: one row per series (line sample, marker or colour swatch, then the name) in a
// framed white box. Automatic placement picks the inside corner that covers the fewest data
// points (as matplotlib's loc="best" does), and moves outside the axes when every corner would.

/// Where a plot's legend goes.
public enum LegendPosition: Sendable, Equatable {
    /// The inside corner covering the least data; outside on the right if all corners cover data.
    case automatic
    /// Inside the axes, in that corner.
    case upperLeft, upperRight, lowerLeft, lowerRight
    /// To the right of the axes (the plot area shrinks to make room).
    case outsideRight
    /// No legend.
    case hidden
}

/// One row of a legend.
struct LegendEntry {
    var label: String
    var color: FigureColor
    var marker: MarkerShape? = nil
    var line: LineStyle? = nil
    /// A filled square (bar charts) instead of a line/marker sample.
    var swatch: Bool = false
}

/// Measuring and drawing a legend box.
struct Legend {
    var entries: [LegendEntry]
    static let fontSize = 12.0
    static let sampleWidth = 28.0
    static let padding = 8.0
    static let rowGap = 5.0

    func size(on canvas: Canvas) -> (width: Double, height: Double) {
        guard !entries.isEmpty else { return (0, 0) }
        let textW = entries.map { canvas.textWidth($0.label, size: Legend.fontSize) }.max() ?? 0
        let rowH = canvas.lineHeight(size: Legend.fontSize)
        let n = Double(entries.count)
        return (
            2 * Legend.padding + Legend.sampleWidth + 6 + textW,
            2 * Legend.padding + n * rowH + (n - 1) * Legend.rowGap
        )
    }

    func draw(on canvas: Canvas, at origin: (x: Double, y: Double)) {
        guard !entries.isEmpty else { return }
        let (w, h) = size(on: canvas)
        let box = Rect(x: origin.x.rounded(), y: origin.y.rounded(), width: w.rounded(), height: h.rounded())
        canvas.fillRect(box, color: .white, alpha: 0.92)
        canvas.strokeRect(
            Rect(x: box.x + 0.5, y: box.y + 0.5, width: box.width - 1, height: box.height - 1),
            color: FigureColor(hex: 0xbbbbbb))
        let rowH = canvas.lineHeight(size: Legend.fontSize)
        var y = box.y + Legend.padding
        for e in entries {
            let cy = y + rowH / 2
            let x0 = box.x + Legend.padding
            if e.swatch {
                canvas.fillRect(Rect(x: x0 + 6, y: cy - 6, width: 16, height: 12), color: e.color)
            } else {
                if let style = e.line {
                    canvas.line(
                        from: (x0, cy), to: (x0 + Legend.sampleWidth, cy), color: e.color, lineWidth: 2, style: style)
                }
                if let m = e.marker {
                    canvas.marker(m, x: x0 + Legend.sampleWidth / 2, y: cy, size: 8, color: e.color)
                }
            }
            canvas.text(
                e.label, x: x0 + Legend.sampleWidth + 6, y: cy, size: Legend.fontSize, baseline: .middle)
            y += rowH + Legend.rowGap
        }
    }

    /// The top-left corner for `position` inside `plot` (not for `.automatic`/`.outsideRight`).
    static func corner(
        _ position: LegendPosition, plot: Rect, size: (width: Double, height: Double)
    ) -> (x: Double, y: Double) {
        let inset = 8.0
        let left = plot.x + inset
        let right = plot.maxX - inset - size.width
        let top = plot.y + inset
        let bottom = plot.maxY - inset - size.height
        switch position {
        case .upperLeft: return (left, top)
        case .lowerLeft: return (left, bottom)
        case .lowerRight: return (right, bottom)
        default: return (right, top)
        }
    }

    /// The inside corner whose box covers the fewest of `obstacles` (pixel positions), with the
    /// count it covers. Ties go to upper right, upper left, lower right, lower left, in that order.
    static func bestCorner(
        plot: Rect, size: (width: Double, height: Double), obstacles: [(Double, Double)]
    ) -> (position: LegendPosition, covered: Int) {
        var best: (LegendPosition, Int)? = nil
        for pos in [LegendPosition.upperRight, .upperLeft, .lowerRight, .lowerLeft] {
            let o = corner(pos, plot: plot, size: size)
            // A margin around the box so points touching the frame also count.
            let r = Rect(x: o.x - 6, y: o.y - 6, width: size.width + 12, height: size.height + 12)
            let n = obstacles.reduce(0) { $0 + (r.contains($1.0, $1.1) ? 1 : 0) }
            if best == nil || n < best!.1 { best = (pos, n) }
        }
        return best!
    }
}

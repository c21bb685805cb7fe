// The drawing surface every figure paints on: a white cairo RGB24 image surface with the few
// primitives the figures need (lines, rectangles, text with anchors, nearest-neighbour image
// blits). Internal: figures are the public API. Text uses cairo's toy font API ("DejaVu Sans").
import CCairo
import Foundation

/// Horizontal placement of text relative to its anchor point.
enum TextAnchor { case start, middle, end }

/// Vertical placement of text relative to its anchor point (`top` aligns the cap height).
enum TextBaseline { case top, middle, alphabetic, bottom }

/// An axis-aligned rectangle in pixels (y grows downward).
struct Rect: Equatable {
    var x: Double
    var y: Double
    var width: Double
    var height: Double
    var maxX: Double { x + width }
    var maxY: Double { y + height }
    var midX: Double { x + width / 2 }
    var midY: Double { y + height / 2 }

    func contains(_ px: Double, _ py: Double) -> Bool { px >= x && px <= maxX && py >= y && py <= maxY }
    func intersects(_ o: Rect) -> Bool { x < o.maxX && o.x < maxX && y < o.maxY && o.y < maxY }
    func insetBy(_ d: Double) -> Rect { Rect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d) }
}

/// A white RGB24 cairo surface plus its context. Not thread-safe; one per figure.
final class Canvas {
    /// Family asked of cairo's toy text API; fontconfig substitutes a sans face if it is missing.
    static let fontFamily = "DejaVu Sans"

    let width: Int
    let height: Int
    /// Figure name used in error messages ("LinePlot", "ImageGrid", ...).
    let figure: String
    let surface: OpaquePointer
    let cr: OpaquePointer

    init(width: Int, height: Int, figure: String) throws {
        // cairo's image surfaces are limited to 32767 pixels a side.
        guard width > 0, height > 0, width <= 32767, height <= 32767 else {
            throw FigureError.invalidInput(
                figure: figure, reason: "image size \(width)x\(height) is outside 1...32767 pixels a side")
        }
        self.width = width
        self.height = height
        self.figure = figure
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        cr = cairo_create(surface)
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_destroy(cr)
            cairo_surface_destroy(surface)
            throw FigureError.drawingFailed(figure: figure, status: Canvas.statusString(status))
        }
        setColor(.white)
        cairo_paint(cr)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    static func statusString(_ status: cairo_status_t) -> String {
        String(cString: cairo_status_to_string(status))
    }

    // MARK: State

    func setColor(_ c: FigureColor, alpha: Double = 1) {
        if alpha >= 1 {
            cairo_set_source_rgb(cr, c.red, c.green, c.blue)
        } else {
            cairo_set_source_rgba(cr, c.red, c.green, c.blue, alpha)
        }
    }

    /// Runs `body` with drawing clipped to `rect`.
    func clipped(to rect: Rect, _ body: () -> Void) {
        cairo_save(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(cr)
        body()
        cairo_restore(cr)
    }

    // MARK: Shapes

    /// The coordinate of a pixel centre nearest `v`, so 1-pixel lines stay crisp (cairo puts
    /// integer coordinates on pixel edges).
    static func crisp(_ v: Double) -> Double { v.rounded(.down) + 0.5 }

    func fillRect(_ r: Rect, color: FigureColor, alpha: Double = 1) {
        setColor(color, alpha: alpha)
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        cairo_fill(cr)
    }

    func strokeRect(_ r: Rect, color: FigureColor, lineWidth: Double = 1) {
        setColor(color)
        cairo_set_line_width(cr, lineWidth)
        cairo_set_dash(cr, nil, 0, 0)
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        cairo_stroke(cr)
    }

    /// A polyline through `points` (at least two).
    func polyline(
        _ points: [(Double, Double)], color: FigureColor, lineWidth: Double, style: LineStyle = .solid
    ) {
        guard points.count >= 2 else { return }
        setColor(color)
        cairo_set_line_width(cr, lineWidth)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, style == .dotted ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT)
        let dash = style.pattern.map { $0 * max(1, lineWidth / 1.5) }
        dash.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32($0.count), 0) }
        cairo_move_to(cr, points[0].0, points[0].1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    func line(
        from a: (Double, Double), to b: (Double, Double), color: FigureColor, lineWidth: Double = 1,
        style: LineStyle = .solid
    ) {
        polyline([a, b], color: color, lineWidth: lineWidth, style: style)
    }

    // MARK: Text

    private func selectFont(size: Double, bold: Bool) {
        cairo_select_font_face(
            cr, Canvas.fontFamily, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }

    /// Advance width of `s` in pixels.
    func textWidth(_ s: String, size: Double, bold: Bool = false) -> Double {
        guard !s.isEmpty else { return 0 }
        selectFont(size: size, bold: bold)
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, s, &e)
        return e.x_advance
    }

    /// Ascent and descent of the font (the line box is their sum).
    func fontMetrics(size: Double, bold: Bool = false) -> (ascent: Double, descent: Double) {
        selectFont(size: size, bold: bold)
        var e = cairo_font_extents_t()
        cairo_font_extents(cr, &e)
        return (e.ascent, e.descent)
    }

    /// Height of one line of text (ascent + descent).
    func lineHeight(size: Double, bold: Bool = false) -> Double {
        let m = fontMetrics(size: size, bold: bold)
        return m.ascent + m.descent
    }

    /// Draws `s` with its anchor at (x, y), rotated by `angle` radians about that point.
    func text(
        _ s: String, x: Double, y: Double, size: Double, bold: Bool = false, color: FigureColor = .ink,
        anchor: TextAnchor = .start, baseline: TextBaseline = .alphabetic, angle: Double = 0
    ) {
        guard !s.isEmpty else { return }
        let w = textWidth(s, size: size, bold: bold)
        let m = fontMetrics(size: size, bold: bold)
        // Cap height of DejaVu Sans is 0.73 em; centring on it looks centred for labels.
        let cap = 0.73 * size
        let dx: Double
        switch anchor {
        case .start: dx = 0
        case .middle: dx = -w / 2
        case .end: dx = -w
        }
        let dy: Double
        switch baseline {
        case .top: dy = cap
        case .middle: dy = cap / 2
        case .alphabetic: dy = 0
        case .bottom: dy = -m.descent
        }
        cairo_save(cr)
        cairo_translate(cr, x, y)
        if angle != 0 { cairo_rotate(cr, angle) }
        setColor(color)
        cairo_move_to(cr, dx, dy)
        cairo_show_text(cr, s)
        cairo_restore(cr)
    }

    // MARK: Images

    /// Draws a `w` x `h` image of 0x00RRGGBB pixels (row-major) with its top-left corner at pixel
    /// (x, y), each source pixel becoming a `scale` x `scale` block (nearest-neighbour).
    func drawImage(rgb pixels: [UInt32], width w: Int, height h: Int, x: Int, y: Int, scale: Int) {
        precondition(pixels.count == w * h, "Canvas.drawImage: \(pixels.count) pixels for \(w)x\(h)")
        guard w > 0, h > 0 else { return }
        let img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(w), Int32(h))
        defer { cairo_surface_destroy(img) }
        guard cairo_surface_status(img) == CAIRO_STATUS_SUCCESS else { return }
        cairo_surface_flush(img)
        let stride = Int(cairo_image_surface_get_stride(img))
        let base = UnsafeMutableRawPointer(cairo_image_surface_get_data(img)!)
        pixels.withUnsafeBufferPointer { src in
            for row in 0..<h {
                (base + row * stride).bindMemory(to: UInt32.self, capacity: w)
                    .update(from: src.baseAddress! + row * w, count: w)
            }
        }
        cairo_surface_mark_dirty(img)
        cairo_save(cr)
        cairo_translate(cr, Double(x), Double(y))
        cairo_scale(cr, Double(scale), Double(scale))
        cairo_set_source_surface(cr, img, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_rectangle(cr, 0, 0, Double(w), Double(h))
        cairo_fill(cr)
        cairo_restore(cr)
    }
}

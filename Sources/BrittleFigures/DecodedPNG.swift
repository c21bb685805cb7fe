// Reading a PNG back into 8-bit RGB pixels through cairo (libpng underneath), so the tests
// (`@testable import`) can check what a figure actually shows. Internal: not public API, and
// not an image-processing type: just pixels.
import CCairo
import Foundation

/// The pixels of a PNG file, decoded by cairo. Row-major, (0, 0) is the top-left pixel.
struct DecodedPNG: Sendable {
    /// Width in pixels.
    let width: Int
    /// Height in pixels.
    let height: Int
    /// `width * height` pixels, row-major. Alpha, if any, is composited over white.
    let pixels: [RGBPixel]

    /// Decodes the PNG at `path`; throws `FigureError.readFailed` with cairo's status on failure.
    init(contentsOf path: String) throws {
        let s = cairo_image_surface_create_from_png(path)
        defer { cairo_surface_destroy(s) }
        let status = cairo_surface_status(s)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw FigureError.readFailed(path: path, status: Canvas.statusString(status))
        }
        let format = cairo_image_surface_get_format(s)
        guard format == CAIRO_FORMAT_RGB24 || format == CAIRO_FORMAT_ARGB32 else {
            throw FigureError.readFailed(path: path, status: "unsupported pixel format \(format.rawValue)")
        }
        cairo_surface_flush(s)
        let w = Int(cairo_image_surface_get_width(s))
        let h = Int(cairo_image_surface_get_height(s))
        let stride = Int(cairo_image_surface_get_stride(s))
        let base = UnsafeRawPointer(cairo_image_surface_get_data(s)!)
        let hasAlpha = format == CAIRO_FORMAT_ARGB32
        var out: [RGBPixel] = []
        out.reserveCapacity(w * h)
        for y in 0..<h {
            let row = (base + y * stride).bindMemory(to: UInt32.self, capacity: w)
            for x in 0..<w {
                let v = row[x]
                var r = Int((v >> 16) & 0xff)
                var g = Int((v >> 8) & 0xff)
                var b = Int(v & 0xff)
                if hasAlpha {
                    // cairo stores premultiplied alpha: over white, c + (255 - a).
                    let a = Int(v >> 24)
                    r += 255 - a
                    g += 255 - a
                    b += 255 - a
                }
                out.append(RGBPixel(red: UInt8(min(255, r)), green: UInt8(min(255, g)), blue: UInt8(min(255, b))))
            }
        }
        width = w
        height = h
        pixels = out
    }

    /// The pixel at column `x`, row `y`.
    subscript(x: Int, y: Int) -> RGBPixel {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "DecodedPNG: (\(x), \(y)) outside \(width)x\(height)")
        return pixels[y * width + x]
    }

    /// How many pixels equal `pixel` exactly.
    func count(of pixel: RGBPixel) -> Int {
        pixels.reduce(0) { $0 + ($1 == pixel ? 1 : 0) }
    }
}

// Colours of figures: an RGB colour in [0, 1], the categorical palette series cycle through
// (matplotlib's "tab10", designed to stay distinct for most colour-vision deficiencies when paired
// with distinct markers), and the 8-bit pixel a colour becomes in the PNG.

/// An opaque RGB colour with components in [0, 1].
public struct FigureColor: Equatable, Hashable, Sendable {
    /// Red component in [0, 1].
    public var red: Double
    /// Green component in [0, 1].
    public var green: Double
    /// Blue component in [0, 1].
    public var blue: Double

    /// A colour from components in [0, 1].
    public init(red: Double, green: Double, blue: Double) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from a 24-bit hex value, e.g. `0x1f77b4`.
    public init(hex: UInt32) {
        self.init(
            red: Double((hex >> 16) & 0xff) / 255, green: Double((hex >> 8) & 0xff) / 255,
            blue: Double(hex & 0xff) / 255)
    }

    /// The 8-bit pixel this colour is written as.
    public var pixel: RGBPixel {
        func q(_ v: Double) -> UInt8 { UInt8(max(0, min(255, (v * 255).rounded()))) }
        return RGBPixel(red: q(red), green: q(green), blue: q(blue))
    }

    /// Background.
    public static let white = FigureColor(hex: 0xffffff)
    /// Black.
    public static let black = FigureColor(hex: 0x000000)
    /// Text and axes.
    public static let ink = FigureColor(hex: 0x222222)
    /// Grid lines behind the data.
    public static let grid = FigureColor(hex: 0xe6e6e6)
    /// Reference lines (for example "chance").
    public static let reference = FigureColor(hex: 0x777777)
    /// Captions that mark a correct prediction.
    public static let correct = FigureColor(hex: 0x1a7f37)
    /// Captions that mark a wrong prediction.
    public static let wrong = FigureColor(hex: 0xc62828)

    /// The categorical palette series take in order (matplotlib "tab10").
    public static let palette: [FigureColor] = [
        0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    ].map { FigureColor(hex: $0) }

    /// Palette entry `index`, cycling.
    public static func palette(_ index: Int) -> FigureColor {
        palette[((index % palette.count) + palette.count) % palette.count]
    }
}

/// One 8-bit RGB pixel of a PNG.
public struct RGBPixel: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Red, 0-255.
    public var red: UInt8
    /// Green, 0-255.
    public var green: UInt8
    /// Blue, 0-255.
    public var blue: UInt8

    /// A pixel from its components.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A gray pixel.
    public init(gray: UInt8) { self.init(red: gray, green: gray, blue: gray) }

    /// "rgb(r, g, b)".
    public var description: String { "rgb(\(red), \(green), \(blue))" }
}

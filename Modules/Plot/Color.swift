/// An 8-bit sRGB colour with straight (not premultiplied) alpha.
public struct RGBA: Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public var a: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) {
        self.r = r
        self.g = g
        self.b = b
        self.a = a
    }

    /// From `0xRRGGBB`.
    public init(hex: UInt32, alpha: UInt8 = 255) {
        self.init(UInt8(hex >> 16 & 0xFF), UInt8(hex >> 8 & 0xFF), UInt8(hex & 0xFF), alpha)
    }

    /// The same colour with another alpha, for translucent fills such as ±std bands.
    public func withAlpha(_ alpha: UInt8) -> RGBA { RGBA(r, g, b, alpha) }

    public var description: String {
        "RGBA(\(r), \(g), \(b), \(a))"
    }

    public static let white = RGBA(255, 255, 255)
    public static let black = RGBA(0, 0, 0)

    /// Okabe & Ito's colour-blind-safe palette (2008), in the order series take their colours.
    public static let palette: [RGBA] = [
        RGBA(hex: 0x0072B2), RGBA(hex: 0xD55E00), RGBA(hex: 0x009E73), RGBA(hex: 0xE69F00),
        RGBA(hex: 0xCC79A7), RGBA(hex: 0x56B4E9), RGBA(hex: 0xF0E442), RGBA(hex: 0x000000),
    ]

    /// The colour of the `index`-th series, cycling through `palette`.
    public static func series(_ index: Int) -> RGBA { palette[index % palette.count] }
}

/// Maps values in [0, 1] to colours.
public enum Colormap {
    /// Viridis, the perceptually uniform map of matplotlib (van der Walt & Smith, 2015), from its
    /// nine published anchor colours at t = 0, 1/8, …, 1, interpolated linearly in sRGB (as a
    /// colorbar's gradient interpolates the same anchors). Viridis is
    /// monotonic in lightness, so a heatmap reads the same in greyscale and to colour-blind readers.
    public static func viridis(_ t: Double) -> RGBA {
        let t = t.isNaN ? 0 : min(max(t, 0), 1)
        let position = t * Double(viridisAnchors.count - 1)
        let index = min(Int(position), viridisAnchors.count - 2)
        let fraction = position - Double(index)
        let (low, high) = (viridisAnchors[index], viridisAnchors[index + 1])
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) + (Double(b) - Double(a)) * fraction).rounded())
        }
        return RGBA(mix(low.r, high.r), mix(low.g, high.g), mix(low.b, high.b))
    }

    static let viridisAnchors: [RGBA] = [
        RGBA(hex: 0x440154), RGBA(hex: 0x472D7B), RGBA(hex: 0x3B528B), RGBA(hex: 0x2C728E), RGBA(hex: 0x21908C),
        RGBA(hex: 0x27AD81), RGBA(hex: 0x5DC863), RGBA(hex: 0xAADC32), RGBA(hex: 0xFDE725),
    ]
}

/// A point in pixel space: x to the right, y down, (0, 0) the top-left corner of the top-left pixel.
public struct Point: Hashable, Sendable {
    public var x: Double
    public var y: Double

    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// A rectangle of whole pixels.
public struct PixelRect: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    func intersection(_ other: PixelRect) -> PixelRect {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(maxX, other.maxX), bottom = min(maxY, other.maxY)
        return PixelRect(x: left, y: top, width: max(0, right - left), height: max(0, bottom - top))
    }
}

/// Which way text runs.
public enum TextDirection: Sendable {
    case horizontal
    /// Rotated 90° counter-clockwise, read bottom to top (a y-axis label).
    case upward
}

/// An opaque RGBA image that figures draw on. Shapes are anti-aliased by coverage: each pixel
/// blends the colour in proportion to how much of it the shape covers.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGBA bytes, top row first.
    public private(set) var pixels: [UInt8]
    /// Drawing outside this rectangle is discarded (a plot's series stay inside its axes).
    public var clip: PixelRect

    public init(width: Int, height: Int, background: RGBA = .white) {
        precondition(width > 0 && height > 0, "a canvas needs a positive size, got \(width)×\(height)")
        self.width = width
        self.height = height
        self.pixels = Array(repeating: 0, count: width * height * 4)
        self.clip = PixelRect(x: 0, y: 0, width: width, height: height)
        for offset in stride(from: 0, to: pixels.count, by: 4) {
            pixels[offset] = background.r
            pixels[offset + 1] = background.g
            pixels[offset + 2] = background.b
            pixels[offset + 3] = 255
        }
    }

    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> RGBA {
        let offset = (y * width + x) * 4
        return RGBA(pixels[offset], pixels[offset + 1], pixels[offset + 2], pixels[offset + 3])
    }

    /// Blends `color` over one pixel, weighted by its alpha times `coverage` (0…1).
    public mutating func blend(x: Int, y: Int, color: RGBA, coverage: Double = 1) {
        guard x >= clip.x, x < clip.maxX, y >= clip.y, y < clip.maxY else { return }
        let weight = min(max(coverage, 0), 1) * Double(color.a) / 255
        guard weight > 0 else { return }
        let offset = (y * width + x) * 4
        func mix(_ destination: UInt8, _ source: UInt8) -> UInt8 {
            UInt8((Double(destination) * (1 - weight) + Double(source) * weight).rounded())
        }
        pixels[offset] = mix(pixels[offset], color.r)
        pixels[offset + 1] = mix(pixels[offset + 1], color.g)
        pixels[offset + 2] = mix(pixels[offset + 2], color.b)
    }

    public mutating func fill(_ rect: PixelRect, color: RGBA) {
        let area = rect.intersection(clip)
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX { blend(x: x, y: y, color: color) }
        }
    }

    /// Strokes connected line segments. Coverage is taken as the maximum over segments before
    /// blending once, so joints of a translucent polyline do not show darker dots.
    public mutating func strokePolyline(_ points: [Point], color: RGBA, width lineWidth: Double = 1) {
        guard points.count >= 2 else { return }
        strokeSegments(zip(points, points.dropFirst()).map { ($0, $1) }, color: color, width: lineWidth)
    }

    /// Strokes independent segments (contour pieces, error bars) in one coverage pass.
    public mutating func strokeSegments(_ segments: [(Point, Point)], color: RGBA, width lineWidth: Double = 1) {
        let finite = segments.filter { [$0.0.x, $0.0.y, $0.1.x, $0.1.y].allSatisfy(\.isFinite) }
        guard !finite.isEmpty else { return }
        let reach = lineWidth / 2 + 1
        let xs = finite.flatMap { [$0.0.x, $0.1.x] }, ys = finite.flatMap { [$0.0.y, $0.1.y] }
        let box = PixelRect(
            x: Int((xs.min()! - reach).rounded(.down)), y: Int((ys.min()! - reach).rounded(.down)),
            width: Int((xs.max()! - xs.min()! + 2 * reach).rounded(.up)) + 1,
            height: Int((ys.max()! - ys.min()! + 2 * reach).rounded(.up)) + 1
        ).intersection(clip)
        guard box.width > 0, box.height > 0 else { return }
        var coverage = [Double](repeating: 0, count: box.width * box.height)
        for (a, b) in finite {
            let area = PixelRect(
                x: Int((min(a.x, b.x) - reach).rounded(.down)), y: Int((min(a.y, b.y) - reach).rounded(.down)),
                width: Int((abs(a.x - b.x) + 2 * reach).rounded(.up)) + 1,
                height: Int((abs(a.y - b.y) + 2 * reach).rounded(.up)) + 1
            ).intersection(box)
            for y in area.y..<area.maxY {
                for x in area.x..<area.maxX {
                    let distance = Self.distance(from: Point(Double(x) + 0.5, Double(y) + 0.5), toSegment: a, b)
                    let value = min(max(lineWidth / 2 + 0.5 - distance, 0), 1)
                    let index = (y - box.y) * box.width + (x - box.x)
                    coverage[index] = max(coverage[index], value)
                }
            }
        }
        for y in box.y..<box.maxY {
            for x in box.x..<box.maxX {
                blend(x: x, y: y, color: color, coverage: coverage[(y - box.y) * box.width + (x - box.x)])
            }
        }
    }

    /// A filled disk with an anti-aliased edge (scatter markers).
    public mutating func fillCircle(center: Point, radius: Double, color: RGBA) {
        for y in Int((center.y - radius - 1).rounded(.down))...Int((center.y + radius + 1).rounded(.up)) {
            for x in Int((center.x - radius - 1).rounded(.down))...Int((center.x + radius + 1).rounded(.up)) {
                let dx = Double(x) + 0.5 - center.x, dy = Double(y) + 0.5 - center.y
                blend(x: x, y: y, color: color, coverage: radius + 0.5 - (dx * dx + dy * dy).squareRoot())
            }
        }
    }

    /// Fills the area between two curves sampled at the same increasing x (a ±std band). Each pixel
    /// column is covered by the fraction of its height that lies between the curves.
    public mutating func fillBand(x: [Double], upper: [Double], lower: [Double], color: RGBA) {
        guard x.count >= 2, upper.count == x.count, lower.count == x.count else { return }
        for segment in 0..<(x.count - 1) {
            let (x0, x1) = (x[segment], x[segment + 1])
            guard x1 > x0 else { continue }
            // Columns whose centre lies in [x0, x1) belong to this segment, so none is filled twice.
            let first = Int((x0 - 0.5).rounded(.up)), last = Int((x1 - 0.5).rounded(.up)) - 1
            guard first <= last else { continue }
            for column in first...last {
                let t = (Double(column) + 0.5 - x0) / (x1 - x0)
                let top = upper[segment] + (upper[segment + 1] - upper[segment]) * t
                let bottom = lower[segment] + (lower[segment + 1] - lower[segment]) * t
                let (high, low) = (min(top, bottom), max(top, bottom))
                guard high.isFinite, low.isFinite else { continue }
                for row in Int(high.rounded(.down))..<Int(low.rounded(.up)) {
                    let covered = min(low, Double(row + 1)) - max(high, Double(row))
                    blend(x: column, y: row, color: color, coverage: covered)
                }
            }
        }
    }

    /// Draws text in the embedded bitmap font with its top-left corner at (x, y); each font pixel
    /// becomes a `scale`×`scale` block. Characters the font lacks print as `?`.
    public mutating func drawText(
        _ text: String, x: Int, y: Int, color: RGBA, scale: Int = 1, direction: TextDirection = .horizontal
    ) {
        let characters = Array(text)
        let length = characters.count * BitmapFont.advance - 1
        for (index, character) in characters.enumerated() {
            let rows = BitmapFont.glyph(character)
            for (row, bits) in rows.enumerated() {
                for column in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                    let u = index * BitmapFont.advance + column
                    let (px, py) = direction == .horizontal ? (x + u * scale, y + row * scale) : (x + row * scale, y + (length - 1 - u) * scale)
                    fill(PixelRect(x: px, y: py, width: scale, height: scale), color: color)
                }
            }
        }
    }

    /// The size `drawText` covers: width along the text, height across it, before any rotation.
    public static func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
        let count = text.count
        return (count == 0 ? 0 : (count * BitmapFont.advance - 1) * scale, BitmapFont.glyphHeight * scale)
    }

    private static func distance(from p: Point, toSegment a: Point, _ b: Point) -> Double {
        let (dx, dy) = (b.x - a.x, b.y - a.y)
        let lengthSquared = dx * dx + dy * dy
        let t = lengthSquared == 0 ? 0 : min(max(((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared, 0), 1)
        let (ex, ey) = (p.x - (a.x + t * dx), p.y - (a.y + t * dy))
        return (ex * ex + ey * ey).squareRoot()
    }
}

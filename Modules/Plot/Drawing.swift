import CCairo
import Foundation

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
}

/// Which way text runs.
public enum TextDirection: Sendable {
    case horizontal
    /// Rotated 90° counter-clockwise, read bottom to top (a y-axis label).
    case upward
}

/// Where a text's anchor point lies along the text.
public enum TextAlignment: Sendable {
    case leading, center, trailing
}

/// Where a text's anchor point lies across the text: at the top of the font's tallest glyphs, halfway
/// between ascent and descent (so digits centre on a tick), or on the baseline.
public enum TextBaseline: Sendable {
    case top, middle, baseline
}

/// The size of a text in a font: its advance width and the font's ascent and descent (the same for
/// every text in the font, so labels of one size share one baseline).
public struct TextMetrics: Sendable {
    public var width: Double
    public var ascent: Double
    public var descent: Double

    public var height: Double { ascent + descent }
}

/// The drawing operations figures use, on one Cairo context. Coordinates are pixels of the PNG
/// (CSS pixels, 1/96 in, in the SVG and PDF), so one drawing routine writes all three formats.
public final class Drawing {
    private let context: OpaquePointer
    private let family: String
    /// Set when drawing for an SVG file: text is collected here as `<text>` elements (Cairo's SVG
    /// surface would write glyph outlines, which an editor cannot change and a search cannot find).
    private var svgText: [String]?

    private init(surface: OpaquePointer, scale: Double, family: String, collectsSVGText: Bool) {
        context = cairo_create(surface)
        self.family = family
        svgText = collectsSVGText ? [] : nil
        cairo_scale(context, scale, scale)
        Self.selectFont(context, family: family)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
    }

    deinit { cairo_destroy(context) }

    /// The font by family name through Cairo's toy text API: fontconfig picks the closest installed
    /// face, so a machine without the family still draws readable text. Metrics are unhinted, so text
    /// has the same width on every surface and the layout measured once fits all three formats.
    private static func selectFont(_ context: OpaquePointer, family: String) {
        cairo_select_font_face(context, family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        let options = cairo_font_options_create()
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_set_font_options(context, options)
        cairo_font_options_destroy(options)
    }

    // MARK: Shapes

    public func fill(_ rect: PixelRect, color: RGBA) {
        setColor(color)
        cairo_rectangle(context, Double(rect.x), Double(rect.y), Double(rect.width), Double(rect.height))
        cairo_fill(context)
    }

    /// Strokes connected line segments as one path, so joints of a translucent line are not darker.
    public func strokePolyline(_ points: [Point], color: RGBA, width: Double) {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard finite.count >= 2 else { return }
        cairo_move_to(context, finite[0].x, finite[0].y)
        for point in finite.dropFirst() { cairo_line_to(context, point.x, point.y) }
        stroke(color: color, width: width)
    }

    /// Strokes independent segments (contour pieces, error bars, a frame) as one path.
    public func strokeSegments(_ segments: [(Point, Point)], color: RGBA, width: Double) {
        let finite = segments.filter { [$0.0.x, $0.0.y, $0.1.x, $0.1.y].allSatisfy(\.isFinite) }
        guard !finite.isEmpty else { return }
        for (a, b) in finite {
            cairo_move_to(context, a.x, a.y)
            cairo_line_to(context, b.x, b.y)
        }
        stroke(color: color, width: width)
    }

    /// Fills a closed polygon (a ±std band: the upper curve forward, the lower one back).
    public func fillPolygon(_ points: [Point], color: RGBA) {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard finite.count >= 3 else { return }
        cairo_move_to(context, finite[0].x, finite[0].y)
        for point in finite.dropFirst() { cairo_line_to(context, point.x, point.y) }
        cairo_close_path(context)
        setColor(color)
        cairo_fill(context)
    }

    /// A filled disk (scatter markers).
    public func fillCircle(center: Point, radius: Double, color: RGBA) {
        cairo_new_sub_path(context)
        cairo_arc(context, center.x, center.y, radius, 0, 2 * Double.pi)
        setColor(color)
        cairo_fill(context)
    }

    /// Fills `rect` with a grid of colours, `cells[0]` the top row, each cell a sharp-edged block: one
    /// embedded image in the vector formats, so no hairline seams appear between cells.
    public func fillCells(_ cells: [[RGBA]], in rect: PixelRect) {
        guard let columns = cells.first?.count, columns > 0 else { return }
        let rows = cells.count
        let image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(columns), Int32(rows))
        defer { cairo_surface_destroy(image) }
        let stride = Int(cairo_image_surface_get_stride(image))
        guard let data = cairo_image_surface_get_data(image) else { return }
        for (row, colors) in cells.enumerated() {
            let words = UnsafeMutableRawPointer(data + row * stride).assumingMemoryBound(to: UInt32.self)
            for (column, color) in colors.enumerated() { words[column] = Self.premultipliedARGB(color) }
        }
        cairo_surface_mark_dirty(image)
        cairo_save(context)
        cairo_translate(context, Double(rect.x), Double(rect.y))
        cairo_scale(context, Double(rect.width) / Double(columns), Double(rect.height) / Double(rows))
        cairo_set_source_surface(context, image, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
        cairo_rectangle(context, 0, 0, Double(columns), Double(rows))
        cairo_fill(context)
        cairo_restore(context)
    }

    /// Fills `rect` with colours interpolated linearly from `stops[0]` at the bottom to the last stop
    /// at the top, evenly spaced (a colorbar).
    public func fillVerticalGradient(_ stops: [RGBA], in rect: PixelRect) {
        guard stops.count >= 2 else { return }
        let gradient = cairo_pattern_create_linear(0, Double(rect.maxY), 0, Double(rect.y))
        defer { cairo_pattern_destroy(gradient) }
        for (index, color) in stops.enumerated() {
            let (r, g, b, a) = Self.components(color)
            cairo_pattern_add_color_stop_rgba(gradient, Double(index) / Double(stops.count - 1), r, g, b, a)
        }
        cairo_set_source(context, gradient)
        cairo_rectangle(context, Double(rect.x), Double(rect.y), Double(rect.width), Double(rect.height))
        cairo_fill(context)
    }

    /// Runs `body` with drawing outside `rect` discarded (a plot's series stay inside its axes).
    public func clipped(to rect: PixelRect, _ body: () throws -> Void) rethrows {
        cairo_save(context)
        defer { cairo_restore(context) }
        cairo_rectangle(context, Double(rect.x), Double(rect.y), Double(rect.width), Double(rect.height))
        cairo_clip(context)
        try body()
    }

    // MARK: Text

    /// Draws `text` in the style's font at `size` pixels, anchored at `point` as `alignment` and
    /// `baseline` say (before rotation, for upward text).
    public func text(
        _ text: String, at point: Point, size: Double, color: RGBA, alignment: TextAlignment = .leading,
        baseline: TextBaseline = .baseline, direction: TextDirection = .horizontal
    ) {
        guard !text.isEmpty else { return }
        let metrics = Self.measure(text, family: family, size: size)
        let dy: Double
        switch baseline {
        case .top: dy = metrics.ascent
        case .middle: dy = (metrics.ascent - metrics.descent) / 2
        case .baseline: dy = 0
        }
        if svgText != nil {
            svgText!.append(
                Self.svgElement(
                    text, at: point, dy: dy, size: size, color: color, alignment: alignment,
                    direction: direction, family: family))
            return
        }
        let dx: Double
        switch alignment {
        case .leading: dx = 0
        case .center: dx = -metrics.width / 2
        case .trailing: dx = -metrics.width
        }
        cairo_save(context)
        cairo_translate(context, point.x, point.y)
        if direction == .upward { cairo_rotate(context, -Double.pi / 2) }
        cairo_set_font_size(context, size)
        cairo_move_to(context, dx, dy)
        setColor(color)
        cairo_show_text(context, text)
        cairo_restore(context)
    }

    /// The size of `text` in `family` at `size` pixels, measured as every surface draws it.
    public static func measure(_ text: String, family: String, size: Double) -> TextMetrics {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)
        let context = cairo_create(surface)
        defer {
            cairo_destroy(context)
            cairo_surface_destroy(surface)
        }
        selectFont(context!, family: family)
        cairo_set_font_size(context, size)
        var font = cairo_font_extents_t()
        cairo_font_extents(context, &font)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text, &extents)
        return TextMetrics(width: extents.x_advance, ascent: font.ascent, descent: font.descent)
    }

    /// One `<text>` element: the anchor and baseline as Cairo would draw it, the font by family name
    /// (with a generic fallback), so the SVG's text stays text.
    private static func svgElement(
        _ text: String, at point: Point, dy: Double, size: Double, color: RGBA, alignment: TextAlignment,
        direction: TextDirection, family: String
    ) -> String {
        let anchor: String
        switch alignment {
        case .leading: anchor = "start"
        case .center: anchor = "middle"
        case .trailing: anchor = "end"
        }
        let placement: String
        switch direction {
        case .horizontal:
            placement = "x=\"\(number(point.x))\" y=\"\(number(point.y + dy))\""
        case .upward:
            let rotation = "translate(\(number(point.x)),\(number(point.y))) rotate(-90)"
            placement = "x=\"0\" y=\"\(number(dy))\" transform=\"\(rotation)\""
        }
        let opacity = color.a == 255 ? "" : " fill-opacity=\"\(number(Double(color.a) / 255))\""
        let fill = "rgb(\(color.r),\(color.g),\(color.b))"
        return "<text \(placement) font-family=\"'\(escape(family))', sans-serif\" font-size=\"\(number(size))\" "
            + "text-anchor=\"\(anchor)\" fill=\"\(fill)\"\(opacity)>\(escape(text))</text>"
    }

    private static func number(_ value: Double) -> String { String(format: "%.2f", value) }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&apos;")
    }

    // MARK: Colours

    private func setColor(_ color: RGBA) {
        let (r, g, b, a) = Self.components(color)
        cairo_set_source_rgba(context, r, g, b, a)
    }

    private func stroke(color: RGBA, width: Double) {
        setColor(color)
        cairo_set_line_width(context, width)
        cairo_stroke(context)
    }

    private static func components(_ color: RGBA) -> (Double, Double, Double, Double) {
        (Double(color.r) / 255, Double(color.g) / 255, Double(color.b) / 255, Double(color.a) / 255)
    }

    /// Cairo's ARGB32: a native-endian word with colour premultiplied by alpha.
    private static func premultipliedARGB(_ color: RGBA) -> UInt32 {
        func scaled(_ channel: UInt8) -> UInt32 { (UInt32(channel) * UInt32(color.a) + 127) / 255 }
        return UInt32(color.a) << 24 | scaled(color.r) << 16 | scaled(color.g) << 8 | scaled(color.b)
    }

    // MARK: Surfaces

    /// Draws onto an image surface and returns its pixels as straight-alpha RGBA.
    static func rasterize(width: Int, height: Int, family: String, draw: (Drawing) throws -> Void) throws -> RGBAImage {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))!
        defer { cairo_surface_destroy(surface) }
        try check(surface, path: "an image of \(width)×\(height) pixels")
        try draw(Drawing(surface: surface, scale: 1, family: family, collectsSVGText: false))
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let data = cairo_image_surface_get_data(surface) else {
            throw PlotError.cairo(path: "an image of \(width)×\(height) pixels", message: "no pixel data")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        for y in 0..<height {
            let words = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width {
                let word = words[x]
                let alpha = word >> 24
                func straight(_ shift: UInt32) -> UInt8 {
                    let channel = word >> shift & 0xFF
                    return alpha == 0 ? 0 : UInt8((channel * 255 + alpha / 2) / alpha)
                }
                let offset = (y * width + x) * 4
                pixels[offset] = straight(16)
                pixels[offset + 1] = straight(8)
                pixels[offset + 2] = straight(0)
                pixels[offset + 3] = UInt8(alpha)
            }
        }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    /// Writes an SVG of `width`×`height` pixels: shapes through Cairo's SVG surface, text as `<text>`.
    static func writeSVG(
        to path: String, width: Int, height: Int, family: String, draw: (Drawing) throws -> Void
    ) throws {
        let surface = cairo_svg_surface_create(path, Double(width), Double(height))!
        var text: [String] = []
        do {
            defer { cairo_surface_destroy(surface) }
            try check(surface, path: path)
            cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PX)
            let drawing = Drawing(surface: surface, scale: 1, family: family, collectsSVGText: true)
            try draw(drawing)
            text = drawing.svgText ?? []
            cairo_surface_finish(surface)
            try check(surface, path: path)
        }
        // Text is drawn last in every figure, so appending it keeps the stacking order of the PNG.
        // Cairo 1.16 does not mark images as unsmoothed, and the only images drawn are `fillCells`'
        // grids, which a viewer would otherwise blur when it scales them up.
        do {
            var document = try String(contentsOfFile: path, encoding: .utf8)
            guard let end = document.range(of: "</svg>", options: .backwards) else {
                throw PlotError.cairo(path: path, message: "Cairo wrote no closing </svg>")
            }
            document.insert(contentsOf: text.map { $0 + "\n" }.joined(), at: end.lowerBound)
            document = Self.renumberingProcessWideIDs(
                document.replacingOccurrences(
                    of: "<image ", with: "<image style=\"image-rendering:optimizeSpeed;image-rendering:pixelated\" "))
            try document.write(toFile: path, atomically: true, encoding: .utf8)
        } catch let error as PlotError {
            throw error
        } catch {
            throw PlotError.writeFailed(path: path, reason: "\(error)")
        }
    }

    /// Cairo names surfaces and images in an SVG by counters shared by the whole process, so the same
    /// figure would get other ids after other drawing; numbering them from 1 per file gives the same bytes.
    private static func renumberingProcessWideIDs(_ document: String) -> String {
        let declaration = try! NSRegularExpression(pattern: #"id="(surface|image)(\d+)""#)
        var renamed: [String: String] = [:]
        var counts: [String: Int] = [:]
        for match in declaration.matches(in: document, range: NSRange(document.startIndex..., in: document)) {
            let kind = String(document[Range(match.range(at: 1), in: document)!])
            let old = kind + document[Range(match.range(at: 2), in: document)!]
            guard renamed[old] == nil else { continue }
            counts[kind, default: 0] += 1
            renamed[old] = "\(kind)\(counts[kind]!)"
        }
        guard !renamed.isEmpty else { return document }
        let reference = try! NSRegularExpression(pattern: #"(?<=id="|#)(?:surface|image)\d+\b"#)
        var result = ""
        var last = document.startIndex
        for match in reference.matches(in: document, range: NSRange(document.startIndex..., in: document)) {
            let range = Range(match.range, in: document)!
            result += document[last..<range.lowerBound]
            result += renamed[String(document[range])] ?? String(document[range])
            last = range.upperBound
        }
        return result + document[last...]
    }

    /// Writes a one-page PDF; the page is `width`×`height` CSS pixels (0.75 pt each), its title in
    /// the document's metadata, and its text real text in an embedded subset of the font.
    static func writePDF(
        to path: String, width: Int, height: Int, title: String?, family: String, draw: (Drawing) throws -> Void
    ) throws {
        let points = 0.75
        let surface = cairo_pdf_surface_create(path, Double(width) * points, Double(height) * points)!
        defer { cairo_surface_destroy(surface) }
        try check(surface, path: path)
        if let title { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title) }
        // No creation date (Cairo would write the current time), so the same figure gives the same bytes.
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, "")
        try draw(Drawing(surface: surface, scale: points, family: family, collectsSVGText: false))
        cairo_surface_finish(surface)
        try check(surface, path: path)
    }

    private static func check(_ surface: OpaquePointer, path: String) throws {
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PlotError.cairo(path: path, message: String(cString: cairo_status_to_string(status)))
        }
    }
}

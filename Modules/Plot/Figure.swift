import Foundation

/// Sizes, colours and the typeface shared by all figures. Sizes are pixels of the PNG, which are CSS
/// pixels (1/96 in) in the SVG and PDF: an 800×560 figure is 8.3 × 5.8 in, and 14 px text is 10.5 pt.
public struct PlotStyle: Sendable {
    public var width = 800
    public var height = 560
    public var background = RGBA.white
    /// The frame around the plot area and the tick marks.
    public var axis = RGBA(hex: 0x222222)
    public var grid = RGBA(hex: 0xE5E5E5)
    public var text = RGBA(hex: 0x222222)
    /// Chosen by family name through fontconfig; a machine without it falls back to a similar face.
    public var fontFamily = "DejaVu Sans"
    /// Tick labels, axis labels and legends: about matplotlib's default of 10 pt.
    public var fontSize = 14.0
    public var titleFontSize = 16.0
    public var lineWidth = 2.0
    public var showGrid = true

    public init() {}

    func measure(_ text: String, size: Double? = nil) -> TextMetrics {
        Drawing.measure(text, family: fontFamily, size: size ?? fontSize)
    }
}

/// A figure draws itself with one set of drawing operations, which `save(to:)` sends to a PNG, an
/// SVG and a PDF, and knows its data as CSV.
public protocol Figure: Sendable {
    var style: PlotStyle { get }
    /// Also the PDF's document title.
    var title: String? { get }
    func draw(on drawing: Drawing) throws
    /// The plotted data, so a reader can re-plot or check numbers without decoding pixels.
    func csv() throws -> String
}

extension Figure {
    /// The figure as the pixels its PNG holds.
    public func render() throws -> RGBAImage {
        try Drawing.rasterize(width: style.width, height: style.height, family: style.fontFamily, draw: paint)
    }

    /// Writes the PNG at `path` and beside it the same figure as vector graphics and its data, with the
    /// extensions `.svg`, `.pdf` and `.csv` (`x.png` → `x.svg`, `x.pdf`, `x.csv`).
    public func save(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try PNGWriter.write(try render(), to: path)
        let sibling = { (suffix: String) in url.deletingPathExtension().appendingPathExtension(suffix).path }
        try Drawing.writeSVG(
            to: sibling("svg"), width: style.width, height: style.height, family: style.fontFamily, draw: paint)
        try Drawing.writePDF(
            to: sibling("pdf"), width: style.width, height: style.height, title: title, family: style.fontFamily,
            draw: paint)
        let csvPath = sibling("csv")
        do {
            try csv().write(toFile: csvPath, atomically: true, encoding: .utf8)
        } catch {
            throw PlotError.writeFailed(path: csvPath, reason: "\(error)")
        }
    }

    /// The background, then the figure.
    private func paint(on drawing: Drawing) throws {
        drawing.fill(PixelRect(x: 0, y: 0, width: style.width, height: style.height), color: style.background)
        try draw(on: drawing)
    }
}

/// Builds CSV text with RFC 4180 quoting; numbers print in Swift's shortest round-trip form.
struct CSVBuilder {
    private var lines: [String]

    init(header: [String]) {
        lines = [header.map(Self.field).joined(separator: ",")]
    }

    mutating func row(_ cells: [String]) {
        lines.append(cells.map(Self.field).joined(separator: ","))
    }

    var text: String { lines.joined(separator: "\n") + "\n" }

    static func number(_ value: Double) -> String { value.isNaN ? "" : String(value) }

    private static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// What a legend entry shows beside its name.
enum LegendMark {
    case line, box, marker
}

/// The plot area of a figure and its two scales: the mapping from data to pixels that the figure
/// draws with and that tests use to find a known pixel.
public struct Axes: Sendable {
    public let plotArea: PixelRect
    public let x: AxisScale
    public let y: AxisScale
    let xTicks: [(value: Double, label: String)]
    let yTicks: [(value: Double, label: String)]
    /// Gap between a tick mark's end and its label, and between stacked labels.
    static let gap = 6.0
    static let tickLength = 5.0

    /// The horizontal pixel coordinate of data value `value`.
    public func pixelX(_ value: Double) -> Double {
        Double(plotArea.x) + x.fraction(value) * Double(plotArea.width)
    }

    /// The vertical pixel coordinate of data value `value` (larger values higher up).
    public func pixelY(_ value: Double) -> Double {
        Double(plotArea.maxY) - y.fraction(value) * Double(plotArea.height)
    }

    /// Lays out margins around the plot area from the labels that must fit in them.
    /// `xTickLabels` replaces numeric x ticks (bar charts put category names there).
    init(
        style: PlotStyle, x: AxisScale, y: AxisScale, title: String?, xLabel: String?, yLabel: String?,
        xTickLabels: [(Double, String)]? = nil, rightMargin: Int = 24
    ) {
        let lineHeight = style.measure("").height
        let yTicks = y.ticks(target: 6).map { ($0, y.label($0, ticks: y.ticks(target: 6))) }
        let yLabelWidth = yTicks.map { style.measure($0.1).width }.max() ?? 0
        let tickSpace = Self.tickLength + Self.gap
        let left = 10 + (yLabel == nil ? 0 : lineHeight + Self.gap) + yLabelWidth + tickSpace
        let top = title == nil ? 16 : style.measure("", size: style.titleFontSize).height + 20
        let bottom = tickSpace + lineHeight + (xLabel == nil ? 0 : Self.gap + lineHeight) + 10
        // Room for half of the last x tick label, which is centred on the right edge.
        let lastXLabel =
            xTickLabels?.last?.1 ?? x.ticks(target: 6).last.map { x.label($0, ticks: x.ticks(target: 6)) } ?? ""
        let right = max(Double(rightMargin), style.measure(lastXLabel).width / 2 + 8)
        let (leftPixels, topPixels) = (Int(left.rounded(.up)), Int(top.rounded(.up)))
        let area = PixelRect(
            x: leftPixels, y: topPixels, width: max(10, style.width - leftPixels - Int(right.rounded(.up))),
            height: max(10, style.height - topPixels - Int(bottom.rounded(.up))))
        self.plotArea = area
        self.x = x
        self.y = y
        self.yTicks = yTicks
        if let xTickLabels {
            self.xTicks = xTickLabels.map { (value: $0.0, label: $0.1) }
        } else {
            // Fewer ticks until the labels no longer touch.
            var chosen: [(value: Double, label: String)] = []
            for target in stride(from: 8, through: 2, by: -1) {
                let ticks = x.ticks(target: target)
                chosen = ticks.map { (value: $0, label: x.label($0, ticks: ticks)) }
                let widest = chosen.map { style.measure($0.label).width }.max() ?? 0
                if (widest + 16) * Double(chosen.count) < Double(area.width) { break }
            }
            self.xTicks = chosen
        }
    }

    /// The pixel column or row a grid line or tick at `coordinate` covers: lines one pixel wide sit on
    /// pixel centres, so the PNG shows them crisp rather than smeared over two pixels.
    static func crisp(_ coordinate: Double) -> Double { coordinate.rounded(.down) + 0.5 }

    /// Light grid lines at the ticks, drawn before the data; `vertical: false` for bar charts, where
    /// vertical lines would cut through the bars.
    func drawGrid(on drawing: Drawing, style: PlotStyle, vertical: Bool = true) {
        guard style.showGrid else { return }
        var lines: [(Point, Point)] = []
        if vertical {
            for tick in xTicks {
                let px = Self.crisp(pixelX(tick.value))
                guard px > Double(plotArea.x) + 1, px < Double(plotArea.maxX) - 1 else { continue }
                lines.append((Point(px, Double(plotArea.y)), Point(px, Double(plotArea.maxY))))
            }
        }
        for tick in yTicks {
            let py = Self.crisp(pixelY(tick.value))
            guard py > Double(plotArea.y) + 1, py < Double(plotArea.maxY) - 1 else { continue }
            lines.append((Point(Double(plotArea.x), py), Point(Double(plotArea.maxX), py)))
        }
        drawing.strokeSegments(lines, color: style.grid, width: 1)
    }

    /// The frame (one pixel outside the plot area, so data never hides it), ticks, labels and title.
    func drawFrame(on drawing: Drawing, style: PlotStyle, title: String?, xLabel: String?, yLabel: String?) {
        let area = plotArea
        let (left, top) = (Double(area.x) - 0.5, Double(area.y) - 0.5)
        let (right, bottom) = (Double(area.maxX) + 0.5, Double(area.maxY) + 0.5)
        drawing.strokePolyline(
            [Point(left, top), Point(right, top), Point(right, bottom), Point(left, bottom), Point(left, top)],
            color: style.axis, width: 1)
        var ticks: [(Point, Point)] = []
        let lineHeight = style.measure("").height
        let labelTop = Double(area.maxY) + 1 + Self.tickLength + Self.gap
        for tick in xTicks {
            let px = Self.crisp(pixelX(tick.value))
            ticks.append((Point(px, Double(area.maxY) + 1), Point(px, Double(area.maxY) + 1 + Self.tickLength)))
            drawing.text(
                tick.label, at: Point(px, labelTop), size: style.fontSize, color: style.text, alignment: .center,
                baseline: .top)
        }
        for tick in yTicks {
            let py = Self.crisp(pixelY(tick.value))
            ticks.append((Point(Double(area.x) - 1 - Self.tickLength, py), Point(Double(area.x) - 1, py)))
            drawing.text(
                tick.label, at: Point(Double(area.x) - 1 - Self.tickLength - Self.gap, py), size: style.fontSize,
                color: style.text, alignment: .trailing, baseline: .middle)
        }
        drawing.strokeSegments(ticks, color: style.axis, width: 1)
        let centerX = Double(area.x) + Double(area.width) / 2
        if let xLabel {
            drawing.text(
                xLabel, at: Point(centerX, labelTop + lineHeight + Self.gap), size: style.fontSize, color: style.text,
                alignment: .center, baseline: .top)
        }
        if let yLabel {
            drawing.text(
                yLabel, at: Point(10, Double(area.y) + Double(area.height) / 2), size: style.fontSize,
                color: style.text, alignment: .center, baseline: .top, direction: .upward)
        }
        if let title {
            drawing.text(
                title, at: Point(centerX, 10), size: style.titleFontSize, color: style.text, alignment: .center,
                baseline: .top)
        }
    }

    /// A legend box in the plot area's top-right corner.
    func drawLegend(on drawing: Drawing, style: PlotStyle, entries: [(name: String, color: RGBA, mark: LegendMark)]) {
        guard !entries.isEmpty else { return }
        let lineHeight = style.measure("").height + 6
        let textWidth = entries.map { style.measure($0.name).width }.max() ?? 0
        let width = Int((textWidth + 48).rounded(.up))
        let height = Int((Double(entries.count) * lineHeight + 8).rounded(.up))
        let box = PixelRect(x: plotArea.maxX - width - 8, y: plotArea.y + 8, width: width, height: height)
        drawing.fill(box, color: style.background.withAlpha(230))
        let (left, top) = (Double(box.x) + 0.5, Double(box.y) + 0.5)
        let (right, bottom) = (Double(box.maxX) - 0.5, Double(box.maxY) - 0.5)
        drawing.strokePolyline(
            [Point(left, top), Point(right, top), Point(right, bottom), Point(left, bottom), Point(left, top)],
            color: style.grid.withAlpha(255), width: 1)
        for (index, entry) in entries.enumerated() {
            let middle = Double(box.y) + 4 + (Double(index) + 0.5) * lineHeight
            switch entry.mark {
            case .line:
                let stroke = [Point(Double(box.x + 8), middle), Point(Double(box.x + 32), middle)]
                drawing.strokePolyline(stroke, color: entry.color, width: style.lineWidth)
            case .box:
                drawing.fill(PixelRect(x: box.x + 10, y: Int(middle) - 6, width: 20, height: 12), color: entry.color)
            case .marker:
                drawing.fillCircle(center: Point(Double(box.x + 20), middle), radius: 4, color: entry.color)
            }
            drawing.text(
                entry.name, at: Point(Double(box.x + 40), middle), size: style.fontSize, color: style.text,
                baseline: .middle)
        }
    }
}

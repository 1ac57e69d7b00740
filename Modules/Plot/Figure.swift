import Foundation

/// Sizes and colours shared by all figures.
public struct PlotStyle: Sendable {
    public var width = 800
    public var height = 560
    public var background = RGBA.white
    /// The frame around the plot area and the tick marks.
    public var axis = RGBA(hex: 0x222222)
    public var grid = RGBA(hex: 0xE5E5E5)
    public var text = RGBA(hex: 0x222222)
    /// Font scale of tick labels, axis labels and legends (the font is 5×7 pixels at scale 1).
    public var textScale = 2
    public var titleScale = 2
    public var lineWidth = 2.0
    public var showGrid = true

    public init() {}
}

/// A figure renders to a canvas and knows its data as CSV.
public protocol Figure: Sendable {
    func render() throws -> Canvas
    /// The plotted data, so a reader can re-plot or check numbers without decoding pixels.
    func csv() throws -> String
}

extension Figure {
    /// Writes the PNG at `path` and the data beside it with the extension `.csv` (`x.png` → `x.csv`).
    public func save(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try PNGWriter.write(try render(), to: path)
        let csvPath = url.deletingPathExtension().appendingPathExtension("csv").path
        do {
            try csv().write(toFile: csvPath, atomically: true, encoding: .utf8)
        } catch {
            throw PlotError.writeFailed(path: csvPath, reason: "\(error)")
        }
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
        let lineHeight = BitmapFont.glyphHeight * style.textScale
        let yTicks = y.ticks(target: 6).map { ($0, y.label($0, ticks: y.ticks(target: 6))) }
        let yLabelWidth = yTicks.map { Canvas.textSize($0.1, scale: style.textScale).width }.max() ?? 0
        let left = 10 + (yLabel == nil ? 0 : lineHeight + 12) + yLabelWidth + 10
        let top = title == nil ? 16 : BitmapFont.glyphHeight * style.titleScale + 24
        let bottom = 10 + lineHeight + 12 + (xLabel == nil ? 0 : lineHeight + 10)
        // Room for half of the last x tick label, which is centred on the right edge.
        let lastXLabel = xTickLabels?.last?.1 ?? x.ticks(target: 6).last.map { x.label($0, ticks: x.ticks(target: 6)) } ?? ""
        let rightMargin = max(rightMargin, Canvas.textSize(lastXLabel, scale: style.textScale).width / 2 + 8)
        let area = PixelRect(
            x: left, y: top, width: max(10, style.width - left - rightMargin), height: max(10, style.height - top - bottom))
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
                let widest = chosen.map { Canvas.textSize($0.label, scale: style.textScale).width }.max() ?? 0
                if (widest + 16) * chosen.count < area.width { break }
            }
            self.xTicks = chosen
        }
    }

    /// Light grid lines at the ticks, drawn before the data.
    func drawGrid(on canvas: inout Canvas, style: PlotStyle) {
        guard style.showGrid else { return }
        for tick in xTicks {
            let px = Int(pixelX(tick.value).rounded(.down))
            guard px > plotArea.x, px < plotArea.maxX - 1 else { continue }
            canvas.fill(PixelRect(x: px, y: plotArea.y, width: 1, height: plotArea.height), color: style.grid)
        }
        for tick in yTicks {
            let py = Int(pixelY(tick.value).rounded(.down))
            guard py > plotArea.y, py < plotArea.maxY - 1 else { continue }
            canvas.fill(PixelRect(x: plotArea.x, y: py, width: plotArea.width, height: 1), color: style.grid)
        }
    }

    /// The frame (one pixel outside the plot area, so data never hides it), ticks, labels and title.
    func drawFrame(on canvas: inout Canvas, style: PlotStyle, title: String?, xLabel: String?, yLabel: String?) {
        let area = plotArea
        let scale = style.textScale
        canvas.clip = canvas.bounds
        canvas.fill(PixelRect(x: area.x - 1, y: area.y - 1, width: area.width + 2, height: 1), color: style.axis)
        canvas.fill(PixelRect(x: area.x - 1, y: area.maxY, width: area.width + 2, height: 1), color: style.axis)
        canvas.fill(PixelRect(x: area.x - 1, y: area.y - 1, width: 1, height: area.height + 2), color: style.axis)
        canvas.fill(PixelRect(x: area.maxX, y: area.y - 1, width: 1, height: area.height + 2), color: style.axis)

        for tick in xTicks {
            let px = Int(pixelX(tick.value).rounded(.down))
            canvas.fill(PixelRect(x: px, y: area.maxY + 1, width: 1, height: 5), color: style.axis)
            let size = Canvas.textSize(tick.label, scale: scale)
            canvas.drawText(tick.label, x: px - size.width / 2, y: area.maxY + 10, color: style.text, scale: scale)
        }
        for tick in yTicks {
            let py = Int(pixelY(tick.value).rounded(.down))
            canvas.fill(PixelRect(x: area.x - 6, y: py, width: 5, height: 1), color: style.axis)
            let size = Canvas.textSize(tick.label, scale: scale)
            canvas.drawText(tick.label, x: area.x - 10 - size.width, y: py - size.height / 2, color: style.text, scale: scale)
        }
        if let xLabel {
            let size = Canvas.textSize(xLabel, scale: scale)
            canvas.drawText(
                xLabel, x: area.x + (area.width - size.width) / 2, y: area.maxY + 10 + size.height + 12, color: style.text,
                scale: scale)
        }
        if let yLabel {
            let size = Canvas.textSize(yLabel, scale: scale)
            canvas.drawText(
                yLabel, x: 10, y: area.y + (area.height - size.width) / 2, color: style.text, scale: scale, direction: .upward)
        }
        if let title {
            let size = Canvas.textSize(title, scale: style.titleScale)
            canvas.drawText(
                title, x: area.x + (area.width - size.width) / 2, y: 12, color: style.text, scale: style.titleScale)
        }
    }

    /// A legend box in the plot area's top-right corner.
    func drawLegend(on canvas: inout Canvas, style: PlotStyle, entries: [(name: String, color: RGBA, mark: LegendMark)]) {
        guard !entries.isEmpty else { return }
        let scale = style.textScale
        let lineHeight = BitmapFont.glyphHeight * scale + 8
        let textWidth = entries.map { Canvas.textSize($0.name, scale: scale).width }.max() ?? 0
        let box = PixelRect(
            x: plotArea.maxX - textWidth - 50, y: plotArea.y + 8, width: textWidth + 42, height: entries.count * lineHeight + 8)
        canvas.clip = canvas.bounds
        canvas.fill(box, color: style.background.withAlpha(230))
        canvas.strokeSegments(
            [
                (Point(Double(box.x) + 0.5, Double(box.y) + 0.5), Point(Double(box.maxX) - 0.5, Double(box.y) + 0.5)),
                (Point(Double(box.maxX) - 0.5, Double(box.y) + 0.5), Point(Double(box.maxX) - 0.5, Double(box.maxY) - 0.5)),
                (Point(Double(box.maxX) - 0.5, Double(box.maxY) - 0.5), Point(Double(box.x) + 0.5, Double(box.maxY) - 0.5)),
                (Point(Double(box.x) + 0.5, Double(box.maxY) - 0.5), Point(Double(box.x) + 0.5, Double(box.y) + 0.5)),
            ], color: style.grid.withAlpha(255), width: 1)
        for (index, entry) in entries.enumerated() {
            let top = box.y + 6 + index * lineHeight
            let middle = Double(top) + Double(BitmapFont.glyphHeight * scale) / 2
            switch entry.mark {
            case .line:
                canvas.strokePolyline(
                    [Point(Double(box.x + 8), middle), Point(Double(box.x + 30), middle)], color: entry.color, width: style.lineWidth)
            case .box:
                canvas.fill(PixelRect(x: box.x + 10, y: Int(middle) - 6, width: 18, height: 12), color: entry.color)
            case .marker:
                canvas.fillCircle(center: Point(Double(box.x + 19), middle), radius: 4, color: entry.color)
            }
            canvas.drawText(entry.name, x: box.x + 36, y: top, color: style.text, scale: scale)
        }
    }
}

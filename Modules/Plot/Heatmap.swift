import Foundation

/// A grid of values as coloured cells (viridis), with a colorbar and optional contour lines: loss
/// landscapes, confusion matrices, parameter sweeps. Row 0 is the bottom row, so the picture has
/// the orientation of the y axis; NaN cells are grey.
public struct Heatmap: Figure {
    /// `values[row][column]`; every row has the same length.
    public var values: [[Double]]
    /// The x coordinates of the grid's left and right edges.
    public var xRange: ClosedRange<Double>
    /// The y coordinates of the grid's bottom and top edges.
    public var yRange: ClosedRange<Double>
    /// The values mapped to the ends of the colormap; nil takes the data's finite minimum and maximum.
    public var valueRange: ClosedRange<Double>?
    /// Values at which to draw contour lines (marching squares over the cell centres).
    public var contourLevels: [Double] = []
    public var contourColor = RGBA.white
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var colorbarLabel: String?
    public var style = PlotStyle()

    static let missing = RGBA(hex: 0xBBBBBB)
    static let colorbarWidth = 18

    public init(
        values: [[Double]], xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
        title: String? = nil,
        xLabel: String? = nil, yLabel: String? = nil, contourLevels: [Double] = []
    ) {
        self.values = values
        self.xRange = xRange ?? 0...Double(values.first?.count ?? 1)
        self.yRange = yRange ?? 0...Double(values.count)
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.contourLevels = contourLevels
    }

    var rows: Int { values.count }
    var columns: Int { values.first?.count ?? 0 }

    /// The value range the colormap spans.
    public func colorDomain() throws -> ClosedRange<Double> {
        if let valueRange { return valueRange }
        let finite = values.joined().filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else {
            throw PlotError.empty("a heatmap without finite values")
        }
        return low == high ? (low - 1)...(high + 1) : low...high
    }

    /// The colour of a cell holding `value`.
    public func color(for value: Double) throws -> RGBA {
        guard value.isFinite else { return Self.missing }
        let domain = try colorDomain()
        return Colormap.viridis((value - domain.lowerBound) / (domain.upperBound - domain.lowerBound))
    }

    public func axes() throws -> Axes {
        guard rows > 0, columns > 0 else { throw PlotError.empty("a heatmap without cells") }
        for (index, row) in values.enumerated() where row.count != columns {
            throw PlotError.lengthMismatch(field: "values[\(index)]", expected: columns, got: row.count)
        }
        let domain = try colorDomain()
        let colorbarScale = AxisScale(lower: domain.lowerBound, upper: domain.upperBound)
        let labelWidth =
            colorbarScale.ticks().map {
                style.measure(colorbarScale.label($0, ticks: colorbarScale.ticks())).width
            }.max() ?? 0
        let labelHeight = colorbarLabel == nil ? 0 : style.measure("").height + Axes.gap
        let colorbarSpace = Double(20 + Self.colorbarWidth) + Axes.tickLength + Axes.gap + labelWidth + labelHeight + 12
        return Axes(
            style: style, x: AxisScale(lower: xRange.lowerBound, upper: xRange.upperBound),
            y: AxisScale(lower: yRange.lowerBound, upper: yRange.upperBound), title: title, xLabel: xLabel,
            yLabel: yLabel,
            rightMargin: Int(colorbarSpace.rounded(.up)))
    }

    /// The pixel at the centre of cell (row, column).
    public func cellCenter(row: Int, column: Int, axes: Axes) -> Point {
        let x = xRange.lowerBound + (Double(column) + 0.5) / Double(columns) * (xRange.upperBound - xRange.lowerBound)
        let y = yRange.lowerBound + (Double(row) + 0.5) / Double(rows) * (yRange.upperBound - yRange.lowerBound)
        return Point(axes.pixelX(x), axes.pixelY(y))
    }

    public func draw(on drawing: Drawing) throws {
        let axes = try axes()
        // Cells top row first, as the picture shows them: row 0 is at the bottom.
        drawing.fillCells(try values.reversed().map { try $0.map(color(for:)) }, in: axes.plotArea)
        drawing.clipped(to: axes.plotArea) {
            for level in contourLevels {
                let segments = MarchingSquares.segments(values, level: level).map { segment in
                    (pixel(segment.0, axes: axes), pixel(segment.1, axes: axes))
                }
                drawing.strokeSegments(segments, color: contourColor, width: 1.5)
            }
        }
        axes.drawFrame(on: drawing, style: style, title: title, xLabel: xLabel, yLabel: yLabel)
        try drawColorbar(on: drawing, axes: axes)
    }

    /// A point in (column, row) cell-centre coordinates, as pixels.
    private func pixel(_ point: Point, axes: Axes) -> Point {
        let x = xRange.lowerBound + (point.x + 0.5) / Double(columns) * (xRange.upperBound - xRange.lowerBound)
        let y = yRange.lowerBound + (point.y + 0.5) / Double(rows) * (yRange.upperBound - yRange.lowerBound)
        return Point(axes.pixelX(x), axes.pixelY(y))
    }

    private func drawColorbar(on drawing: Drawing, axes: Axes) throws {
        let area = axes.plotArea
        let domain = try colorDomain()
        let bar = PixelRect(x: area.maxX + 20, y: area.y, width: Self.colorbarWidth, height: area.height)
        drawing.fillVerticalGradient(Colormap.viridisAnchors, in: bar)
        let (left, top) = (Double(bar.x) - 0.5, Double(bar.y) - 0.5)
        let (right, bottom) = (Double(bar.maxX) + 0.5, Double(bar.maxY) + 0.5)
        drawing.strokePolyline(
            [Point(left, top), Point(right, top), Point(right, bottom), Point(left, bottom), Point(left, top)],
            color: style.axis, width: 1)
        let scale = AxisScale(lower: domain.lowerBound, upper: domain.upperBound)
        let ticks = scale.ticks()
        let labelX = Double(bar.maxX) + 1 + Axes.tickLength + Axes.gap
        var widest = 0.0
        var marks: [(Point, Point)] = []
        for tick in ticks {
            let py = Axes.crisp(Double(bar.maxY) - scale.fraction(tick) * Double(bar.height))
            marks.append((Point(Double(bar.maxX) + 1, py), Point(Double(bar.maxX) + 1 + Axes.tickLength, py)))
            let label = scale.label(tick, ticks: ticks)
            widest = max(widest, style.measure(label).width)
            drawing.text(label, at: Point(labelX, py), size: style.fontSize, color: style.text, baseline: .middle)
        }
        drawing.strokeSegments(marks, color: style.axis, width: 1)
        if let colorbarLabel {
            drawing.text(
                colorbarLabel, at: Point(labelX + widest + Axes.gap, Double(bar.y) + Double(bar.height) / 2),
                size: style.fontSize, color: style.text, alignment: .center, baseline: .top, direction: .upward)
        }
    }

    /// Columns `row,column,x,y,value` with x and y at the cell centre.
    public func csv() throws -> String {
        var csv = CSVBuilder(header: ["row", "column", "x", "y", "value"])
        for (row, cells) in values.enumerated() {
            for (column, value) in cells.enumerated() {
                let x =
                    xRange.lowerBound + (Double(column) + 0.5) / Double(columns)
                    * (xRange.upperBound - xRange.lowerBound)
                let y = yRange.lowerBound + (Double(row) + 0.5) / Double(rows) * (yRange.upperBound - yRange.lowerBound)
                csv.row([
                    String(row), String(column), CSVBuilder.number(x), CSVBuilder.number(y), CSVBuilder.number(value),
                ])
            }
        }
        return csv.text
    }
}

/// Contour lines of a grid by marching squares: each square of four neighbouring samples is cut
/// where the level crosses its edges (linear interpolation). Saddles are resolved by the square's
/// mean, so the lines do not depend on the order squares are visited.
enum MarchingSquares {
    /// Segments in (column, row) sample coordinates.
    static func segments(_ grid: [[Double]], level: Double) -> [(Point, Point)] {
        guard grid.count >= 2, let width = grid.first?.count, width >= 2 else { return [] }
        var result: [(Point, Point)] = []
        for row in 0..<(grid.count - 1) {
            for column in 0..<(width - 1) {
                // Corners counter-clockwise from bottom-left: (c, r), (c+1, r), (c+1, r+1), (c, r+1).
                let corners = [
                    grid[row][column], grid[row][column + 1], grid[row + 1][column + 1], grid[row + 1][column],
                ]
                guard corners.allSatisfy(\.isFinite) else { continue }
                let positions = [
                    Point(Double(column), Double(row)), Point(Double(column + 1), Double(row)),
                    Point(Double(column + 1), Double(row + 1)), Point(Double(column), Double(row + 1)),
                ]
                // The crossing point on edge i (between corner i and corner i+1), when the level crosses it.
                func crossing(_ edge: Int) -> Point? {
                    let (a, b) = (corners[edge], corners[(edge + 1) % 4])
                    guard (a >= level) != (b >= level) else { return nil }
                    let t = (level - a) / (b - a)
                    let (p, q) = (positions[edge], positions[(edge + 1) % 4])
                    return Point(p.x + (q.x - p.x) * t, p.y + (q.y - p.y) * t)
                }
                let points = (0..<4).compactMap(crossing)
                if points.count == 2 {
                    result.append((points[0], points[1]))
                } else if points.count == 4 {
                    // Saddle: the mean decides whether the high corners (0 and 2, or 1 and 3) connect.
                    let centerHigh = corners.reduce(0, +) / 4 >= level
                    let cornerZeroHigh = corners[0] >= level
                    if centerHigh == cornerZeroHigh {
                        result += [(points[0], points[1]), (points[2], points[3])]
                    } else {
                        result += [(points[3], points[0]), (points[1], points[2])]
                    }
                }
            }
        }
        return result
    }
}

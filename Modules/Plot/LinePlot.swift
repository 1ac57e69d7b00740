/// One curve of a line plot, with an optional ±std band around it.
public struct LineSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Half-width of the shaded band at each x (e.g. the std over seeds); nil for no band.
    public var std: [Double]?
    /// Nil takes the next palette colour.
    public var color: RGBA?

    public init(name: String, x: [Double], y: [Double], std: [Double]? = nil, color: RGBA? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.std = std
        self.color = color
    }
}

/// Curves over a shared x axis: training curves, sweeps. Either axis may be logarithmic; points
/// with a non-positive value on a log axis are left out, since they have no place on it.
public struct LinePlot: Figure {
    public var series: [LineSeries]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var xLog = false
    public var yLog = false
    public var style = PlotStyle()

    public init(
        series: [LineSeries], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil, xLog: Bool = false,
        yLog: Bool = false
    ) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xLog = xLog
        self.yLog = yLog
    }

    /// The scales and plot area the figure draws with.
    public func axes() throws -> Axes {
        guard !series.isEmpty else { throw PlotError.empty("a line plot without series") }
        for line in series {
            guard line.y.count == line.x.count else {
                throw PlotError.lengthMismatch(
                    field: "y of series '\(line.name)'", expected: line.x.count, got: line.y.count)
            }
            if let std = line.std, std.count != line.x.count {
                throw PlotError.lengthMismatch(
                    field: "std of series '\(line.name)'", expected: line.x.count, got: std.count)
            }
        }
        let ys = series.flatMap { line in
            line.y.indices.flatMap { i in line.std.map { [line.y[i] - $0[i], line.y[i] + $0[i]] } ?? [line.y[i]] }
        }
        return Axes(
            style: style, x: try AxisScale.covering(series.flatMap(\.x), kind: xLog ? .log : .linear, axis: "x"),
            y: try AxisScale.covering(ys, kind: yLog ? .log : .linear, axis: "y"), title: title, xLabel: xLabel,
            yLabel: yLabel)
    }

    public func draw(on drawing: Drawing) throws {
        let axes = try axes()
        axes.drawGrid(on: drawing, style: style)
        drawing.clipped(to: axes.plotArea) {
            for (index, line) in series.enumerated() {
                let color = line.color ?? RGBA.series(index)
                let order = line.x.indices.filter { i in
                    line.x[i].isFinite && line.y[i].isFinite && (!xLog || line.x[i] > 0) && (!yLog || line.y[i] > 0)
                }.sorted { line.x[$0] < line.x[$1] }
                if let std = line.std {
                    let banded = order.filter { !yLog || line.y[$0] - std[$0] > 0 }
                    let upper = banded.map { Point(axes.pixelX(line.x[$0]), axes.pixelY(line.y[$0] + std[$0])) }
                    let lower = banded.map { Point(axes.pixelX(line.x[$0]), axes.pixelY(line.y[$0] - std[$0])) }
                    drawing.fillPolygon(upper + lower.reversed(), color: color.withAlpha(64))
                }
                let points = order.map { Point(axes.pixelX(line.x[$0]), axes.pixelY(line.y[$0])) }
                drawing.strokePolyline(points, color: color, width: style.lineWidth)
            }
        }
        axes.drawFrame(on: drawing, style: style, title: title, xLabel: xLabel, yLabel: yLabel)
        let named = series.enumerated().filter { !$0.element.name.isEmpty }
        axes.drawLegend(
            on: drawing, style: style,
            entries: named.map {
                (name: $0.element.name, color: $0.element.color ?? RGBA.series($0.offset), mark: .line)
            })
    }

    /// Columns `series,x,y,std`.
    public func csv() throws -> String {
        var csv = CSVBuilder(header: ["series", "x", "y", "std"])
        for line in series {
            for i in line.x.indices {
                csv.row([
                    line.name, CSVBuilder.number(line.x[i]), CSVBuilder.number(line.y[i]),
                    line.std.map { CSVBuilder.number($0[i]) } ?? "",
                ])
            }
        }
        return csv.text
    }
}

/// One group of points of a scatter plot.
public struct ScatterSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var color: RGBA?

    public init(name: String, x: [Double], y: [Double], color: RGBA? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.color = color
    }
}

/// Points as anti-aliased disks, one colour per series.
public struct ScatterPlot: Figure {
    public var series: [ScatterSeries]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var xLog = false
    public var yLog = false
    public var markerRadius = 3.5
    public var style = PlotStyle()

    public init(
        series: [ScatterSeries], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil, xLog: Bool = false,
        yLog: Bool = false
    ) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xLog = xLog
        self.yLog = yLog
    }

    public func axes() throws -> Axes {
        guard !series.isEmpty else { throw PlotError.empty("a scatter plot without series") }
        for group in series where group.y.count != group.x.count {
            throw PlotError.lengthMismatch(
                field: "y of series '\(group.name)'", expected: group.x.count, got: group.y.count)
        }
        return Axes(
            style: style,
            x: try AxisScale.covering(series.flatMap(\.x), kind: xLog ? .log : .linear, padding: 0.05, axis: "x"),
            y: try AxisScale.covering(series.flatMap(\.y), kind: yLog ? .log : .linear, padding: 0.05, axis: "y"),
            title: title,
            xLabel: xLabel, yLabel: yLabel)
    }

    public func draw(on drawing: Drawing) throws {
        let axes = try axes()
        axes.drawGrid(on: drawing, style: style)
        drawing.clipped(to: axes.plotArea) {
            for (index, group) in series.enumerated() {
                let color = group.color ?? RGBA.series(index)
                for (x, y) in zip(group.x, group.y)
                where x.isFinite && y.isFinite && (!xLog || x > 0) && (!yLog || y > 0) {
                    let center = Point(axes.pixelX(x), axes.pixelY(y))
                    drawing.fillCircle(center: center, radius: markerRadius, color: color)
                }
            }
        }
        axes.drawFrame(on: drawing, style: style, title: title, xLabel: xLabel, yLabel: yLabel)
        let named = series.enumerated().filter { !$0.element.name.isEmpty }
        axes.drawLegend(
            on: drawing, style: style,
            entries: named.map {
                (name: $0.element.name, color: $0.element.color ?? RGBA.series($0.offset), mark: .marker)
            })
    }

    /// Columns `series,x,y`.
    public func csv() throws -> String {
        var csv = CSVBuilder(header: ["series", "x", "y"])
        for group in series {
            for (x, y) in zip(group.x, group.y) { csv.row([group.name, CSVBuilder.number(x), CSVBuilder.number(y)]) }
        }
        return csv.text
    }
}

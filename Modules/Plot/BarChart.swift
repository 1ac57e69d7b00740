/// One series of a bar chart: a value (and optional error) per category.
public struct BarSeries: Sendable {
    public var name: String
    public var values: [Double]
    /// Half-length of the error bar of each value (e.g. the std over seeds); nil for none.
    public var errors: [Double]?
    public var color: RGBA?

    public init(name: String, values: [Double], errors: [Double]? = nil, color: RGBA? = nil) {
        self.name = name
        self.values = values
        self.errors = errors
        self.color = color
    }
}

/// Grouped bars, one group per category, with error bars. The value axis always includes zero,
/// because a bar's length is its value.
public struct BarChart: Figure {
    public var categories: [String]
    public var series: [BarSeries]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var style = PlotStyle()

    public init(
        categories: [String], series: [BarSeries], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil
    ) {
        self.categories = categories
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The x axis runs from 0 to the number of categories; category `i` is centred at `i + 0.5`.
    public func axes() throws -> Axes {
        guard !categories.isEmpty, !series.isEmpty else {
            throw PlotError.empty("a bar chart without categories or series")
        }
        for bars in series {
            guard bars.values.count == categories.count else {
                throw PlotError.lengthMismatch(
                    field: "values of series '\(bars.name)'", expected: categories.count, got: bars.values.count)
            }
            if let errors = bars.errors, errors.count != categories.count {
                throw PlotError.lengthMismatch(
                    field: "errors of series '\(bars.name)'", expected: categories.count, got: errors.count)
            }
        }
        let ends = series.flatMap { bars in
            bars.values.indices.flatMap { i in
                bars.errors.map { [bars.values[i] - $0[i], bars.values[i] + $0[i]] } ?? [bars.values[i]]
            }
        }
        return Axes(
            style: style, x: AxisScale(lower: 0, upper: Double(categories.count)),
            y: try AxisScale.covering(ends, includeZero: true, axis: "y"), title: title, xLabel: xLabel, yLabel: yLabel,
            xTickLabels: categories.enumerated().map { (Double($0.offset) + 0.5, $0.element) })
    }

    /// The horizontal pixel span of the bar of `series` in `category`.
    public func barSpan(category: Int, series index: Int, axes: Axes) -> ClosedRange<Double> {
        let groupWidth = 0.8 / Double(series.count)
        let left = Double(category) + 0.1 + groupWidth * Double(index)
        return axes.pixelX(left)...axes.pixelX(left + groupWidth)
    }

    public func draw(on drawing: Drawing) throws {
        let axes = try axes()
        axes.drawGrid(on: drawing, style: style, vertical: false)
        let zero = axes.pixelY(0)
        drawing.clipped(to: axes.plotArea) {
            var errorBars: [(Point, Point)] = []
            for (index, bars) in series.enumerated() {
                let color = bars.color ?? RGBA.series(index)
                for category in categories.indices where bars.values[category].isFinite {
                    let span = barSpan(category: category, series: index, axes: axes)
                    let top = axes.pixelY(bars.values[category])
                    // Whole pixels, so bar edges are crisp in the PNG.
                    let (y0, y1) = (Int(min(top, zero).rounded()), Int(max(top, zero).rounded()))
                    let (x0, x1) = (Int(span.lowerBound.rounded()), Int(span.upperBound.rounded()))
                    let rect = PixelRect(x: x0, y: y0, width: max(1, x1 - x0 - 1), height: max(1, y1 - y0))
                    drawing.fill(rect, color: color)
                    if let error = bars.errors?[category], error.isFinite, error > 0 {
                        let center = (span.lowerBound + span.upperBound) / 2
                        let cap = min(8, (span.upperBound - span.lowerBound) / 4)
                        let high = axes.pixelY(bars.values[category] + error)
                        let low = axes.pixelY(bars.values[category] - error)
                        errorBars += [
                            (Point(center, high), Point(center, low)),
                            (Point(center - cap, high), Point(center + cap, high)),
                            (Point(center - cap, low), Point(center + cap, low)),
                        ]
                    }
                }
            }
            drawing.strokeSegments(errorBars, color: style.axis, width: 1.5)
            if axes.y.lower < 0 {
                let py = Axes.crisp(zero)
                let line = (Point(Double(axes.plotArea.x), py), Point(Double(axes.plotArea.maxX), py))
                drawing.strokeSegments([line], color: style.axis, width: 1)
            }
        }
        axes.drawFrame(on: drawing, style: style, title: title, xLabel: xLabel, yLabel: yLabel)
        if series.count > 1 {
            axes.drawLegend(
                on: drawing, style: style,
                entries: series.enumerated().map {
                    (name: $0.element.name, color: $0.element.color ?? RGBA.series($0.offset), mark: .box)
                })
        }
    }

    /// Columns `category,series,value,error`.
    public func csv() throws -> String {
        var csv = CSVBuilder(header: ["category", "series", "value", "error"])
        for bars in series {
            for (index, category) in categories.enumerated() {
                csv.row([
                    category, bars.name, CSVBuilder.number(bars.values[index]),
                    bars.errors.map { CSVBuilder.number($0[index]) } ?? "",
                ])
            }
        }
        return csv.text
    }
}

/// Spike times of a population: one row per neuron, one tick per spike.
public struct RasterPlot: Figure {
    public var times: [Double]
    /// The neuron of each spike, parallel to `times`; neuron 0 is the bottom row.
    public var neurons: [Int]
    /// Rows to show; defaults to one past the highest neuron index.
    public var neuronCount: Int?
    public var color = RGBA.black
    public var title: String?
    public var xLabel: String? = "time"
    public var yLabel: String? = "neuron"
    public var style = PlotStyle()

    public init(times: [Double], neurons: [Int], neuronCount: Int? = nil, title: String? = nil) {
        self.times = times
        self.neurons = neurons
        self.neuronCount = neuronCount
        self.title = title
    }

    var rows: Int { neuronCount ?? ((neurons.max() ?? -1) + 1) }

    public func axes() throws -> Axes {
        guard neurons.count == times.count else {
            throw PlotError.lengthMismatch(field: "neurons", expected: times.count, got: neurons.count)
        }
        guard rows > 0, !times.isEmpty else { throw PlotError.empty("a raster plot without spikes") }
        return Axes(
            style: style, x: try AxisScale.covering(times, axis: "time"),
            y: AxisScale(lower: -0.5, upper: Double(rows) - 0.5), title: title, xLabel: xLabel, yLabel: yLabel)
    }

    public func draw(on drawing: Drawing) throws {
        let axes = try axes()
        axes.drawGrid(on: drawing, style: style)
        let rowHeight = Double(axes.plotArea.height) / Double(rows)
        let tick = max(1, Int((rowHeight * 0.8).rounded()))
        drawing.clipped(to: axes.plotArea) {
            for (time, neuron) in zip(times, neurons) where time.isFinite && neuron >= 0 && neuron < rows {
                let x = Int(axes.pixelX(time).rounded(.down))
                let y = Int((axes.pixelY(Double(neuron)) - Double(tick) / 2).rounded())
                drawing.fill(PixelRect(x: x, y: y, width: rowHeight > 6 ? 2 : 1, height: tick), color: color)
            }
        }
        axes.drawFrame(on: drawing, style: style, title: title, xLabel: xLabel, yLabel: yLabel)
    }

    /// Columns `neuron,time`, one row per spike.
    public func csv() throws -> String {
        var csv = CSVBuilder(header: ["neuron", "time"])
        for (time, neuron) in zip(times, neurons) { csv.row([String(neuron), CSVBuilder.number(time)]) }
        return csv.text
    }
}

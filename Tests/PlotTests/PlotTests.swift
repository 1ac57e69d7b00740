import Foundation
import XCTest

@testable import Plot

final class PlotTests: XCTestCase {
    /// This test's output folder: `PLOT_OUTPUT_DIR` when set (to look at the figures), else a
    /// temporary folder removed after the test.
    private var directory: URL!

    override func setUpWithError() throws {
        if let kept = ProcessInfo.processInfo.environment["PLOT_OUTPUT_DIR"] {
            directory = URL(fileURLWithPath: kept)
        } else {
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("plot-tests-\(UUID().uuidString)")
            addTeardownBlock { try? FileManager.default.removeItem(at: temporary) }
            directory = temporary
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func outputPath(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Saves the figure and decodes the PNG it wrote.
    private func saveAndDecode(_ figure: some Figure, _ name: String) throws -> PNGImage {
        let path = outputPath(name)
        try figure.save(to: path)
        let image = try PNGImage(contentsOf: path)
        XCTAssertEqual(image.width, 800)
        XCTAssertEqual(image.height, 560)
        return image
    }

    private func assertColor(_ actual: RGBA, _ expected: RGBA, tolerance: Int = 0, _ message: String, line: UInt = #line) {
        let close = zip([actual.r, actual.g, actual.b], [expected.r, expected.g, expected.b])
            .allSatisfy { abs(Int($0) - Int($1)) <= tolerance }
        XCTAssertTrue(close, "\(message): got \(actual), expected \(expected)", line: line)
    }

    // MARK: PNG

    func testPNGRoundTripKeepsSizeAndPixels() throws {
        var canvas = Canvas(width: 64, height: 32)
        canvas.fill(PixelRect(x: 10, y: 5, width: 4, height: 3), color: RGBA(200, 30, 40))
        let path = outputPath("roundtrip.png")
        try PNGWriter.write(canvas, to: path)
        let image = try PNGImage(contentsOf: path)
        XCTAssertEqual(image.width, 64)
        XCTAssertEqual(image.height, 32)
        XCTAssertEqual(image[10, 5], RGBA(200, 30, 40, 255))
        XCTAssertEqual(image[13, 7], RGBA(200, 30, 40, 255))
        XCTAssertEqual(image[14, 7], RGBA.white)
        XCTAssertEqual(image[10, 8], RGBA.white)
    }

    func testPNGErrorsNameTheFile() throws {
        let path = outputPath("not-a.png")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNGImage(contentsOf: path)) { error in
            guard case .png(let failing, let message) = error as? PlotError else { return XCTFail("\(error)") }
            XCTAssertEqual(failing, path)
            XCTAssertFalse(message.isEmpty, "libpng's own message is passed on")
        }
        XCTAssertThrowsError(try PNGWriter.write(Canvas(width: 2, height: 2), to: "/nonexistent-dir/x.png"))
    }

    // MARK: Canvas

    func testTextRendersGlyphPixels() {
        var canvas = Canvas(width: 40, height: 20)
        canvas.drawText("E?", x: 2, y: 3, color: .black)
        // "E": full top, middle and bottom rows; only the left column elsewhere.
        for column in 0..<5 { XCTAssertEqual(canvas[2 + column, 3], .black, "top bar of E at column \(column)") }
        XCTAssertEqual(canvas[2, 4], .black)
        XCTAssertEqual(canvas[3, 4], .white)
        for column in 0..<4 { XCTAssertEqual(canvas[2 + column, 6], .black, "middle bar of E") }
        XCTAssertEqual(canvas[6, 6], .white)
        // The gap column between glyphs stays blank.
        XCTAssertTrue((0..<7).allSatisfy { canvas[7, 3 + $0] == .white })

        var scaled = Canvas(width: 20, height: 20)
        scaled.drawText("|", x: 0, y: 0, color: .black, scale: 2)
        XCTAssertEqual(scaled[4, 13], .black, "the bar of | is column 2, two pixels wide at scale 2")
        XCTAssertEqual(scaled[3, 13], .white)
        XCTAssertEqual(Canvas.textSize("ab", scale: 2).width, 22)

        var upward = Canvas(width: 10, height: 10)
        upward.drawText("-", x: 0, y: 0, color: .black, direction: .upward)
        XCTAssertTrue((0..<5).allSatisfy { upward[3, $0] == .black }, "a rotated '-' is a vertical bar at row 3")
        XCTAssertEqual(BitmapFont.glyph("é"), BitmapFont.glyph("?"), "characters the font lacks print as ?")
    }

    func testLinesAreAntiAliased() {
        var canvas = Canvas(width: 20, height: 20)
        canvas.strokePolyline([Point(0, 10.5), Point(20, 10.5)], color: .black, width: 1)
        XCTAssertEqual(canvas[5, 10], .black, "the row the line passes through the middle of is covered")
        XCTAssertEqual(canvas[5, 9], .white)
        XCTAssertEqual(canvas[5, 12], .white)
        var diagonal = Canvas(width: 20, height: 20)
        diagonal.strokePolyline([Point(0, 0), Point(20, 7)], color: .black, width: 1)
        let grays = Set((0..<20).flatMap { x in (0..<20).map { diagonal[x, $0].r } }).filter { $0 != 0 && $0 != 255 }
        XCTAssertFalse(grays.isEmpty, "a sloped line has partially covered (grey) edge pixels")
    }

    func testViridisAnchorsAndMonotoneLightness() {
        XCTAssertEqual(Colormap.viridis(0), RGBA(hex: 0x440154))
        XCTAssertEqual(Colormap.viridis(0.5), RGBA(hex: 0x21908C))
        XCTAssertEqual(Colormap.viridis(1), RGBA(hex: 0xFDE725))
        XCTAssertEqual(Colormap.viridis(2), Colormap.viridis(1), "values past the end clamp")
        let luma = stride(from: 0.0, through: 1, by: 0.01).map { t -> Double in
            let c = Colormap.viridis(t)
            return 0.2126 * Double(c.r) + 0.7152 * Double(c.g) + 0.0722 * Double(c.b)
        }
        XCTAssertTrue(zip(luma, luma.dropFirst()).allSatisfy { $0 <= $1 + 0.5 }, "viridis gets lighter from 0 to 1")
    }

    // MARK: Scales

    func testNiceTicks() throws {
        let scale = try AxisScale.covering([0.13, 0.91], axis: "y")
        XCTAssertEqual(scale.lower, 0, accuracy: 1e-12, "steps of 0.2 cover 0.13…0.91 from 0")
        XCTAssertEqual(scale.upper, 1.0, accuracy: 1e-12)
        let ticks = AxisScale(lower: 0, upper: 1).ticks(target: 6)
        XCTAssertEqual(ticks.count, 6)
        XCTAssertEqual(ticks.map { AxisScale(lower: 0, upper: 1).label($0, ticks: ticks) }, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(AxisScale(lower: -50, upper: 250).ticks(target: 4), [0, 100, 200])
        XCTAssertEqual(AxisScale(lower: -50, upper: 250).ticks(target: 7), [-50, 0, 50, 100, 150, 200, 250])
        XCTAssertEqual(AxisScale(lower: 0, upper: 1).label(2e-5, ticks: []), "2e-5")

        let log = try AxisScale.covering([0.003, 42], kind: .log, axis: "x")
        XCTAssertEqual(log.lower, 0.001, accuracy: 1e-15)
        XCTAssertEqual(log.upper, 100, accuracy: 1e-9)
        XCTAssertEqual(log.ticks().count, 6)
        XCTAssertEqual(log.fraction(0.1), 0.4, accuracy: 1e-12)
        XCTAssertThrowsError(try AxisScale.covering([-1, 0], kind: .log, axis: "x")) { error in
            XCTAssertEqual(error as? PlotError, .noPositiveValues(axis: "x"))
        }
    }

    // MARK: Figures

    func testBarChartDrawsAxisAndBarsAndWritesCSV() throws {
        let chart = BarChart(
            categories: ["LIF", "QIF", "CF"],
            series: [
                BarSeries(name: "ours", values: [83.5, 79.5, 86.1], errors: [0.9, 0.7, 0.4]),
                BarSeries(name: "paper", values: [84.0, 85.1, 86.0]),
            ],
            title: "SHD test accuracy", yLabel: "accuracy (%)")
        let image = try saveAndDecode(chart, "bars.png")
        let axes = try chart.axes()
        let area = axes.plotArea
        assertColor(image[area.x - 1, area.y + area.height / 2], chart.style.axis, "left axis line")
        assertColor(image[area.x + area.width / 2, area.maxY], chart.style.axis, "bottom axis line")
        let span = chart.barSpan(category: 1, series: 1, axes: axes)
        let barX = Int((span.lowerBound + span.upperBound) / 2)
        assertColor(image[barX, Int(axes.pixelY(40))], RGBA.series(1), "second series' QIF bar")
        assertColor(image[barX, Int(axes.pixelY(85.1)) - 4], RGBA.white, "above the bar")

        let csv = try String(contentsOfFile: outputPath("bars.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("category,series,value,error\nLIF,ours,83.5,0.9\n"), csv)
        XCTAssertTrue(csv.contains("QIF,paper,85.1,\n"))
    }

    func testHeatmapCellsColorbarAndContours() throws {
        var map = Heatmap(
            values: (0..<6).map { row in (0..<8).map { column in Double(row * 8 + column) } },
            xRange: -1...1, yRange: -1...1, title: "loss landscape", xLabel: "alpha", yLabel: "beta",
            contourLevels: [20])
        map.values[5][7] = .nan
        map.colorbarLabel = "loss"
        let image = try saveAndDecode(map, "heatmap.png")
        let axes = try map.axes()
        let domain = try map.colorDomain()
        XCTAssertEqual(domain, 0...46)
        let low = map.cellCenter(row: 0, column: 0, axes: axes)
        assertColor(image[Int(low.x), Int(low.y)], Colormap.viridis(0), "bottom-left cell holds the minimum")
        let cell = map.cellCenter(row: 4, column: 2, axes: axes)
        assertColor(image[Int(cell.x), Int(cell.y)], Colormap.viridis(34.0 / 46), "cell (4, 2) = 34")
        let missing = map.cellCenter(row: 5, column: 7, axes: axes)
        assertColor(image[Int(missing.x), Int(missing.y)], Heatmap.missing, "NaN cell")
        assertColor(image[axes.plotArea.maxX + 29, axes.plotArea.y + 1], Colormap.viridis(1), tolerance: 3, "colorbar top")
        assertColor(image[axes.plotArea.maxX + 29, axes.plotArea.maxY - 1], Colormap.viridis(0), tolerance: 3, "colorbar bottom")

        // Cell (r, c) holds 8r + c, so level 20 crosses column 0 halfway between rows 2 (16) and 3 (24).
        let line = MarchingSquares.segments(map.values, level: 20)
        XCTAssertTrue(line.contains { Set([$0.0, $0.1]).contains(Point(0, 2.5)) }, "\(line)")
        let column = map.cellCenter(row: 2, column: 0, axes: axes)
        let between = (column.y + map.cellCenter(row: 3, column: 0, axes: axes).y) / 2
        let brightest = (-1...1).map { image[Int(column.x), Int(between) + $0] }.map { Int($0.r) + Int($0.g) + Int($0.b) }.max()!
        XCTAssertGreaterThan(brightest, 3 * 200, "the white contour line crosses column 0 at row 2.5")
    }

    func testMarchingSquaresSaddleAndEmpty() {
        XCTAssertTrue(MarchingSquares.segments([[0, 0], [0, 0]], level: 1).isEmpty)
        let saddle = MarchingSquares.segments([[1, 0], [0, 1]], level: 0.5)
        XCTAssertEqual(saddle.count, 2, "a saddle cuts two corners off")
    }

    func testLinePlotWithBandsLegendAndLogAxis() throws {
        let epochs = (1...20).map(Double.init)
        var plot = LinePlot(
            series: [
                LineSeries(name: "LIF", x: epochs, y: epochs.map { 2 * exp(-$0 / 6) }, std: epochs.map { 0.3 * exp(-$0 / 6) }),
                LineSeries(name: "QIF", x: epochs, y: epochs.map { 1.5 * exp(-$0 / 4) + 0.01 }),
            ],
            title: "training loss", xLabel: "epoch", yLabel: "loss", yLog: true)
        let image = try saveAndDecode(plot, "lines.png")
        let axes = try plot.axes()
        XCTAssertEqual(axes.y.kind, .log)
        let onCurve = Point(axes.pixelX(10), axes.pixelY(2 * exp(-10.0 / 6)))
        assertColor(image[Int(onCurve.x), Int(onCurve.y)], RGBA.series(0), tolerance: 40, "LIF curve at epoch 10")
        let inBand = image[Int(onCurve.x), Int(axes.pixelY(2 * exp(-10.0 / 6) + 0.2 * exp(-10.0 / 6)))]
        XCTAssertNotEqual(inBand, RGBA.white, "the ±std band is shaded")
        XCTAssertGreaterThan(inBand.r, RGBA.series(0).r, "the band is lighter than its curve")

        plot.series[0].std = [1]
        XCTAssertThrowsError(try plot.render()) { error in
            XCTAssertEqual(error as? PlotError, .lengthMismatch(field: "std of series 'LIF'", expected: 20, got: 1))
        }
        let csv = try String(contentsOfFile: outputPath("lines.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 41, "header and one row per point")
    }

    func testRasterAndScatter() throws {
        let raster = RasterPlot(times: [1, 5, 9, 9.5], neurons: [0, 3, 7, 2], neuronCount: 10, title: "spikes")
        let rasterImage = try saveAndDecode(raster, "raster.png")
        let axes = try raster.axes()
        assertColor(rasterImage[Int(axes.pixelX(5)), Int(axes.pixelY(3))], .black, "spike of neuron 3 at t = 5")
        assertColor(rasterImage[Int(axes.pixelX(5)), Int(axes.pixelY(5))], .white, "no spike of neuron 5")

        let scatter = ScatterPlot(
            series: [ScatterSeries(name: "trials", x: [0.001, 0.01, 0.1], y: [0.5, 0.7, 0.6])],
            title: "lr search", xLabel: "learning rate", yLabel: "val accuracy", xLog: true)
        let scatterImage = try saveAndDecode(scatter, "scatter.png")
        let scatterAxes = try scatter.axes()
        assertColor(
            scatterImage[Int(scatterAxes.pixelX(0.01)), Int(scatterAxes.pixelY(0.7))], RGBA.series(0), "marker centre")
    }
}

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
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(
                "plot-tests-\(UUID().uuidString)")
            addTeardownBlock { try? FileManager.default.removeItem(at: temporary) }
            directory = temporary
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func outputPath(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Saves the figure and decodes the PNG it wrote, which must hold the pixels `render()` returns.
    private func saveAndDecode(_ figure: some Figure, _ name: String) throws -> RGBAImage {
        let path = outputPath(name)
        try figure.save(to: path)
        let image = try RGBAImage(contentsOf: path)
        XCTAssertEqual(image.width, 800)
        XCTAssertEqual(image.height, 560)
        XCTAssertEqual(image.pixels, try figure.render().pixels, "the PNG holds the rendered pixels")
        return image
    }

    /// Draws on a white image of `width`×`height` pixels.
    private func rasterize(
        width: Int, height: Int, family: String = PlotStyle().fontFamily, _ draw: (Drawing) -> Void
    ) throws -> RGBAImage {
        try Drawing.rasterize(width: width, height: height, family: family) { drawing in
            drawing.fill(PixelRect(x: 0, y: 0, width: width, height: height), color: .white)
            draw(drawing)
        }
    }

    /// The rows of `image` inside `columns` holding a pixel darker than mid-grey.
    private func inkedRows(_ image: RGBAImage, columns: Range<Int>) -> [Int] {
        (0..<image.height).filter { y in columns.contains { image[$0, y].r < 128 } }
    }

    private func assertColor(
        _ actual: RGBA, _ expected: RGBA, tolerance: Int = 0, _ message: String, line: UInt = #line
    ) {
        let close = zip([actual.r, actual.g, actual.b], [expected.r, expected.g, expected.b])
            .allSatisfy { abs(Int($0) - Int($1)) <= tolerance }
        XCTAssertTrue(close, "\(message): got \(actual), expected \(expected)", line: line)
    }

    // MARK: PNG

    func testPNGRoundTripKeepsSizeAndPixels() throws {
        var pixels = [UInt8](repeating: 255, count: 64 * 32 * 4)
        for y in 5..<8 {
            for x in 10..<14 {
                let offset = (y * 64 + x) * 4
                pixels.replaceSubrange(offset..<offset + 4, with: [200, 30, 40, 255])
            }
        }
        pixels.replaceSubrange(0..<4, with: [10, 20, 30, 128])
        let path = outputPath("roundtrip.png")
        try PNGWriter.write(RGBAImage(width: 64, height: 32, pixels: pixels), to: path)
        let image = try RGBAImage(contentsOf: path)
        XCTAssertEqual(image.width, 64)
        XCTAssertEqual(image.height, 32)
        XCTAssertEqual(image.pixels, pixels, "8-bit RGBA survives the round trip, translucent pixels included")
        XCTAssertEqual(image[13, 7], RGBA(200, 30, 40, 255))
        XCTAssertEqual(image[14, 7], RGBA.white)
    }

    func testPNGErrorsNameTheFile() throws {
        let path = outputPath("not-a.png")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try RGBAImage(contentsOf: path)) { error in
            guard case .png(let failing, let message) = error as? PlotError else { return XCTFail("\(error)") }
            XCTAssertEqual(failing, path)
            XCTAssertFalse(message.isEmpty, "libpng's own message is passed on")
        }
        let image = RGBAImage(width: 2, height: 2, pixels: [UInt8](repeating: 255, count: 16))
        XCTAssertThrowsError(try PNGWriter.write(image, to: "/nonexistent-dir/x.png"))
        let unwritable = {
            try Drawing.writeSVG(to: "/nonexistent-dir/x.svg", width: 2, height: 2, family: "DejaVu Sans") { _ in }
        }
        XCTAssertThrowsError(try unwritable()) { error in
            guard case .cairo(let failing, let message) = error as? PlotError else { return XCTFail("\(error)") }
            XCTAssertEqual(failing, "/nonexistent-dir/x.svg")
            XCTAssertFalse(message.isEmpty, "Cairo's status text is passed on")
        }
    }

    // MARK: Drawing

    func testTextIsAntiAliasedWithDescendersBelowTheBaseline() throws {
        let style = PlotStyle()
        let metrics = style.measure("gypsy")
        XCTAssertGreaterThan(metrics.width, 30, "five glyphs at 14 px")
        XCTAssertEqual(metrics.height, 14 * 1.164, accuracy: 0.5, "DejaVu Sans is 1.164 em from ascent to descent")
        let baseline = 30
        let image = try rasterize(width: 200, height: 50) { drawing in
            drawing.text("x", at: Point(10, Double(baseline)), size: style.fontSize, color: .black)
            drawing.text("gypsy", at: Point(50, Double(baseline)), size: style.fontSize, color: .black)
        }
        // Anti-aliased glyph edges: many grey levels, not just ink and paper.
        let box = (50..<(50 + Int(metrics.width.rounded(.up)))).flatMap { x in (10..<45).map { image[x, $0].r } }
        XCTAssertGreaterThan(Set(box).count, 8, "grey levels in the label's box: \(Set(box).sorted())")
        // "x" stands on the baseline; g, y and p hang below it (a 5×7 bitmap font put them too high).
        let x = inkedRows(image, columns: 10..<20)
        let descended = inkedRows(image, columns: 50..<90)
        XCTAssertEqual(x.max(), baseline - 1, "x ends on the baseline")
        XCTAssertEqual(x.count, 8, "x-height of DejaVu Sans at 14 px: \(x)")
        XCTAssertGreaterThanOrEqual(descended.max()!, baseline + 2, "descenders reach below the baseline: \(descended)")
        XCTAssertEqual(descended.min(), x.min(), "g, y, p, s have the x-height of x")
    }

    func testTextAnchorsAndRotation() throws {
        let style = PlotStyle()
        let width = style.measure("Hello").width
        let image = try rasterize(width: 200, height: 200) { drawing in
            drawing.text("Hello", at: Point(100, 20), size: 14, color: .black, alignment: .center, baseline: .top)
            drawing.text(
                "Hello", at: Point(20, 150), size: 14, color: .black, alignment: .leading, baseline: .top,
                direction: .upward)
        }
        let top = inkedRows(image, columns: 0..<200).filter { $0 < 50 }
        // DejaVu Sans' capitals are 0.729 em tall.
        let capTop = 20 + style.measure("").ascent - 14 * 0.729
        XCTAssertEqual(Double(top.min()!), capTop, accuracy: 1.5, "cap height below the top anchor")
        let columns = (0..<200).filter { x in (0..<50).contains { image[x, $0].r < 128 } }
        XCTAssertEqual(Double(columns.min()! + columns.max()! + 1) / 2, 100, accuracy: 1.5, "centred on the anchor")
        XCTAssertEqual(Double(columns.max()! + 1 - columns.min()!), width, accuracy: 3)
        // Upward text runs from the anchor towards the top of the image.
        let upward = (50..<200).filter { y in (0..<60).contains { image[$0, y].r < 128 } }
        XCTAssertEqual(upward.max()!, 149, accuracy: 1, "the first letter sits at the anchor")
        XCTAssertEqual(Double(upward.max()! - upward.min()!), width, accuracy: 3)
    }

    func testMissingFontFamilyFallsBack() throws {
        let family = "No Such Typeface 12345"
        XCTAssertGreaterThan(Drawing.measure("fallback", family: family, size: 14).width, 20)
        let image = try rasterize(width: 120, height: 30, family: family) { drawing in
            drawing.text("fallback", at: Point(5, 20), size: 14, color: .black)
        }
        XCTAssertFalse(inkedRows(image, columns: 0..<120).isEmpty, "fontconfig's substitute still draws the text")
    }

    func testLinesAreAntiAliased() throws {
        let straight = try rasterize(width: 20, height: 20) {
            $0.strokePolyline([Point(0, 10.5), Point(20, 10.5)], color: .black, width: 1)
        }
        XCTAssertEqual(straight[5, 10], RGBA.black, "a one-pixel line on a pixel centre covers that row")
        XCTAssertEqual(straight[5, 9], RGBA.white)
        XCTAssertEqual(straight[5, 11], RGBA.white)
        let diagonal = try rasterize(width: 20, height: 20) {
            $0.strokePolyline([Point(0, 0), Point(20, 7)], color: .black, width: 1)
        }
        let grays = Set((0..<20).flatMap { x in (0..<20).map { diagonal[x, $0].r } }).filter { $0 != 0 && $0 != 255 }
        XCTAssertGreaterThan(grays.count, 2, "a sloped line has partially covered (grey) edge pixels")
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
        XCTAssertEqual(
            ticks.map { AxisScale(lower: 0, upper: 1).label($0, ticks: ticks) },
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
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
        assertColor(
            image[axes.plotArea.maxX + 29, axes.plotArea.y + 1], Colormap.viridis(1), tolerance: 3, "colorbar top")
        assertColor(
            image[axes.plotArea.maxX + 29, axes.plotArea.maxY - 1], Colormap.viridis(0), tolerance: 3, "colorbar bottom"
        )

        // Cell (r, c) holds 8r + c, so level 20 crosses column 0 halfway between rows 2 (16) and 3 (24).
        let line = MarchingSquares.segments(map.values, level: 20)
        XCTAssertTrue(line.contains { Set([$0.0, $0.1]).contains(Point(0, 2.5)) }, "\(line)")
        let column = map.cellCenter(row: 2, column: 0, axes: axes)
        let between = (column.y + map.cellCenter(row: 3, column: 0, axes: axes).y) / 2
        let brightest = (-1...1).map { image[Int(column.x), Int(between) + $0] }.map {
            Int($0.r) + Int($0.g) + Int($0.b)
        }.max()!
        XCTAssertGreaterThan(brightest, 3 * 200, "the white contour line crosses column 0 at row 2.5")

        // The SVG embeds the 8×6 cells as one image that viewers must not smooth, under the white contour.
        let svg = try String(contentsOfFile: outputPath("heatmap.svg"), encoding: .utf8)
        let images = matches(#"<image style="image-rendering:optimizeSpeed;image-rendering:pixelated" [^>]*>"#, in: svg)
        XCTAssertEqual(images.count, 1, svg)
        XCTAssertTrue(images.first?[0].contains(#"width="8" height="6""#) ?? false, "\(images)")
        let whiteContour = "stroke-width:1.5;stroke-linecap:butt;stroke-linejoin:round;stroke:rgb(100%,100%,100%)"
        XCTAssertTrue(svg.contains(whiteContour), "the contour is a white path")
        XCTAssertTrue(svg.contains(">loss</text>"), "the colorbar's label")
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
                LineSeries(
                    name: "LIF", x: epochs, y: epochs.map { 2 * exp(-$0 / 6) }, std: epochs.map { 0.3 * exp(-$0 / 6) }),
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

    // MARK: Vector formats

    /// The line plot of `testLinePlotWithBandsLegendAndLogAxis` on a linear axis, small enough to check by hand.
    private var smallLinePlot: LinePlot {
        LinePlot(
            series: [
                LineSeries(name: "LIF", x: [0, 1, 2], y: [1, 3, 2]), LineSeries(name: "QIF", x: [0, 2], y: [0, 4]),
            ],
            title: "training loss", xLabel: "epoch", yLabel: "loss")
    }

    func testSaveWritesPNGSVGPDFAndCSV() throws {
        try smallLinePlot.save(to: outputPath("formats/small.png"))
        for suffix in ["png", "svg", "pdf", "csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: outputPath("formats/small.\(suffix)")), suffix)
        }
    }

    func testSameFigureSameBytes() throws {
        // Cairo counts surfaces and images per process, and would date the PDF: neither may show in the files.
        var map = Heatmap(values: [[1, 2], [3, 4]], title: "twice")
        map.contourLevels = [2.5]
        try map.save(to: outputPath("first/map.png"))
        try map.save(to: outputPath("second/map.png"))
        for suffix in ["png", "svg", "pdf"] {
            let first = try Data(contentsOf: URL(fileURLWithPath: outputPath("first/map.\(suffix)")))
            let second = try Data(contentsOf: URL(fileURLWithPath: outputPath("second/map.\(suffix)")))
            XCTAssertEqual(first, second, suffix)
        }
        let svg = try String(contentsOfFile: outputPath("first/map.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains(#"<g id="surface1">"#) && svg.contains(##"xlink:href="#image1""##), svg)
    }

    func testSVGHasTextElementsAndTheDataPath() throws {
        let plot = smallLinePlot
        try plot.save(to: outputPath("small.png"))
        let svg = try String(contentsOfFile: outputPath("small.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml"), String(svg.prefix(100)))
        XCTAssertTrue(svg.contains(#"width="800px" height="560px" viewBox="0 0 800 560""#), "sized in CSS pixels")
        XCTAssertTrue(svg.contains(#"<g id="surface1">"#))
        XCTAssertFalse(svg.contains("glyph"), "text is text, not glyph outlines")

        // Every label, in drawing order: x ticks, y ticks, axis labels, title, legend.
        let texts = matches(#"<text [^>]*>([^<]*)</text>"#, in: svg).map { $0[1] }
        let axes = try plot.axes()
        let ticks = axes.xTicks.map(\.label) + axes.yTicks.map(\.label)
        XCTAssertEqual(texts, ticks + ["epoch", "loss", "training loss", "LIF", "QIF"])
        let title = try XCTUnwrap(matches(#"<text ([^>]*)>training loss</text>"#, in: svg).first?[1])
        let titleFont = #"font-family="'DejaVu Sans', sans-serif" font-size="16.00" text-anchor="middle""#
        XCTAssertTrue(title.contains(titleFont), title)
        let yLabel = try XCTUnwrap(matches(#"<text ([^>]*)>loss</text>"#, in: svg).first?[1])
        XCTAssertTrue(yLabel.contains("rotate(-90)"), yLabel)

        // The first series is one stroked path through its three points, in the PNG's coordinates.
        let blue = "stroke-width:2;stroke-linecap:butt;stroke-linejoin:round;stroke:rgb(0%,44.705882%,69.803922%)"
        let pattern = #"<path style="fill:none;\#(NSRegularExpression.escapedPattern(for: blue))[^"]*" d="([^"]*)""#
        let paths = matches(pattern, in: svg)
        let data = try XCTUnwrap(paths.first?[1], "the LIF line is a path")
        let numbers = data.split(separator: " ").compactMap { Double($0) }
        let expected = zip([0.0, 1, 2], [1.0, 3, 2]).flatMap { [axes.pixelX($0), axes.pixelY($1)] }
        XCTAssertEqual(numbers.count, expected.count, data)
        for (got, want) in zip(numbers, expected) { XCTAssertEqual(got, want, accuracy: 0.01, data) }
        XCTAssertTrue(data.hasPrefix("M "), data)
    }

    func testPDFHasTheTitleAndAnEmbeddedFont() throws {
        try smallLinePlot.save(to: outputPath("small.png"))
        let pdf = try Data(contentsOf: URL(fileURLWithPath: outputPath("small.pdf")))
        // Page content is compressed; the document's dictionaries are not.
        let text = String(decoding: pdf, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("%PDF-"))
        XCTAssertTrue(text.contains("/Title (training loss)"), "the title is the document's title")
        XCTAssertTrue(text.contains("/MediaBox [ 0 0 600 420 ]"), "800×560 CSS pixels are 600×420 pt")
        let fonts = matches(#"/FontName /[A-Z]{6}\+DejaVuSans"#, in: text)
        XCTAssertFalse(fonts.isEmpty, "text in an embedded subset of DejaVu Sans")
    }

    /// The capture groups of every match of `pattern`, the whole match first.
    private func matches(_ pattern: String, in text: String) -> [[String]] {
        let expression = try! NSRegularExpression(pattern: pattern)
        return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            (0..<match.numberOfRanges).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
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

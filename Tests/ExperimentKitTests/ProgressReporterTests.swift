import Registry
import XCTest

@testable import ExperimentKit

final class ProgressReporterTests: XCTestCase {
    /// A reporter whose clock advances by `tick` seconds per reading.
    private func reporter(_ style: ProgressReporter.Style, tick: Double) -> (ProgressReporter, Transcript) {
        let transcript = Transcript()
        var now = 0.0
        let reporter = ProgressReporter(
            style: style,
            clock: {
                defer { now += tick }
                return now
            }, write: transcript.write)
        return (reporter, transcript)
    }

    private let metrics = [
        MetricPoint(split: "train", name: "loss", value: 0.123456),
        MetricPoint(split: "val", name: "accuracy", value: 0.875),
    ]

    func testLinesStyleWritesOneLinePerEpochWithETA() {
        let (reporter, transcript) = reporter(.lines, tick: 2.5)
        reporter.note("run 3: 2 epochs")
        for epoch in 1...2 {
            reporter.epochStarted(epoch, of: 2)
            reporter.epochFinished(epoch, metrics: metrics)
        }
        XCTAssertEqual(
            transcript.text,
            """
            run 3: 2 epochs
            epoch 1/2  train/loss 0.1235  val/accuracy 0.875  2.5s  ETA 2.5s
            epoch 2/2  train/loss 0.1235  val/accuracy 0.875  2.5s

            """)
    }

    func testLinesStyleIgnoresSteps() throws {
        let (reporter, transcript) = reporter(.lines, tick: 1)
        reporter.epochStarted(1, of: 1)
        reporter.stepCompleted(epoch: 1, step: 1, of: 10, metrics: ["loss": 1])
        XCTAssertEqual(transcript.text, "")
    }

    func testBarRedrawsInPlace() {
        let (reporter, transcript) = reporter(.bar, tick: 1)
        reporter.epochStarted(2, of: 5)
        reporter.stepCompleted(epoch: 2, step: 50, of: 100, metrics: ["loss": 0.5])
        XCTAssertEqual(transcript.text, "\r\u{1B}[2Kepoch 2/5 [############            ] 50/100  loss 0.5  ETA 1.0s")
        reporter.epochFinished(2, metrics: [])
        XCTAssertTrue(transcript.text.hasSuffix("\r\u{1B}[2Kepoch 2/5  2.0s  ETA 6.0s\n"), transcript.text)
    }

    func testQuietWritesNothing() {
        let (reporter, transcript) = reporter(.quiet, tick: 1)
        reporter.note("hello")
        reporter.epochStarted(1, of: 1)
        reporter.stepCompleted(epoch: 1, step: 1, of: 1, metrics: [:])
        reporter.epochFinished(1, metrics: metrics)
        XCTAssertEqual(transcript.text, "")
    }

    func testDurations() {
        XCTAssertEqual(ProgressReporter.format(seconds: 3.21), "3.2s")
        XCTAssertEqual(ProgressReporter.format(seconds: 245), "4m05s")
        XCTAssertEqual(ProgressReporter.format(seconds: 7620), "2h07m")
        XCTAssertEqual(ProgressReporter.format(seconds: .infinity), "?")
    }
}

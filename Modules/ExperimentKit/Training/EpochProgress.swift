import Foundation
import Registry

/// The loop's hand inside an epoch: the experiment reports each finished step here, and this
/// draws progress, keeps the run's heartbeat, and stops the epoch on a non-finite loss or an
/// interrupt by throwing.
public final class EpochProgress {
    /// The epoch being trained, from 1.
    public let epoch: Int
    /// The number of steps in the epoch, when known; the bar and its ETA need it.
    public var expectedSteps: Int?
    /// Steps completed so far.
    public private(set) var step = 0

    private let reporter: ProgressReporter
    private let heartbeat: Heartbeat
    private let interrupt: InterruptFlag

    init(epoch: Int, reporter: ProgressReporter, heartbeat: Heartbeat, interrupt: InterruptFlag) {
        self.epoch = epoch
        self.reporter = reporter
        self.heartbeat = heartbeat
        self.interrupt = interrupt
    }

    /// Records a finished step with its training metrics (e.g. `["loss": 0.41]`, split `train`).
    /// Throws `TrainingError.nonFiniteMetric` naming the epoch and step when a value is NaN or
    /// infinite, and `TrainingError.interrupted` when a stop was requested.
    public func completedStep(_ metrics: [String: Double] = [:]) throws {
        step += 1
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) where !value.isFinite {
            throw TrainingError.nonFiniteMetric(
                MetricPoint(split: "train", name: name, value: value, epoch: epoch, step: step))
        }
        if interrupt.isRaised { throw TrainingError.interrupted(epoch: epoch, step: step) }
        reporter.stepCompleted(epoch: epoch, step: step, of: expectedSteps, metrics: metrics)
        try heartbeat.beatIfDue()
    }
}

/// Tells the registry (and optionally a trial queue) that the run is alive, at most once per
/// interval so a fast step loop does not write to SQLite every step.
final class Heartbeat {
    private let interval: TimeInterval
    private let beat: () throws -> Void
    private var last = Date()

    init(interval: TimeInterval, beat: @escaping () throws -> Void) {
        self.interval = interval
        self.beat = beat
    }

    func beatIfDue() throws {
        let now = Date()
        guard now.timeIntervalSince(last) >= interval else { return }
        try beat()
        last = now
    }
}

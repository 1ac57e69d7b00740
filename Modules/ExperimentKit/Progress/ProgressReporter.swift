import Foundation
import Registry

/// Training progress on standard error: a redrawn bar with ETA and the running loss on a
/// terminal, one plain line per epoch otherwise (CI logs and `tee` stay readable), or nothing.
public final class ProgressReporter {
    public enum Style: Sendable, Equatable {
        /// A bar redrawn in place during each epoch, then the epoch's line.
        case bar
        /// One line per epoch.
        case lines
        /// No output.
        case quiet
    }

    public let style: Style
    private let write: (String) -> Void
    private let clock: () -> Double
    private var totalEpochs = 0
    private var epochStart = 0.0
    private var epochSeconds: [Double] = []
    private var lastDraw = -Double.infinity

    /// - Parameters:
    ///   - clock: seconds on a monotonic clock (injectable so tests get fixed durations).
    ///   - write: where text goes; standard error by default.
    public init(
        style: Style, clock: @escaping () -> Double = ProgressReporter.monotonicSeconds,
        write: @escaping (String) -> Void = ProgressReporter.standardError
    ) {
        self.style = style
        self.clock = clock
        self.write = write
    }

    /// A bar when standard error is a terminal, lines when it is not, nothing when `quiet`.
    public static func forStandardError(quiet: Bool) -> ProgressReporter {
        ProgressReporter(style: quiet ? .quiet : isatty(STDERR_FILENO) != 0 ? .bar : .lines)
    }

    public static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    public static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    /// A message on its own line ("resuming run 4 at epoch 3").
    public func note(_ text: String) {
        guard style != .quiet else { return }
        write((style == .bar ? Self.clearLine : "") + text + "\n")
    }

    func epochStarted(_ epoch: Int, of total: Int) {
        totalEpochs = total
        epochStart = clock()
        lastDraw = -Double.infinity
    }

    /// Redraws the bar at most ten times a second; lines and quiet styles ignore steps.
    func stepCompleted(epoch: Int, step: Int, of steps: Int?, metrics: [String: Double]) {
        guard style == .bar else { return }
        let now = clock()
        guard now - lastDraw >= 0.1 || step == steps else { return }
        lastDraw = now
        var line = "epoch \(epoch)/\(totalEpochs) "
        if let steps, steps > 0 {
            let width = 24
            let filled = min(width, width * step / steps)
            line +=
                "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
                + "] \(step)/\(steps)"
        } else {
            line += "step \(step)"
        }
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) { line += "  \(name) \(Self.format(value))" }
        if let steps, step > 0, step < steps {
            line += "  ETA \(Self.format(seconds: (now - epochStart) / Double(step) * Double(steps - step)))"
        }
        write(Self.clearLine + line)
    }

    /// `epoch 2/10  train/loss 0.4312  val/accuracy 0.912  3.2s  ETA 25.6s`; the ETA is the mean
    /// epoch time of this process times the epochs left.
    func epochFinished(_ epoch: Int, metrics: [MetricPoint]) {
        let seconds = clock() - epochStart
        epochSeconds.append(seconds)
        guard style != .quiet else { return }
        var line = "epoch \(epoch)/\(totalEpochs)"
        for point in metrics { line += "  \(point.split)/\(point.name) \(Self.format(point.value))" }
        line += "  \(Self.format(seconds: seconds))"
        if epoch < totalEpochs {
            let mean = epochSeconds.reduce(0, +) / Double(epochSeconds.count)
            line += "  ETA \(Self.format(seconds: mean * Double(totalEpochs - epoch)))"
        }
        write((style == .bar ? Self.clearLine : "") + line + "\n")
    }

    private static let clearLine = "\r\u{1B}[2K"

    /// Four significant digits: enough to watch a loss move, short enough for one line.
    static func format(_ value: Double) -> String {
        String(format: "%.4g", value)
    }

    /// `3.2s`, `4m05s`, `2h07m`.
    static func format(seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60)
    }
}

import Dispatch
import Foundation

/// Set when the user asks the run to stop (Ctrl-C, or SIGTERM from a scheduler such as Slurm
/// before its time limit); the loop checks it between steps, so the run ends as `interrupted`
/// in the registry with its last checkpoint, instead of dying mid-write.
public final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    /// A flag of its own, raised only by `raise()`.
    public init() {}

    /// The process's flag, raised by SIGINT and SIGTERM. A second signal while it is up ends
    /// the process at once, so a stuck step can still be killed from the keyboard.
    ///
    /// There is one per process because signals are per process, and because the signal
    /// handlers, once installed, stay: Dispatch does not take well to signal sources being
    /// cancelled and re-created.
    public static let signals: InterruptFlag = {
        let flag = InterruptFlag()
        for number in [SIGINT, SIGTERM] {
            // Dispatch delivers the signal on a queue, free of signal-handler restrictions; the
            // default action must be off for that.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if flag.raise() { _exit(128 + number) }
            }
            source.resume()
            sources.append(source)
        }
        return flag
    }()

    /// Keeps the signal sources alive; written once, under the lazy initialisation of `signals`.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// Whether a stop was requested.
    public var isRaised: Bool { lock.withLock { raised } }

    /// Requests a stop; returns whether one was requested already.
    @discardableResult
    public func raise() -> Bool {
        lock.withLock {
            defer { raised = true }
            return raised
        }
    }
}

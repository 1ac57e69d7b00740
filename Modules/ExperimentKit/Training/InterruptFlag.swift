import Foundation

/// Set when the user asks the run to stop (Ctrl-C, or SIGTERM from a scheduler such as Slurm
/// before its time limit); the loop checks it between steps, so the run ends as `interrupted`
/// in the registry with its last checkpoint, instead of dying mid-write.
public final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    /// A flag of its own, raised only by `raise()`.
    public init() { countsSignals = false }

    /// The process's flag, raised by SIGINT and SIGTERM. A second signal while it is up ends
    /// the process at once, so a stuck step can still be killed from the keyboard.
    ///
    /// There is one per process because signals are per process. The handlers are installed
    /// synchronously with `signal(2)` (a signal sent right after this returns is never lost, as it
    /// could be while a Dispatch signal source was still being armed) and only count into a
    /// word, which is async-signal-safe.
    public static let signals: InterruptFlag = {
        // Initialise the counter here: a lazy global's first access is not async-signal-safe.
        receivedSignals.pointee = 0
        for number in [SIGINT, SIGTERM] {
            signal(number) { number in
                receivedSignals.pointee += 1
                if receivedSignals.pointee > 1 { _exit(128 + number) }
            }
        }
        return InterruptFlag(countsSignals: true)
    }()

    /// Whether this flag also reports the process's signals.
    private let countsSignals: Bool

    private init(countsSignals: Bool) { self.countsSignals = countsSignals }

    /// Whether a stop was requested.
    public var isRaised: Bool { lock.withLock { raised } || (countsSignals && receivedSignals.pointee > 0) }

    /// Requests a stop; returns whether one was requested already.
    @discardableResult
    public func raise() -> Bool {
        let already = isRaised
        lock.withLock { raised = true }
        return already
    }
}

/// SIGINT/SIGTERM received so far, written only by the signal handler. A C signal handler
/// cannot capture context, so this is a process-wide word.
nonisolated(unsafe) private let receivedSignals: UnsafeMutablePointer<sig_atomic_t> = {
    let word = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
    word.initialize(to: 0)
    return word
}()

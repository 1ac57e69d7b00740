import Dispatch
import Foundation

/// Splits loops over all cores.
///
/// This runtime owns every thread: OpenBLAS runs single-threaded and large GEMMs are split here,
/// so BLAS worker threads never spin against our own loops on a small machine. Work submitted
/// from inside a parallel region runs inline, so nested kernels (an im2col inside a per-sample
/// loop) never oversubscribe the cores.
public enum Parallel {
    /// Worker count: `SNN_NUM_THREADS` if set, else the number of active cores.
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["SNN_NUM_THREADS"], let n = Int(text), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Below this much work (elements × cost) a loop stays on the calling thread.
    public static let minimumParallelWork = 1 << 15

    /// Whether the calling thread is already one of a parallel loop's workers.
    public static var isInsideParallelRegion: Bool { pthread_getspecific(regionKey) != nil }

    /// Calls `body` on disjoint chunks of `0..<count` that together cover it, in parallel when
    /// `count` (times `costPerItem`) is large enough to pay for the hand-off.
    @inline(__always)
    public static func forChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(threadCount, max(1, count * costPerItem / minimumParallelWork))
        if chunks <= 1 || isInsideParallelRegion {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        forEach(chunks) { c in
            let start = c * size
            let end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spread over the cores; for loops whose items
    /// are large (a sample, a block of rows). The calls must touch disjoint memory.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1, threadCount > 1, !isInsideParallelRegion else {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let body = escapable
            DispatchQueue.concurrentPerform(iterations: count) { i in
                pthread_setspecific(regionKey, UnsafeRawPointer(bitPattern: 1))
                body(i)
                pthread_setspecific(regionKey, nil)
            }
        }
    }
}

/// Thread-local marker of "inside a parallel loop".
private let regionKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

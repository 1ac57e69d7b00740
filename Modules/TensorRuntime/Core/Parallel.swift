import Dispatch
import Foundation

/// Splits loops over all cores.
///
/// Large elementwise and reduction kernels call `Parallel.forChunks`; small ones run inline, so
/// the thread hand-off never dominates. GEMM is threaded by OpenBLAS itself.
public enum Parallel {
    /// Worker count: `SNN_NUM_THREADS` if set, else the number of active cores.
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["SNN_NUM_THREADS"], let n = Int(text), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Below this many elements of work a loop stays on the calling thread.
    public static let minimumParallelWork = 1 << 15

    /// Calls `body` on disjoint chunks of `0..<count` that together cover it, in parallel when
    /// `count` (times `costPerItem`) is large enough to pay for the hand-off.
    @inline(__always)
    public static func forChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(threadCount, max(1, count * costPerItem / minimumParallelWork))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        withoutActuallyEscaping(body) { escapable in
            // The chunks are disjoint, so the workers never touch the same memory.
            nonisolated(unsafe) let body = escapable
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = c * size
                let end = min(count, start + size)
                if start < end { body(start..<end) }
            }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spread over the cores; for loops whose items
    /// are large (a sample, a channel).
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1, threadCount > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let body = escapable
            DispatchQueue.concurrentPerform(iterations: count) { body($0) }
        }
    }
}

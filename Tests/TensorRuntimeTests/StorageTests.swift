#if os(Linux)
    import CMalloc
    import TensorRuntime
    import XCTest

    final class StorageTests: XCTestCase {
        /// A training step frees and reallocates the same large buffers every iteration; the heap
        /// must hand the freed ones back instead of growing (it grew by one buffer per op when
        /// buffers were aligned allocations, see `TensorStorage.block`).
        func testRepeatedLargeOpsReuseFreedBuffers() {
            var rng = SeededRNG(seed: 1)
            let x = Tensor.uniform([1 << 22], low: -1, high: 1, using: &rng)  // 16 MB, kept in the heap
            func chain() { _ = ((x * 1.5 + 0.5).tanh() * x).relu() }
            chain()
            let before = Int(mallinfo2().arena)
            for _ in 0..<10 { chain() }
            let growth = Int(mallinfo2().arena) - before
            XCTAssertLessThanOrEqual(growth, 16 << 20, "the heap grew by \(growth >> 20) MB over 10 repeats of 5 ops")
        }
    }
#endif

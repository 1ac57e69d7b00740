#if os(Linux)
    import CMalloc
#endif

/// The memory behind a tensor: one contiguous, 64-byte aligned buffer of `count` elements.
///
/// This is the CPU backend's storage and the only place that owns raw memory. Tensors share a
/// storage until one of them writes (copy-on-write, see `Tensor.withUnsafeMutableBuffer`).
public final class TensorStorage: @unchecked Sendable {
    /// The first byte of the buffer.
    let base: UnsafeMutableRawPointer
    /// Number of elements.
    public let count: Int
    /// Element type.
    public let dtype: DType

    /// Keeps large freed buffers in the heap (glibc): a training step frees and reallocates the
    /// same tensor sizes every iteration, and letting glibc return each one to the OS and fault
    /// it back in page by page cost about a fifth of a CNN step. Resident memory stays at the
    /// step's peak instead.
    private static let heapKeepsLargeBuffers: Void = {
        #if os(Linux)
            _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
    }()

    /// Allocates uninitialised memory for `count` elements of `dtype`.
    init(uninitializedCount count: Int, dtype: DType) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        _ = Self.heapKeepsLargeBuffers
        self.count = count
        self.dtype = dtype
        base = UnsafeMutableRawPointer.allocate(
            byteCount: max(count * dtype.byteCount, 1), alignment: 64)
    }

    /// Allocates zero-filled memory for `count` elements of `dtype`.
    convenience init(zeroedCount count: Int, dtype: DType) {
        self.init(uninitializedCount: count, dtype: dtype)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.byteCount)
    }

    deinit { base.deallocate() }

    /// A fresh storage with the same contents.
    func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count, dtype: dtype)
        result.base.copyMemory(from: base, byteCount: count * dtype.byteCount)
        return result
    }

    /// Typed view of the buffer; `S` must match `dtype`.
    @inline(__always)
    func pointer<S: TensorScalar>(as _: S.Type) -> UnsafeMutablePointer<S> {
        base.assumingMemoryBound(to: S.self)
    }
}

import Foundation

#if os(Linux)
    import CMalloc
#endif

/// The memory behind a tensor: one contiguous, 64-byte aligned buffer of `count` elements.
///
/// This is the CPU backend's storage and the only place that owns raw memory. Tensors share a
/// storage until one of them writes (copy-on-write, see `Tensor.withUnsafeMutableBuffer`).
public final class TensorStorage: @unchecked Sendable {
    /// The first byte of the buffer: the first 64-byte boundary in `block`.
    let base: UnsafeMutableRawPointer
    /// Number of elements.
    public let count: Int
    /// Element type.
    public let dtype: DType
    /// The block `malloc` returned, 63 bytes longer than the buffer. Not an aligned allocation:
    /// glibc's `posix_memalign` hands back a chunk trimmed to the request, which is smaller than
    /// what the next aligned request of the same size needs, so a freed large buffer was never
    /// reused and every new one grew the heap (a chain of 64 MB elementwise ops reached 1–3.9 GB
    /// and, on fresh pages, ran 12× slower).
    private let block: UnsafeMutableRawPointer

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
        guard let block = malloc(count * dtype.byteCount + 63) else {
            fatalError("TensorStorage: out of memory for \(count) elements of \(dtype)")
        }
        self.block = block
        base = block + Int((0 &- UInt(bitPattern: block)) & 63)
    }

    /// Allocates zero-filled memory for `count` elements of `dtype`.
    convenience init(zeroedCount count: Int, dtype: DType) {
        self.init(uninitializedCount: count, dtype: dtype)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.byteCount)
    }

    deinit { free(block) }

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

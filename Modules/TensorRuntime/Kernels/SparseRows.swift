import CKernels

/// The non-zero entries of each row of a matrix (compressed sparse rows): row r owns entries
/// rowStart[r] ..< rowStart[r + 1], entry e being value[e] in column column[e].
///
/// This is how a layer tells that its input is spikes: it measures, per call, how many inputs
/// are non-zero, and takes the spike-driven kernels (`SparseSpikeLinear`, the spike-driven path
/// of `Tensor.conv2d`) only below a density where they beat the dense ones.
public struct SparseRows<S: TensorScalar> {
    public var rowStart: [Int]
    public var column: [Int32]
    public var value: [S]

    public var rows: Int { rowStart.count - 1 }

    public init(rowStart: [Int], column: [Int32], value: [S]) {
        precondition(
            !rowStart.isEmpty && column.count == value.count && rowStart.last == column.count,
            "SparseRows: \(rowStart.count) row starts ending at \(rowStart.last ?? -1) for \(column.count) columns and \(value.count) values"
        )
        (self.rowStart, self.column, self.value) = (rowStart, column, value)
    }

    /// The rows of `x` [rows, columns], or nil when it has more than `limit` non-zeros (then a
    /// dense product is faster). Counts per row, then fills, both in parallel over rows; Float
    /// runs the C kernels (AVX-512 packs 16 columns at a time).
    public init?(_ x: UnsafeBufferPointer<S>, rows: Int, columns: Int, limit: Int) {
        let base = x.baseAddress!
        var counts = [Int](repeating: 0, count: rows + 1)
        counts.withUnsafeMutableBufferPointer { counts in
            let counts = counts
            Parallel.forChunks(rows, costPerItem: columns) { block in
                if let x = floatPointer(base) {
                    spike_rows_count_f32(
                        Kernels.kernelLevel, x, columns, block.lowerBound, block.upperBound,
                        counts.baseAddress! + 1)
                    return
                }
                for r in block {
                    let row = base + r * columns
                    var n = 0
                    for j in 0..<columns where row[j] != 0 { n &+= 1 }
                    counts[r + 1] = n
                }
            }
        }
        for r in 0..<rows { counts[r + 1] += counts[r] }
        guard counts[rows] <= limit else { return nil }
        rowStart = counts
        column = [Int32](repeating: 0, count: counts[rows])
        value = [S](repeating: 0, count: counts[rows])
        column.withUnsafeMutableBufferPointer { column in
            value.withUnsafeMutableBufferPointer { value in
                let (column, value) = (column, value)
                Parallel.forChunks(rows, costPerItem: columns) { block in
                    if let x = floatPointer(base) {
                        spike_rows_compress_f32(
                            Kernels.kernelLevel, x, columns, counts, block.lowerBound,
                            block.upperBound, column.baseAddress, floatPointer(value.baseAddress))
                        return
                    }
                    for r in block {
                        let row = base + r * columns
                        var e = counts[r]
                        for j in 0..<columns where row[j] != 0 {
                            column[e] = Int32(j)
                            value[e] = row[j]
                            e += 1
                        }
                    }
                }
            }
        }
    }
}

/// The same pointer as Float for the C kernels, or nil when S is not Float (then Swift loops run).
@inline(__always)
func floatPointer<S: TensorScalar>(_ p: UnsafePointer<S>?) -> UnsafePointer<Float>? {
    guard S.self == Float.self else { return nil }
    return p.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) }
}

@inline(__always)
func floatPointer<S: TensorScalar>(_ p: UnsafeMutablePointer<S>?) -> UnsafeMutablePointer<Float>? {
    guard S.self == Float.self else { return nil }
    return p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self) }
}

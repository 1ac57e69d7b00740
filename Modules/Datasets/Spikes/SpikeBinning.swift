import TensorRuntime

/// Turns event lists into dense [T, channels] frames for discrete-time networks.
///
/// Bin `k` holds the spikes with `k·w ≤ t < (k+1)·w`, where `w = maxTime / binCount`; spikes at
/// or after `maxTime` are dropped. The bin is computed as `⌊t · binCount / maxTime⌋` in Double,
/// so a time exactly on a boundary lands in the later bin without float round-off surprises.
public struct SpikeBinning: Sendable, Equatable {
    /// What a cell of the frame holds.
    public enum Mode: Sendable { case counts, binary }

    public let binCount: Int
    public let maxTime: Float
    public let mode: Mode

    public init(binCount: Int, maxTime: Float, mode: Mode = .counts) throws {
        guard binCount > 0, maxTime > 0, maxTime.isFinite else {
            throw DatasetError.invalidArgument(
                "binning needs binCount > 0 and a finite maxTime > 0 (got \(binCount), \(maxTime))")
        }
        self.binCount = binCount
        self.maxTime = maxTime
        self.mode = mode
    }

    /// Bins of width `binWidth` covering `[0, maxTime)`; the last bin is widened by at most one
    /// partial width (`binCount = ⌈maxTime / binWidth⌉`, then `maxTime = binCount · binWidth`).
    public init(binWidth: Float, maxTime: Float, mode: Mode = .counts) throws {
        guard binWidth > 0, binWidth.isFinite else {
            throw DatasetError.invalidArgument("binning needs a finite binWidth > 0 (got \(binWidth))")
        }
        let count = Int((Double(maxTime) / Double(binWidth)).rounded(.up))
        try self.init(binCount: count, maxTime: Float(Double(count) * Double(binWidth)), mode: mode)
    }

    /// The bin of time `t`, or nil when `t` is outside `[0, maxTime)`.
    public func bin(of t: Float) -> Int? {
        guard t >= 0, t < maxTime else { return nil }
        return min(Int(Double(t) * Double(binCount) / Double(maxTime)), binCount - 1)
    }

    /// Adds one sample's events into `frame` (row-major [binCount, rowStride], channel offset
    /// `column`); shared by the single-sample and batch layouts.
    private func accumulate(
        times: ArraySlice<Float>, units: ArraySlice<UInt16>, into frame: UnsafeMutableBufferPointer<Float>,
        rowStride: Int, column: Int
    ) {
        for (t, unit) in zip(times, units) {
            guard let k = bin(of: t) else { continue }
            let cell = k * rowStride + column + Int(unit)
            frame[cell] = mode == .binary ? 1 : frame[cell] + 1
        }
    }

    /// Sample `index` of `dataset` as a [binCount, channels] tensor.
    public func frames(_ dataset: SpikeDataset, sample index: Int) -> Tensor {
        let channels = dataset.channelCount
        var values = [Float](repeating: 0, count: binCount * channels)
        let range = dataset.eventRange(index)
        values.withUnsafeMutableBufferPointer {
            accumulate(
                times: dataset.times[range], units: dataset.units[range], into: $0, rowStride: channels, column: 0)
        }
        return Tensor(shape: [binCount, channels], scalars: values)
    }

    /// Samples `indices` as one [binCount, batch, channels] tensor, the time-major layout of
    /// the multi-step neuron engine.
    public func batch(_ dataset: SpikeDataset, indices: [Int]) -> Tensor {
        let channels = dataset.channelCount
        let rowStride = indices.count * channels
        var values = [Float](repeating: 0, count: binCount * rowStride)
        values.withUnsafeMutableBufferPointer { frame in
            for (position, index) in indices.enumerated() {
                let range = dataset.eventRange(index)
                accumulate(
                    times: dataset.times[range], units: dataset.units[range], into: frame, rowStride: rowStride,
                    column: position * channels)
            }
        }
        return Tensor(shape: [binCount, indices.count, channels], scalars: values)
    }
}

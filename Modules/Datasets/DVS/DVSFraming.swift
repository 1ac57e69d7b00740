import TensorRuntime

/// Integrates a DVS recording into `frameCount` frames of per-pixel event counts, two polarity
/// channels each, optionally down-sampled (CIFAR10-DVS: 128×128 → 48×48).
///
/// Follows SpikingJelly's integration, which most published CIFAR10-DVS results use:
/// - `.eventCount`: `n / frameCount` consecutive events per frame, the remainder in the last;
/// - `.time`: frames of `(t_last − t_first) / frameCount` µs (integer division) from the
///   first event, the last frame also taking everything after its start.
/// Down-sampling maps pixel `x` to `⌊x · size / 128⌋`, so each output pixel sums the counts of
/// the input pixels it covers (no interpolation).
public struct DVSFraming: Sendable, Equatable {
    public enum Split: String, Sendable { case time, eventCount }

    public let frameCount: Int
    public let split: Split
    public let size: Int

    public init(frameCount: Int, split: Split = .eventCount, size: Int = 48) throws {
        guard frameCount > 0, (1...DVSEvents.sensorSize).contains(size) else {
            throw DatasetError.invalidArgument(
                "DVS framing needs frameCount > 0 and size in 1...128 (got \(frameCount), \(size))")
        }
        self.frameCount = frameCount
        self.split = split
        self.size = size
    }

    /// Number of values of one sample's frames: `frameCount · 2 · size · size`.
    public var valuesPerSample: Int { frameCount * 2 * size * size }

    /// Frame index of each event.
    func frameIndices(_ events: DVSEvents) -> [Int] {
        let n = events.count
        guard n > 0 else { return [] }
        switch split {
        case .eventCount:
            let perFrame = n / frameCount
            return (0..<n).map { perFrame == 0 ? frameCount - 1 : min($0 / perFrame, frameCount - 1) }
        case .time:
            let first = events.timestamps.min()!
            let last = events.timestamps.max()!
            let width = (last - first) / Int64(frameCount)
            return events.timestamps.map { t in
                width == 0 ? frameCount - 1 : min(Int((t - first) / width), frameCount - 1)
            }
        }
    }

    /// Adds the frames of `events` into `values` at `offset` ([frameCount, 2, size, size]).
    func accumulate(_ events: DVSEvents, into values: inout [Float], offset: Int = 0) {
        let plane = size * size
        for (i, frame) in frameIndices(events).enumerated() {
            let x = Int(events.x[i]) * size / DVSEvents.sensorSize
            let y = Int(events.y[i]) * size / DVSEvents.sensorSize
            values[offset + (frame * 2 + Int(events.polarity[i])) * plane + y * size + x] += 1
        }
    }

    /// The frames of one recording as a [frameCount, 2, size, size] tensor.
    public func frames(_ events: DVSEvents) -> Tensor {
        var values = [Float](repeating: 0, count: valuesPerSample)
        accumulate(events, into: &values)
        return Tensor(shape: [frameCount, 2, size, size], scalars: values)
    }
}

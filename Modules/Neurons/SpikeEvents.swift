import TensorRuntime

/// The spikes of a batch as a list of events, each one unit spike at (time step, sample,
/// channel): the form spike datasets store (SHD keeps a list of times and units per sample) once
/// the times are binned into steps.
///
/// `SparseSpikeLinear` reads events directly, so a layer call costs in proportion to the number
/// of spikes instead of T·B·channels for scanning a dense frame. Events may come in any order;
/// events at the same place add up (a spike count).
public struct SpikeEvents: Sendable, Equatable {
    public let steps: Int
    public let batch: Int
    public let channels: Int
    /// Time step, sample and channel of each event.
    public let step: [Int32]
    public let sample: [Int32]
    public let channel: [Int32]

    public init(steps: Int, batch: Int, channels: Int, step: [Int32], sample: [Int32], channel: [Int32]) {
        precondition(
            steps >= 0 && batch >= 0 && channels > 0,
            "SpikeEvents: need steps, batch ≥ 0 and channels > 0, got \(steps), \(batch), \(channels)")
        precondition(
            steps * batch <= Int(Int32.max),
            "SpikeEvents: \(steps) steps × \(batch) samples do not fit Int32 row indices")
        precondition(
            step.count == sample.count && step.count == channel.count,
            "SpikeEvents: \(step.count) steps, \(sample.count) samples and \(channel.count) channels for the events")
        for e in step.indices {
            precondition(
                step[e] >= 0 && Int(step[e]) < steps && sample[e] >= 0 && Int(sample[e]) < batch
                    && channel[e] >= 0 && Int(channel[e]) < channels,
                "SpikeEvents: event \(e) at (\(step[e]), \(sample[e]), \(channel[e])) is outside [\(steps), \(batch), \(channels)]"
            )
        }
        (self.steps, self.batch, self.channels) = (steps, batch, channels)
        (self.step, self.sample, self.channel) = (step, sample, channel)
    }

    /// The events of a dense frame [T, B, channels] of spike counts (non-negative integers),
    /// listed sample after sample and by time within a sample, as a dataset stores them.
    public init(_ frame: Tensor) {
        precondition(frame.rank == 3, "SpikeEvents: expected a frame [T, B, channels], got \(frame.shape)")
        let (steps, batch, channels) = (frame.shape[0], frame.shape[1], frame.shape[2])
        let counts = frame.doubles
        var step: [Int32] = []
        var sample: [Int32] = []
        var channel: [Int32] = []
        for b in 0..<batch {
            for t in 0..<steps {
                for c in 0..<channels {
                    let count = counts[(t * batch + b) * channels + c]
                    if count == 0 { continue }
                    precondition(
                        count >= 0 && count == count.rounded(),
                        "SpikeEvents: frame entries must be spike counts, got \(count) at (\(t), \(b), \(c))")
                    for _ in 0..<Int(count) {
                        step.append(Int32(t))
                        sample.append(Int32(b))
                        channel.append(Int32(c))
                    }
                }
            }
        }
        self.init(steps: steps, batch: batch, channels: channels, step: step, sample: sample, channel: channel)
    }

    public var count: Int { step.count }

    /// The events as a dense frame [T, B, channels] of spike counts.
    public func frame(dtype: DType = .float32) -> Tensor {
        var counts = [Double](repeating: 0, count: steps * batch * channels)
        for e in step.indices {
            counts[(Int(step[e]) * batch + Int(sample[e])) * channels + Int(channel[e])] += 1
        }
        return Tensor(shape: [steps, batch, channels], values: counts, dtype: dtype)
    }
}

import Datasets
import EventSim
import Foundation

/// How recorded SHD spikes become the input spike trains of the event-driven network, in
/// simulation time [0, T). The schemes are the ones the paper's group explored (see the notes);
/// their details are ours and documented in `papers/wenig2026-qif-shd/README.md`.
///
/// - `events`: every recorded spike, on its (pooled) channel.
/// - `binned`: channel group c and time bin b form input unit c·bins + b, which spikes once at
///   T·(1 − n/n_max), n the spikes in that cell and n_max the sample's fullest cell: a latency
///   code in which busy cells spike early and empty cells never.
/// - `virtual`: the time-normalised events plus `virtualChannels` clock channels, clock k
///   spiking once at k·T/virtualChannels, which give every hidden neuron a time reference.
///
/// Times are each sample's own span stretched to [0, T) when `normalizeTime` is set, else
/// seconds × T / `recordingSeconds` (spikes after T dropped). `virtual` always normalises.
struct InputEncoding: Sendable {
    let config: SHDDataConfig
    /// Channels after pooling.
    let channels: Int

    init(_ config: SHDDataConfig, channels: Int) throws {
        guard channels >= 1 else { throw SHDError.invalidData("the training file has no input channels") }
        self.config = config
        self.channels = (channels + config.channelPooling - 1) / config.channelPooling
    }

    /// The network's input size.
    var inputCount: Int {
        switch config.encoding {
        case "binned": return channels * config.bins
        case "virtual": return channels + config.virtualChannels
        default: return channels
        }
    }

    /// Whether spike times are stretched per sample.
    var normalizes: Bool { config.normalizeTime || config.encoding == "virtual" }

    func encode(_ dataset: SpikeDataset) throws -> EncodedSpikes {
        var source = config.channelPooling > 1 ? try dataset.poolingChannels(by: config.channelPooling) : dataset
        let duration = config.duration
        let scale: Double
        if normalizes {
            source = try source.normalizingTime(to: Float(duration), trimming: config.trim)
            scale = 1
        } else {
            scale = duration / config.recordingSeconds
        }
        var inputs: [SpikeTrain] = []
        inputs.reserveCapacity(source.count)
        for index in 0..<source.count {
            let range = source.eventRange(index)
            var times: [Double] = []
            var units: [Int32] = []
            for (t, unit) in zip(source.times[range], source.units[range]) {
                let time = Double(t) * scale
                guard time < duration else { break }
                times.append(time)
                units.append(Int32(unit))
            }
            switch config.encoding {
            case "binned": (times, units) = latencyCode(times: times, units: units)
            case "virtual": (times, units) = addingClock(times: times, units: units)
            default: break
            }
            inputs.append(SpikeTrain(times: times, channels: units))
        }
        return EncodedSpikes(
            inputs: inputs, labels: source.labels, frameSource: source,
            frameDuration: Float(normalizes ? duration : config.recordingSeconds))
    }

    private func latencyCode(times: [Double], units: [Int32]) -> ([Double], [Int32]) {
        let bins = config.bins
        let duration = config.duration
        var counts = [Int](repeating: 0, count: channels * bins)
        for (t, unit) in zip(times, units) {
            counts[Int(unit) * bins + min(Int(t / duration * Double(bins)), bins - 1)] += 1
        }
        guard let fullest = counts.max(), fullest > 0 else { return ([], []) }
        let spikes = counts.indices.filter { counts[$0] > 0 }
            .map { (time: duration * (1 - Double(counts[$0]) / Double(fullest)), unit: Int32($0)) }
            .sorted { ($0.time, $0.unit) < ($1.time, $1.unit) }
        return (spikes.map(\.time), spikes.map(\.unit))
    }

    private func addingClock(times: [Double], units: [Int32]) -> ([Double], [Int32]) {
        let count = config.virtualChannels
        let clock = (0..<count).map { (time: config.duration * Double($0) / Double(count), unit: Int32(channels + $0)) }
        let merged = (zip(times, units).map { (time: $0, unit: $1) } + clock).sorted {
            ($0.time, $0.unit) < ($1.time, $1.unit)
        }
        return (merged.map(\.time), merged.map(\.unit))
    }
}

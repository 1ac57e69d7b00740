/// A labelled set of spike trains in the SHD layout, held in memory as flat event arrays.
///
/// SHD has about 8 000 samples of a few thousand spikes each; one `Float` time and one `UInt16`
/// channel per spike keeps the whole training set at a few hundred megabytes, and the
/// compressed-sparse-row layout (`offsets`) makes a sample a pair of slices. Within a sample,
/// events are sorted by time (ties keep file order), which the exact event simulation needs.
public struct SpikeDataset: Sendable {
    /// Where the samples came from (a file name), used in messages.
    public let name: String
    /// Number of input channels; every unit id is below it.
    public let channelCount: Int
    /// Number of classes; every label is below it.
    public let classCount: Int
    /// Class names from `extra/keys`, when the file has them.
    public let classNames: [String]?
    public let labels: [Int]
    /// Speaker ids from `extra/speaker`, when the file has them.
    public let speakers: [Int]?
    /// Spike times of all samples, sample after sample.
    public let times: [Float]
    /// Channel of each spike in `times`.
    public let units: [UInt16]
    /// Sample `i` owns events `offsets[i]..<offsets[i + 1]`.
    public let offsets: [Int]

    init(
        name: String, channelCount: Int, classCount: Int, classNames: [String]?, labels: [Int], speakers: [Int]?,
        times: [Float], units: [UInt16], offsets: [Int]
    ) {
        precondition(offsets.count == labels.count + 1 && times.count == units.count && offsets.last == times.count)
        self.name = name
        self.channelCount = channelCount
        self.classCount = classCount
        self.classNames = classNames
        self.labels = labels
        self.speakers = speakers
        self.times = times
        self.units = units
        self.offsets = offsets
    }

    public var count: Int { labels.count }

    public func eventRange(_ index: Int) -> Range<Int> { offsets[index]..<offsets[index + 1] }

    public func sample(_ index: Int) -> SpikeSample {
        let range = eventRange(index)
        return SpikeSample(times: Array(times[range]), units: Array(units[range]), label: labels[index])
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> SpikeDataset {
        var newTimes: [Float] = []
        var newUnits: [UInt16] = []
        var newOffsets = [0]
        newTimes.reserveCapacity(indices.reduce(0) { $0 + eventRange($1).count })
        newUnits.reserveCapacity(newTimes.capacity)
        for index in indices {
            newTimes.append(contentsOf: times[eventRange(index)])
            newUnits.append(contentsOf: units[eventRange(index)])
            newOffsets.append(newTimes.count)
        }
        return SpikeDataset(
            name: name, channelCount: channelCount, classCount: classCount, classNames: classNames,
            labels: indices.map { labels[$0] }, speakers: speakers.map { s in indices.map { s[$0] } },
            times: newTimes, units: newUnits, offsets: newOffsets)
    }

    /// The same samples with every event rewritten by `transform`, which receives one sample's
    /// time-sorted events and returns the new ones (kept sorted by time).
    func mapSamples(
        channelCount: Int,
        _ transform: (_ times: ArraySlice<Float>, _ units: ArraySlice<UInt16>) -> (times: [Float], units: [UInt16])
    ) -> SpikeDataset {
        var newTimes: [Float] = []
        var newUnits: [UInt16] = []
        var newOffsets = [0]
        newTimes.reserveCapacity(times.count)
        newUnits.reserveCapacity(times.count)
        for index in 0..<count {
            let range = eventRange(index)
            let result = transform(times[range], units[range])
            newTimes.append(contentsOf: result.times)
            newUnits.append(contentsOf: result.units)
            newOffsets.append(newTimes.count)
        }
        return SpikeDataset(
            name: name, channelCount: channelCount, classCount: classCount, classNames: classNames, labels: labels,
            speakers: speakers, times: newTimes, units: newUnits, offsets: newOffsets)
    }
}

/// One sample's events, sorted by time, for the exact event-driven simulation.
public struct SpikeSample: Sendable, Equatable {
    public var times: [Float]
    public var units: [UInt16]
    public var label: Int
}

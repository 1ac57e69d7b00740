extension SpikeDataset {
    /// Rescales each sample's spike times to `[0, duration)`, optionally after dropping the
    /// earliest and latest `trimFraction` of its spikes.
    ///
    /// Samples differ in length and onset; stretching each to the same trial makes the input of
    /// a continuous-time network comparable across samples. With `n` spikes, `⌊trimFraction·n⌋`
    /// are dropped at each end; the remaining first spike maps to 0 and the last to just below
    /// `duration` (`duration.nextDown`), everything in between linearly. A sample whose
    /// remaining spikes are simultaneous maps them all to 0.
    public func normalizingTime(to duration: Float, trimming trimFraction: Double = 0) throws -> SpikeDataset {
        guard duration > 0, duration.isFinite else {
            throw DatasetError.invalidArgument("time normalisation needs a finite duration > 0 (got \(duration))")
        }
        guard trimFraction >= 0, trimFraction < 0.5 else {
            throw DatasetError.invalidArgument("trim fraction must be in [0, 0.5) (got \(trimFraction))")
        }
        let last = duration.nextDown
        return mapSamples(channelCount: channelCount) { times, units in
            let trim = Int((trimFraction * Double(times.count)).rounded(.down))
            let kept = (times.startIndex + trim)..<(times.endIndex - trim)
            guard let first = times[kept].first, let end = times[kept].last else { return ([], []) }
            let span = Double(end) - Double(first)
            let scaled = times[kept].map { t -> Float in
                span > 0 ? min(Float((Double(t) - Double(first)) / span * Double(duration)), last) : 0
            }
            return (scaled, Array(units[kept]))
        }
    }

    /// Merges groups of `factor` neighbouring channels into one (700 → 140 with factor 5):
    /// channel `c` becomes `c / factor`, so binned counts of a group add up.
    public func poolingChannels(by factor: Int) throws -> SpikeDataset {
        guard factor > 0 else {
            throw DatasetError.invalidArgument("channel pooling factor must be > 0 (got \(factor))")
        }
        let pooled = (channelCount + factor - 1) / factor
        return mapSamples(channelCount: pooled) { times, units in
            (Array(times), units.map { UInt16(Int($0) / factor) })
        }
    }

    /// The events of sample `index` before `maxTime`, sorted by time: the input of the exact
    /// event-driven simulation.
    public func events(_ index: Int, before maxTime: Float = .infinity) -> SpikeSample {
        let range = eventRange(index)
        let end = times[range].firstIndex { $0 >= maxTime } ?? range.upperBound
        return SpikeSample(
            times: Array(times[range.lowerBound..<end]), units: Array(units[range.lowerBound..<end]),
            label: labels[index])
    }
}

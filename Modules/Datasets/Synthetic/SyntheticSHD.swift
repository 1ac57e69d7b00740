import Foundation
import TensorRuntime

/// Writes SHD-layout HDF5 files whose classes a small network can learn, for tests and for
/// every experiment's `smoke` preset.
///
/// Class `c` of `K` is a sweep through its own band of channels (`channels / K` wide; upwards
/// for even classes, downwards for odd ones) starting at its own time (`0.1 + 0.5·c/K` of the
/// duration) and lasting 0.3 of it. Each sample adds Gaussian jitter to the sweep's spikes
/// (time and ±1 channel), a per-speaker time shift, and Poisson background spikes spread
/// uniformly over channels and time. Labels cycle through the classes; the speaker advances
/// after each full cycle (sample `i` has speaker `(i / classes) % speakers`), so every speaker
/// says every class, as in SHD, and a split by speaker keeps all classes on both sides. The same
/// seed writes the same file.
public enum SyntheticSHD {
    public struct Options: Sendable {
        /// Trial length in seconds (SHD: about 1 s).
        public var duration: Double = 1.0
        /// Spikes in each sample's sweep.
        public var sweepSpikes: Int = 60
        /// Mean number of background spikes per sample.
        public var noiseSpikes: Double = 20
        /// Standard deviation of the sweep spikes' times, in seconds.
        public var jitter: Double = 0.01
        public var speakers: Int = 4
        public var writer = SpikeFileWriter()

        public init() {}
    }

    public static func write(
        to url: URL, samples: Int, classes: Int = 20, channels: Int = 700, seed: UInt64, options: Options = Options()
    ) throws {
        guard samples > 0, classes > 0, channels >= classes, options.speakers > 0 else {
            throw DatasetError.invalidArgument(
                "synthetic SHD needs samples > 0, classes > 0, channels ≥ classes, speakers > 0 (got \(samples), \(classes), \(channels), \(options.speakers))"
            )
        }
        var rng = SeededRNG(seed: seed)
        var times: [[Double]] = []
        var units: [[Int]] = []
        let band = channels / classes
        let sweepLength = 0.3 * options.duration
        for sample in 0..<samples {
            let label = sample % classes
            let speakerShift =
                (Double(speaker(of: sample, classes: classes, speakers: options.speakers)) - Double(options.speakers)
                    / 2) * 0.01 * options.duration
            let onset = (0.1 + 0.5 * Double(label) / Double(classes)) * options.duration + speakerShift
            var events: [(Double, Int)] = []
            for spike in 0..<options.sweepSpikes {
                let progress = options.sweepSpikes > 1 ? Double(spike) / Double(options.sweepSpikes - 1) : 0.5
                let position = label % 2 == 0 ? progress : 1 - progress
                let centre = label * band + Int((position * Double(band - 1)).rounded())
                let channel = min(max(centre + rng.index(below: 3) - 1, label * band), label * band + band - 1)
                let time = onset + progress * sweepLength + options.jitter * rng.nextNormal()
                events.append((min(max(time, 0), options.duration), channel))
            }
            for _ in 0..<poisson(mean: options.noiseSpikes, rng: &rng) {
                events.append((rng.nextUnit() * options.duration, rng.index(below: channels)))
            }
            events.sort { $0.0 < $1.0 }
            times.append(events.map(\.0))
            units.append(events.map(\.1))
        }
        try options.writer.write(
            to: url, times: times, units: units, labels: (0..<samples).map { $0 % classes },
            speakers: (0..<samples).map { speaker(of: $0, classes: classes, speakers: options.speakers) },
            keys: (0..<classes).map { "class-\($0)" })
    }

    /// Every speaker says every class: the speaker advances after each cycle of labels.
    static func speaker(of sample: Int, classes: Int, speakers: Int) -> Int { (sample / classes) % speakers }

    /// Knuth's method, for means up to 500 at a time: beyond that e^(−mean) underflows and the
    /// product of uniforms stops at about 745 counts, so larger means (SHD's density is
    /// thousands of spikes) are sums of Poisson draws of at most 500 each (exactly Poisson).
    static func poisson(mean: Double, rng: inout SeededRNG) -> Int {
        guard mean > 0 else { return 0 }
        if mean > 500 { return poisson(mean: 500, rng: &rng) + poisson(mean: mean - 500, rng: &rng) }
        let limit = Foundation.exp(-mean)
        var count = 0
        var product = rng.nextUnit()
        while product > limit {
            count += 1
            product *= rng.nextUnit()
        }
        return count
    }
}

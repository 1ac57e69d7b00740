import Foundation
import TensorRuntime

/// Writes a small CIFAR10-DVS-like folder of AEDAT recordings with learnable classes.
///
/// Class `c` is a bar at orientation `π·c/10` sweeping across the whole sensor in one second:
/// ON events on its leading edge, OFF events one pixel behind, plus about 10 % uniformly random
/// events. Every recording has exactly `eventsPerSample` events, in time order.
/// Files are laid out like the unpacked official archives (`<class>/cifar10_<class>_<i>.aedat`).
public enum SyntheticDVS {
    public static func write(
        directory: URL, samplesPerClass: Int, eventsPerSample: Int = 2000, version: AEDATFile.Version = .v31,
        seed: UInt64
    ) throws {
        guard samplesPerClass > 0, eventsPerSample > 0 else {
            throw DatasetError.invalidArgument("synthetic DVS needs samplesPerClass > 0 and eventsPerSample > 0")
        }
        var rng = SeededRNG(seed: seed)
        for (label, name) in CIFAR10DVS.classNames.enumerated() {
            let folder = directory.appendingPathComponent(name, isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for sample in 0..<samplesPerClass {
                let events = recording(label: label, count: eventsPerSample, rng: &rng)
                try AEDATFile.write(
                    events, version: version, to: folder.appendingPathComponent("cifar10_\(name)_\(sample).aedat"))
            }
        }
    }

    static func recording(label: Int, count: Int, rng: inout SeededRNG) -> DVSEvents {
        let sensor = DVSEvents.sensorSize
        let centre = Double(sensor) / 2
        let reach = centre * 2.0.squareRoot()  // half the diagonal: the sweep crosses the whole sensor
        let angle = Double.pi * Double(label) / Double(CIFAR10DVS.classNames.count)
        let (cosine, sine) = (Foundation.cos(angle), Foundation.sin(angle))

        /// A pixel of the bar at distance `along` from the centre, or nil if the tries miss the sensor.
        func barPixel(along: Double, rng: inout SeededRNG) -> (x: Int, y: Int)? {
            for _ in 0..<8 {
                let across = (rng.nextUnit() - 0.5) * 2 * reach
                let x = Int((centre + along * cosine - across * sine).rounded(.down))
                let y = Int((centre + along * sine + across * cosine).rounded(.down))
                if (0..<sensor).contains(x), (0..<sensor).contains(y) { return (x, y) }
            }
            return nil
        }

        var events = DVSEvents()
        for i in 0..<count {
            let time = Int64((Double(i) + rng.nextUnit()) / Double(count) * 1_000_000)
            let polarity = rng.index(below: 2)
            let along = (Double(time) / 1_000_000 - 0.5) * 2 * reach - Double(1 - polarity)
            if rng.nextUnit() >= 0.1, let pixel = barPixel(along: along, rng: &rng) {
                events.append(x: pixel.x, y: pixel.y, polarity: polarity, timestamp: time)
            } else {
                events.append(
                    x: rng.index(below: sensor), y: rng.index(below: sensor), polarity: polarity, timestamp: time)
            }
        }
        return events
    }
}

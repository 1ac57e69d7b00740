import Foundation
import TensorRuntime

/// The CIFAR10-DVS recordings in a folder: one sub-folder per class (`airplane/`, …,
/// `truck/`), each holding that class's `.aedat` files, as the official per-class archives
/// unpack. Events are read from disk batch by batch (the set is several gigabytes).
public struct CIFAR10DVS: Sendable {
    public static let classNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]

    public let files: [URL]
    public let labels: [Int]

    /// Finds the recordings under `directory`, ordered by class and then by file name with
    /// numbers compared numerically (`…_2` before `…_10`), so indices are stable.
    public init(directory: URL) throws {
        var files: [URL] = []
        var labels: [Int] = []
        let manager = FileManager.default
        for (label, name) in Self.classNames.enumerated() {
            let folder = directory.appendingPathComponent(name)
            guard let names = try? manager.contentsOfDirectory(atPath: folder.path) else {
                throw DatasetError.missingContent(
                    path: directory.path,
                    what: "class folder \(name)/ (CIFAR10-DVS has one folder of .aedat files per class)")
            }
            let recordings = names.filter { $0.hasSuffix(".aedat") }.sorted {
                $0.compare($1, options: .numeric) == .orderedAscending
            }
            files += recordings.map { folder.appendingPathComponent($0) }
            labels += Array(repeating: label, count: recordings.count)
        }
        guard !files.isEmpty else {
            throw DatasetError.missingContent(path: directory.path, what: ".aedat recordings in the class folders")
        }
        self.init(files: files, labels: labels)
    }

    init(files: [URL], labels: [Int]) {
        self.files = files
        self.labels = labels
    }

    public var count: Int { files.count }

    /// CIFAR10-DVS has no official test set. Per class, a seeded shuffle of its recordings puts
    /// `round(testFraction · classSize)` into the test set (0.1 gives the usual 9 000 / 1 000).
    public func split(testFraction: Double = 0.1, seed: UInt64) throws -> (train: CIFAR10DVS, test: CIFAR10DVS) {
        guard (0...1).contains(testFraction) else {
            throw DatasetError.invalidArgument("test fraction must be in [0, 1] (got \(testFraction))")
        }
        var rng = SeededRNG(seed: seed)
        var isTest = [Bool](repeating: false, count: count)
        for label in Self.classNames.indices {
            let members = rng.shuffled(labels.indices.filter { labels[$0] == label })
            for index in members.prefix(Int((testFraction * Double(members.count)).rounded())) { isTest[index] = true }
        }
        func pick(_ test: Bool) -> CIFAR10DVS {
            let chosen = isTest.indices.filter { isTest[$0] == test }
            return CIFAR10DVS(files: chosen.map { files[$0] }, labels: chosen.map { labels[$0] })
        }
        return (pick(false), pick(true))
    }

    /// Recordings `indices` as one [frameCount, batch, 2, size, size] tensor (time-major) plus
    /// their labels.
    public func batch(_ indices: [Int], framing: DVSFraming) throws -> (frames: Tensor, labels: [Int]) {
        let perSample = framing.valuesPerSample / framing.frameCount
        var sampleMajor = [Float](repeating: 0, count: framing.valuesPerSample * indices.count)
        for (position, index) in indices.enumerated() {
            let events = try AEDATFile.read(files[index]).events
            framing.accumulate(events, into: &sampleMajor, offset: position * framing.valuesPerSample)
        }
        var timeMajor = [Float](repeating: 0, count: sampleMajor.count)
        for position in indices.indices {
            for frame in 0..<framing.frameCount {
                let source = position * framing.valuesPerSample + frame * perSample
                let target = (frame * indices.count + position) * perSample
                timeMajor[target..<(target + perSample)] = sampleMajor[source..<(source + perSample)]
            }
        }
        return (
            Tensor(shape: [framing.frameCount, indices.count, 2, framing.size, framing.size], scalars: timeMajor),
            indices.map { labels[$0] }
        )
    }
}

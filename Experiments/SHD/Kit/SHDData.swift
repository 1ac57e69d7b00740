import Datasets
import EventSim
import Foundation
import TensorRuntime

/// The three sample sets of a run: training, validation (held out of the training file) and
/// test (the test file, used only for the final report), already encoded as the network's
/// input spike trains.
public struct SHDData: Sendable {
    public var train: EncodedSpikes
    public var validation: EncodedSpikes
    public var test: EncodedSpikes
    /// Input channels after encoding, and classes (from the labels).
    public var inputs: Int
    public var classes: Int
    /// The files the samples came from, for the record.
    public var sources: [String]

    /// Loads (downloading or generating when needed), splits and encodes the data of `config`.
    ///
    /// - Parameters:
    ///   - discrete: the discrete-time network's representation (its `encoding`); nil, or
    ///     encoding `exact`, frames the spikes the exact models' encoding starts from.
    ///   - dataDirectory: the cache for downloads and generated files; nil uses
    ///     `DataDirectory.resolve()` (`$SNN_DATA_DIR`, else `~/.cache/snn-toolkit`).
    public static func load(
        _ config: SHDDataConfig, discrete: DiscreteModelConfig? = nil, seed: Int, dataDirectory: URL?,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> SHDData {
        let directory = dataDirectory ?? DataDirectory.resolve()
        let (trainURL, testURL) = try files(config, directory: directory, log: log)
        let trainFile = try SpikeDataset(contentsOf: trainURL)
        let testFile = try SpikeDataset(
            contentsOf: testURL, channels: trainFile.channelCount, classes: trainFile.classCount)
        let strategy: ValidationSplit =
            config.validationSpeakers > 0 && trainFile.speakers != nil
            ? .speakers(count: config.validationSpeakers) : .random(fraction: config.validationFraction)
        let (train, validation) = try trainFile.split(strategy, seed: UInt64(seed))
        let encoding = try InputEncoding(config, channels: trainFile.channelCount)
        func encode(_ samples: SpikeDataset) throws -> EncodedSpikes {
            var encoded = try encoding.encode(samples)
            if let discrete, discrete.encoding == "recording" {
                encoded.frameSource =
                    discrete.channelPooling > 1
                    ? try samples.poolingChannels(by: discrete.channelPooling) : samples
                encoded.frameDuration = Float(config.recordingSeconds)
            }
            return encoded
        }
        return SHDData(
            train: try encode(Self.capped(train, config.maxTrainSamples, seed: seed)),
            validation: try encode(Self.capped(validation, config.maxValidationSamples, seed: seed)),
            test: try encode(Self.capped(testFile, config.maxTestSamples, seed: seed)),
            inputs: encoding.inputCount, classes: trainFile.classCount, sources: [trainURL.path, testURL.path])
    }

    /// The train and test files of the configured dataset, downloaded, verified or generated
    /// when absent. Call it once before starting worker processes, so they do not all fetch.
    public static func files(_ config: SHDDataConfig, directory: URL, log: @escaping @Sendable (String) -> Void) throws
        -> (URL, URL)
    {
        if let train = config.trainFile, let test = config.testFile {
            return (URL(fileURLWithPath: train), URL(fileURLWithPath: test))
        }
        switch config.dataset {
        case "synthetic":
            let size = config.synthetic
            let folder = directory.appendingPathComponent("synthetic-shd", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let stem = "c\(size.classes)-ch\(size.channels)-noise\(size.noiseSpikes)"
            var options = SyntheticSHD.Options()
            options.noiseSpikes = size.noiseSpikes
            let train = folder.appendingPathComponent("\(stem)-train\(size.trainSamples).h5")
            let test = folder.appendingPathComponent("\(stem)-test\(size.testSamples).h5")
            // Seeds differ between the files so no test sample repeats a training sample. Each
            // process writes its own temporary file and renames it into place (atomic), so
            // processes that start together never read a half-written file.
            for (url, samples, seed) in [(train, size.trainSamples, UInt64(1)), (test, size.testSamples, UInt64(2))]
            where !FileManager.default.fileExists(atPath: url.path) {
                let partial = url.appendingPathExtension("part-\(UUID().uuidString)")
                try SyntheticSHD.write(
                    to: partial, samples: samples, classes: size.classes, channels: size.channels, seed: seed,
                    options: options)
                if rename(partial.path, url.path) != 0 {
                    try? FileManager.default.removeItem(at: partial)
                    throw SHDError.invalidData(
                        "cannot move \(partial.path) to \(url.path): \(String(cString: strerror(errno)))")
                }
                log("wrote synthetic SHD-layout data \(url.path)")
            }
            return (train, test)
        case "shd", "ssc":
            let descriptor = config.dataset == "shd" ? DatasetCatalog.shd : DatasetCatalog.ssc
            let folder = try DatasetFetcher(dataDirectory: directory, log: log).fetch(descriptor)
            return (
                folder.appendingPathComponent("\(config.dataset)_train.h5"),
                folder.appendingPathComponent("\(config.dataset)_test.h5")
            )
        default:
            throw SHDError.invalidData(
                "data.dataset is \(config.dataset), which needs data.trainFile and data.testFile")
        }
    }

    /// A seeded, class-stratified-by-order subset of at most `cap` samples (all when nil).
    static func capped(_ dataset: SpikeDataset, _ cap: Int?, seed: Int) -> SpikeDataset {
        guard let cap, cap < dataset.count else { return dataset }
        var rng = SeededRNG(seed: UInt64(seed) &+ 0x5EED)
        return dataset.subset(rng.shuffled(Array(0..<dataset.count)).prefix(cap).sorted())
    }
}

/// Encoded samples: one input spike train and one label per sample, plus the recording the
/// discrete-time comparison bins into frames (its representation: `DiscreteModelConfig.encoding`).
public struct EncodedSpikes: Sendable {
    public var inputs: [SpikeTrain]
    public var labels: [Int]
    var frameSource: SpikeDataset
    /// The time span of `frameSource` that the frames cover.
    var frameDuration: Float

    public var count: Int { labels.count }

    /// Channels of the frames: the recording's (pooled) channels, whatever the spike encoding.
    public var frameChannels: Int { frameSource.channelCount }

    /// Samples `indices` as [timesteps, batch, channels] frames of spike counts or of 0/1.
    func frames(_ indices: [Int], timesteps: Int, mode: SpikeBinning.Mode) throws -> Tensor {
        try SpikeBinning(binCount: timesteps, maxTime: frameDuration, mode: mode).batch(frameSource, indices: indices)
    }
}

/// Errors of the SHD experiment that are not config errors.
public enum SHDError: Error, CustomStringConvertible, Equatable {
    case invalidData(String)
    case missingRuns(String)

    public var description: String {
        switch self {
        case .invalidData(let text): return "bad data: \(text)"
        case .missingRuns(let text): return text
        }
    }
}

import Datasets
import ExperimentKit
import Foundation
import TensorRuntime

/// Why an image experiment cannot start.
public enum ImageExperimentError: Error, Equatable, CustomStringConvertible {
    /// The dataset is not on disk and could not be fetched; says what to place where.
    case datasetUnavailable(String)
    case invalidModel(String)
    case invalidNeuron(String)

    public var description: String {
        switch self {
        case .datasetUnavailable(let message), .invalidModel(let message), .invalidNeuron(let message): message
        }
    }
}

/// The samples of one split: CIFAR images (fed to the first layer at every step) or
/// CIFAR10-DVS recordings framed into one event frame per step.
public enum ImageSamples: Sendable {
    case images(CIFARDataset, ChannelNormalization)
    case events(CIFAR10DVS, DVSFraming)
    /// Sentences as token ids (`TextData`).
    case sentences(TokenizedSentences)

    public var count: Int {
        switch self {
        case .images(let dataset, _): dataset.count
        case .events(let dataset, _): dataset.count
        case .sentences(let sentences): sentences.count
        }
    }

    /// Input channels: 3 colours, 2 event polarities, or the vocabulary size (token ids).
    public var channels: Int {
        switch self {
        case .images: 3
        case .events: 2
        case .sentences(let sentences): sentences.vocabulary
        }
    }

    /// The side of the square images or frames (32, or the DVS frame size); 0 for sentences.
    public var side: Int {
        switch self {
        case .images: 32
        case .events(_, let framing): framing.size
        case .sentences: 0
        }
    }

    /// Samples `indices` as images [B, 3, 32, 32] or frames [T, B, 2, size, size], augmented with
    /// draws from `rng` when `augmentation` is given (frames: translation by up to `padding`
    /// pixels and horizontal flip, `DVSAugmentation`; no Cutout), or token ids [B, L].
    public func batch(_ indices: [Int], augmentation: CIFARAugmentation?, rng: inout SeededRNG) throws -> (
        inputs: Tensor, labels: [Int]
    ) {
        switch self {
        case .images(let dataset, let normalization):
            let batch = dataset.batch(indices, normalization: normalization, augmentation: augmentation, rng: &rng)
            return (batch.images, batch.labels)
        case .events(let dataset, let framing):
            let batch = try dataset.batch(indices, framing: framing)
            guard let augmentation else { return (batch.frames, batch.labels) }
            return (
                DVSAugmentation.apply(batch.frames, maxShift: augmentation.padding, flip: augmentation.flip, rng: &rng),
                batch.labels
            )
        case .sentences(let sentences):
            return sentences.batch(indices)
        }
    }
}

/// The samples of one run: training, validation and test index lists into the train and test
/// splits.
///
/// The training subset and the validation samples come from one fixed permutation of the training
/// split (seed 0, independent of the run's seed), so every seed and variant sees the same samples:
/// the first `trainSubset` are trained on, the next `validationSubset` are the validation split.
/// CIFAR10-DVS has no official test split; 10 % of each class is held out with seed 0.
public struct ImageData: Sendable {
    public let train: ImageSamples
    public let test: ImageSamples
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    public let testIndices: [Int]
    public let classCount: Int
    /// For the sentence datasets: the tokenizer (saved at `tokenizerFile`) and optional word vectors.
    public private(set) var tokenizer: WordTokenizer?
    public private(set) var tokenizerFile: URL?
    public private(set) var wordVectors: WordVectors?
    /// The image or recording folder the samples came from (empty for the sentence datasets).
    public private(set) var sources: [URL] = []

    /// - Parameter timesteps: the frames per recording, for the event datasets.
    /// - Parameter text: the tokenizer settings, for the sentence datasets.
    public init(
        config: ImageConfig.DataSection, timesteps: Int, dataDirectory: URL?, text: ImageConfig.TextSection? = nil
    ) throws {
        let validationSubset = config.validationSubset
        let root = dataDirectory ?? DataDirectory.resolve()
        let source: String
        if ImageConfig.textDatasets.contains(config.dataset) {
            guard let text else {
                throw ImageExperimentError.datasetUnavailable("\(config.dataset) needs the config's text section")
            }
            let loaded = try TextData.load(config, text: text, root: root)
            train = .sentences(loaded.train)
            test = .sentences(loaded.test)
            trainIndices = loaded.trainIndices
            validationIndices = loaded.validationIndices
            testIndices = Array(0..<loaded.test.count)
            classCount = SST2Dataset.classCount
            tokenizer = loaded.tokenizer
            tokenizerFile = loaded.tokenizerFile
            wordVectors = loaded.wordVectors
            return
        }
        switch config.dataset {
        case "synthetic-cifar10", "cifar10", "cifar100":
            let variant: CIFARDataset.Variant = config.dataset == "cifar100" ? .cifar100 : .cifar10
            let folder =
                config.dataset == "synthetic-cifar10"
                ? try Self.synthetic(
                    in: root, trainCount: max(config.trainSubset, 1000) + validationSubset,
                    testCount: max(config.testSubset, 500))
                : try Self.official(variant, in: root)
            let normalization = ChannelNormalization.standard(for: variant)
            train = .images(try CIFARDataset(directory: folder, variant: variant, split: .train), normalization)
            test = .images(try CIFARDataset(directory: folder, variant: variant, split: .test), normalization)
            classCount = variant.classCount
            source = folder.path
            sources = [folder]
        default:
            let folder =
                config.dataset == "synthetic-cifar10-dvs"
                ? try Self.syntheticDVS(
                    in: root, samplesPerClass: max(40, (config.trainSubset + validationSubset) / 9 + 2))
                : try Self.officialDVS(in: root)
            let framing = try DVSFraming(frameCount: timesteps, size: config.frameSize)
            let (trainRecordings, testRecordings) = try CIFAR10DVS(directory: folder).split(testFraction: 0.1, seed: 0)
            train = .events(trainRecordings, framing)
            test = .events(testRecordings, framing)
            classCount = CIFAR10DVS.classNames.count
            source = folder.path
            sources = [folder]
        }
        // The subsets are the first samples of one fixed shuffle, whatever the run's seed.
        var splitRNG = SeededRNG(seed: 0)
        let permutation = splitRNG.shuffled(Array(0..<train.count))
        let trainCount = config.trainSubset == 0 ? train.count - validationSubset : min(config.trainSubset, train.count)
        guard trainCount > 0, trainCount + validationSubset <= train.count else {
            throw ImageExperimentError.datasetUnavailable(
                "data.trainSubset \(config.trainSubset) + data.validationSubset \(validationSubset) exceed the \(train.count) training samples of \(source)"
            )
        }
        trainIndices = Array(permutation[..<trainCount])
        validationIndices = Array(permutation[trainCount..<(trainCount + validationSubset)])
        testIndices = Array(0..<(config.testSubset == 0 ? test.count : min(config.testSubset, test.count)))
    }

    /// The folder of the official binary files, downloaded (and checked) when missing;
    /// `fetch` replaces the download (tests).
    static func official(
        _ variant: CIFARDataset.Variant, in root: URL, fetch: ((DatasetDescriptor) throws -> Void)? = nil
    ) throws -> URL {
        let descriptor = variant == .cifar10 ? DatasetCatalog.cifar10 : DatasetCatalog.cifar100
        let folder = root.appendingPathComponent(descriptor.folder).appendingPathComponent(variant.folderName)
        if variant.fileNames(.train).allSatisfy({
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }) {
            return folder
        }
        return try fetchMissing(
            descriptor, into: root, expecting: folder, name: variant.rawValue,
            alternative:
                "point --data-dir / DATA_DIR at a folder that holds \(descriptor.folder)/\(variant.folderName)/.",
            fetch: fetch)
    }

    /// Synthetic CIFAR-10 files (learnable stripes and colours, `SyntheticCIFAR`) in
    /// `<root>/synthetic-cifar10-<train>-<test>`, written once.
    static func synthetic(in root: URL, trainCount: Int, testCount: Int) throws -> URL {
        try writeOnce(root.appendingPathComponent("synthetic-cifar10-\(trainCount)-\(testCount)")) { staging in
            try SyntheticCIFAR.write(
                directory: staging, variant: .cifar10, trainCount: trainCount, testCount: testCount, seed: 1)
        }
    }

    /// The CIFAR10-DVS folder (one subfolder per class), downloaded when missing.
    static func officialDVS(in root: URL) throws -> URL {
        let descriptor = DatasetCatalog.cifar10DVS
        let folder = root.appendingPathComponent(descriptor.folder)
        if (try? CIFAR10DVS(directory: folder)) != nil { return folder }
        return try fetchMissing(
            descriptor, into: root, expecting: folder, name: "CIFAR10-DVS",
            alternative: "point --data-dir / DATA_DIR at a folder that holds \(descriptor.folder)/<class>/*.aedat.")
    }

    /// Synthetic CIFAR10-DVS recordings (`SyntheticDVS`) in `<root>/synthetic-cifar10-dvs-<n>`,
    /// written once, like `synthetic(in:trainCount:testCount:)`.
    static func syntheticDVS(in root: URL, samplesPerClass: Int) throws -> URL {
        try writeOnce(root.appendingPathComponent("synthetic-cifar10-dvs-\(samplesPerClass)")) { staging in
            try SyntheticDVS.write(directory: staging, samplesPerClass: samplesPerClass, seed: 1)
        }
    }

    /// Creates `folder` by writing a private staging folder and renaming it into place, so
    /// concurrent runs race safely; does nothing when it exists.
    static func writeOnce(_ folder: URL, write: (URL) throws -> Void) throws -> URL {
        let manager = FileManager.default
        if manager.fileExists(atPath: folder.path) { return folder }
        let parent = folder.deletingLastPathComponent()
        try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".staging-\(UUID().uuidString)")
        try write(staging)
        do {
            try manager.moveItem(at: staging, to: folder)
        } catch {
            try? manager.removeItem(at: staging)
            // Another run won the race (its files are identical); anything else is a real failure.
            if !manager.fileExists(atPath: folder.path) { throw error }
        }
        return folder
    }
}

/// `folder` after downloading (and checking) `descriptor` into `root`, or an error saying where the files were
/// expected and the `alternative` to a download. `fetch` replaces the download (tests).
func fetchMissing(
    _ descriptor: DatasetDescriptor, into root: URL, expecting folder: URL, name: String, alternative: String,
    fetch: ((DatasetDescriptor) throws -> Void)? = nil
) throws -> URL {
    do {
        if let fetch {
            try fetch(descriptor)
        } else {
            try DatasetFetcher(dataDirectory: root, log: { ProgressReporter.standardError($0 + "\n") }).fetch(
                descriptor)
        }
        return folder
    } catch {
        throw ImageExperimentError.datasetUnavailable(
            "\(name) is not in \(folder.path) and could not be fetched: \(error)\nAlternatively \(alternative)")
    }
}

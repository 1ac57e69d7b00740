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

/// The images of one run: training, validation and test index lists into the official
/// train and test files.
///
/// The training subset and the validation images come from one fixed permutation of the training
/// file (seed 0, independent of the run's seed), so every seed and variant sees the same images:
/// the first `trainSubset` are trained on, the next `validationSubset` are the validation split.
public struct ImageData: Sendable {
    public let train: CIFARDataset
    public let test: CIFARDataset
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    public let testIndices: [Int]
    public let normalization: ChannelNormalization

    public var classCount: Int { train.classCount }

    public init(config: ImageConfig.DataSection, dataDirectory: URL?) throws {
        let validationSubset = config.validationSubset
        let root = dataDirectory ?? DataDirectory.resolve()
        let folder: URL
        let variant: CIFARDataset.Variant
        switch config.dataset {
        case "synthetic-cifar10":
            variant = .cifar10
            folder = try Self.synthetic(in: root, trainCount: max(config.trainSubset, 1000) + validationSubset,
                                        testCount: max(config.testSubset, 500))
        default:
            variant = config.dataset == "cifar100" ? .cifar100 : .cifar10
            folder = try Self.official(variant, in: root)
        }
        train = try CIFARDataset(directory: folder, variant: variant, split: .train)
        test = try CIFARDataset(directory: folder, variant: variant, split: .test)
        let permutation = Self.permutation(train.count, seed: 0)
        let trainCount = config.trainSubset == 0 ? train.count - validationSubset : min(config.trainSubset, train.count)
        guard trainCount > 0, trainCount + validationSubset <= train.count else {
            throw ImageExperimentError.datasetUnavailable(
                "data.trainSubset \(config.trainSubset) + validation \(validationSubset) images exceed the \(train.count) training images of \(folder.path)")
        }
        trainIndices = Array(permutation[..<trainCount])
        validationIndices = Array(permutation[trainCount..<(trainCount + validationSubset)])
        testIndices = Array(0..<(config.testSubset == 0 ? test.count : min(config.testSubset, test.count)))
        normalization = .standard(for: variant)
    }

    /// The folder of the official binary files, downloaded (and checked) when missing;
    /// `fetch` replaces the download (tests).
    static func official(
        _ variant: CIFARDataset.Variant, in root: URL, fetch: ((DatasetDescriptor) throws -> Void)? = nil
    ) throws -> URL {
        let descriptor = variant == .cifar10 ? DatasetCatalog.cifar10 : DatasetCatalog.cifar100
        let folder = root.appendingPathComponent(descriptor.folder).appendingPathComponent(variant.folderName)
        if variant.fileNames(.train).allSatisfy({ FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }) {
            return folder
        }
        do {
            if let fetch { try fetch(descriptor) } else { try DatasetFetcher(dataDirectory: root, log: { ProgressReporter.standardError($0 + "\n") }).fetch(descriptor) }
            return folder
        } catch {
            throw ImageExperimentError.datasetUnavailable(
                "\(variant.rawValue) is not in \(folder.path) and could not be fetched: \(error)\n"
                    + "Alternatively point --data-dir / DATA_DIR at a folder that holds \(descriptor.folder)/\(variant.folderName)/.")
        }
    }

    /// Synthetic CIFAR-10 files (learnable stripes and colours, `SyntheticCIFAR`) in
    /// `<root>/synthetic-cifar10-<train>-<test>`, written once; concurrent runs race safely
    /// because each writes a private folder and renames it into place.
    static func synthetic(in root: URL, trainCount: Int, testCount: Int) throws -> URL {
        let folder = root.appendingPathComponent("synthetic-cifar10-\(trainCount)-\(testCount)")
        let manager = FileManager.default
        if manager.fileExists(atPath: folder.path) { return folder }
        try manager.createDirectory(at: root, withIntermediateDirectories: true)
        let staging = root.appendingPathComponent(".staging-\(UUID().uuidString)")
        try SyntheticCIFAR.write(directory: staging, variant: .cifar10, trainCount: trainCount, testCount: testCount, seed: 1)
        do {
            try manager.moveItem(at: staging, to: folder)
        } catch {
            try? manager.removeItem(at: staging)
            // Another run won the race (its files are identical); anything else is a real failure.
            if !manager.fileExists(atPath: folder.path) { throw error }
        }
        return folder
    }

    /// A Fisher–Yates permutation of 0..<count drawn from `seed`, written out so it stays the
    /// same across toolchains.
    static func permutation(_ count: Int, seed: UInt64) -> [Int] {
        var rng = SeededRNG(seed: seed)
        var values = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            values.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return values
    }
}

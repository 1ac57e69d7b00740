import Datasets
import ExperimentKit
import Foundation
import TensorRuntime

/// One split of a sentence dataset as token ids: every sentence cut or padded to the same length.
public struct TokenizedSentences: Sendable {
    public let ids: [[Int]]
    public let labels: [Int]
    /// The tokenizer's vocabulary size (the embedding's rows).
    public let vocabulary: Int

    public var count: Int { ids.count }

    /// Ids [B, L] (as whole numbers in a Float32 tensor, the `Embedding`'s input) and labels.
    public func batch(_ indices: [Int]) -> (inputs: Tensor, labels: [Int]) {
        let length = ids.first?.count ?? 0
        let values = indices.flatMap { ids[$0].map(Double.init) }
        return (Tensor(shape: [indices.count, length], values: values, dtype: .float32), indices.map { labels[$0] })
    }
}

/// The sentence datasets of `ImageData`: SST-2 (GLUE release, fetched into `<data>/sst2/SST-2`)
/// or synthetic sentences in the same format (`SyntheticSentences`), tokenised with a
/// `WordTokenizer` built from the training sentences the run uses.
enum TextData {
    struct Loaded {
        var train: TokenizedSentences
        var test: TokenizedSentences
        var trainIndices: [Int]
        var validationIndices: [Int]
        var tokenizer: WordTokenizer
        var tokenizerFile: URL
        var wordVectors: WordVectors?
    }

    /// The validation split is class-balanced and drawn with seed 0 (the same for every run and
    /// variant); the training subset is the first `trainSubset` of a seed-0 permutation of the rest.
    static func load(_ config: ImageConfig.DataSection, text: ImageConfig.TextSection, root: URL) throws -> Loaded {
        let folder: URL
        if config.dataset == "synthetic-sst2" {
            let trainCount = max(config.trainSubset, 1000) + config.validationSubset
            let devCount = max(config.testSubset, 200)
            folder = try ImageData.writeOnce(root.appendingPathComponent("synthetic-sst2-\(trainCount)-\(devCount)")) {
                staging in
                try SyntheticSentences.write(directory: staging, trainCount: trainCount, devCount: devCount, seed: 1)
            }
        } else {
            folder = try official(in: root)
        }
        let dataset: SST2Dataset
        do {
            dataset = try SST2Dataset(directory: folder)
        } catch {
            throw ImageExperimentError.datasetUnavailable("\(error)")
        }
        if config.dataset == "sst2", !dataset.isOfficialSize {
            throw ImageExperimentError.datasetUnavailable(
                "\(folder.path) has \(dataset.train.count) training and \(dataset.test.count) dev sentences; the GLUE SST-2 release has "
                    + "\(SST2Dataset.officialTrainCount) and \(SST2Dataset.officialDevCount)")
        }
        let labels = dataset.train.map(\.label)
        let (rest, validation) = try SST2Dataset.validationSplit(
            labels: labels, classes: SST2Dataset.classCount,
            count: config.validationSubset, seed: 0)
        var splitRNG = SeededRNG(seed: 0)
        let order = splitRNG.shuffled(rest)
        let trainCount = config.trainSubset == 0 ? order.count : min(config.trainSubset, order.count)
        let trainIndices = Array(order[..<trainCount])
        let tokenizer = try WordTokenizer(
            training: trainIndices.map { dataset.train[$0].sentence }, minCount: text.minWordCount,
            maxLength: text.maxTokens)
        // Saved beside the data, named by what determines it, so a run's ids can be rebuilt.
        let tokenizerFile = folder.deletingLastPathComponent().appendingPathComponent(
            "tokenizers/\(folder.lastPathComponent)-train\(trainCount)-val\(config.validationSubset)-min\(text.minWordCount)-len\(text.maxTokens).json"
        )
        if (try? WordTokenizer.load(from: tokenizerFile)) != tokenizer { try tokenizer.save(to: tokenizerFile) }
        var vectors: WordVectors?
        if !text.wordVectors.isEmpty {
            do {
                vectors = try WordVectors(glove: URL(fileURLWithPath: text.wordVectors), tokenizer: tokenizer)
            } catch {
                throw ImageExperimentError.datasetUnavailable("text.wordVectors: \(error)")
            }
        }
        func split(_ samples: [LabelledSentence]) -> TokenizedSentences {
            TokenizedSentences(
                ids: samples.map { tokenizer.encode($0.sentence) }, labels: samples.map(\.label),
                vocabulary: tokenizer.count)
        }
        let testCount = config.testSubset == 0 ? dataset.test.count : min(config.testSubset, dataset.test.count)
        return Loaded(
            train: split(dataset.train), test: split(Array(dataset.test.prefix(testCount))), trainIndices: trainIndices,
            validationIndices: validation, tokenizer: tokenizer, tokenizerFile: tokenizerFile, wordVectors: vectors)
    }

    /// `<root>/sst2/SST-2`, downloaded when missing (the archive's MD5 is not pinned; the fetcher says so).
    static func official(in root: URL) throws -> URL {
        let descriptor = DatasetCatalog.sst2
        let folder = root.appendingPathComponent(descriptor.folder).appendingPathComponent("SST-2")
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("train.tsv").path) { return folder }
        return try fetchMissing(
            descriptor, into: root, expecting: folder, name: "SST-2",
            alternative: "place the GLUE SST-2 folder (train.tsv, dev.tsv) at \(folder.path), "
                + "or point --data-dir / DATA_DIR at a folder holding sst2/SST-2/.")
    }
}

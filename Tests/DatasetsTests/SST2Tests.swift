import Foundation
import XCTest

@testable import Datasets

/// The SST-2 reader, the word tokenizer, the GloVe loader and the synthetic sentences, on files
/// the tests write (no network, nothing shared).
final class SST2Tests: TemporaryDirectoryTestCase {
    func write(_ text: String, _ name: String) throws -> URL {
        let url = file(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func assertTextError(
        _ body: @autoclosure () throws -> Any, _ expected: TextDatasetError, mentions: [String] = [],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? TextDatasetError, expected, file: file, line: line)
            for text in mentions {
                XCTAssertTrue("\(error)".contains(text), "\(error) lacks \(text)", file: file, line: line)
            }
        }
    }

    func testReaderReadsTheGLUEFormat() throws {
        let url = try write(
            "sentence\tlabel\nhide new secretions from the parental units \t0\nit 's a charming journey \t1\r\n",
            "train.tsv")
        let samples = try SST2Dataset.read(url)
        XCTAssertEqual(
            samples,
            [
                LabelledSentence(sentence: "hide new secretions from the parental units", label: 0),
                LabelledSentence(sentence: "it 's a charming journey", label: 1),
            ])
    }

    func testReaderNamesFileLineAndField() throws {
        let header = try write("text\tlabel\nfine\t1\n", "header.tsv")
        assertTextError(
            try SST2Dataset.read(header),
            .badHeader(file: header.path, found: "text\\tlabel", expected: "sentence\\tlabel"))
        let malformed = try write("sentence\tlabel\ngood\t1\nno tab here\n", "malformed.tsv")
        assertTextError(
            try SST2Dataset.read(malformed),
            .malformedLine(
                file: malformed.path, line: 3, field: "label",
                problem: "expected 2 tab-separated fields (sentence, label), found 1"),
            mentions: ["malformed.tsv:3", "field label"])
        let label = try write("sentence\tlabel\ngood\t1\nbad\t2\n", "label.tsv")
        assertTextError(
            try SST2Dataset.read(label),
            .malformedLine(file: label.path, line: 3, field: "label", problem: "\"2\" is not 0 or 1"),
            mentions: ["label.tsv:3"])
        let empty = try write("sentence\tlabel\n  \t0\n", "empty.tsv")
        assertTextError(
            try SST2Dataset.read(empty),
            .malformedLine(file: empty.path, line: 2, field: "sentence", problem: "empty sentence"))
        let extra = try write("sentence\tlabel\na\t1\t1\n", "extra.tsv")
        assertTextError(
            try SST2Dataset.read(extra),
            .malformedLine(
                file: extra.path, line: 2, field: "(line)",
                problem: "expected 2 tab-separated fields (sentence, label), found 3"))
        assertTextError(try SST2Dataset.read(file("missing.tsv")), .fileNotFound(path: file("missing.tsv").path))
        let headerOnly = try write("sentence\tlabel\n", "headerOnly.tsv")
        assertTextError(
            try SST2Dataset.read(headerOnly), .empty(file: headerOnly.path, what: "no sentences after the header"))
    }

    func testValidationSplitIsBalancedSeededAndDisjoint() throws {
        let labels = (0..<100).map { $0 % 3 == 0 ? 1 : 0 }  // 34 positive, 66 negative
        let (train, validation) = try SST2Dataset.validationSplit(labels: labels, classes: 2, count: 20, seed: 0)
        XCTAssertEqual(validation.count, 20)
        XCTAssertEqual(validation.filter { labels[$0] == 1 }.count, 10)
        XCTAssertEqual(Set(train).intersection(validation), [])
        XCTAssertEqual(train.count + validation.count, 100)
        XCTAssertEqual(
            try SST2Dataset.validationSplit(labels: labels, classes: 2, count: 20, seed: 0).validation, validation)
        XCTAssertNotEqual(
            try SST2Dataset.validationSplit(labels: labels, classes: 2, count: 20, seed: 1).validation, validation)
        XCTAssertThrowsError(try SST2Dataset.validationSplit(labels: labels, classes: 2, count: 80, seed: 0))
    }

    func testTokenizerNormalisesBuildsVocabularyAndPads() throws {
        XCTAssertEqual(WordTokenizer.words("It's GREAT, isn't it?!"), ["it's", "great", ",", "isn't", "it", "?", "!"])
        let tokenizer = try WordTokenizer(
            training: ["a good film", "a bad film", "a good day", "rare"], minCount: 2, maxLength: 4)
        XCTAssertEqual(tokenizer.vocabulary, ["<pad>", "<unk>", "a", "film", "good"])
        XCTAssertEqual(tokenizer.encode("A good, good film"), [2, 4, 1, 4])
        XCTAssertEqual(tokenizer.encode("rare film"), [1, 3, 0, 0])
        let url = file("tokenizer.json")
        try tokenizer.save(to: url)
        XCTAssertEqual(try WordTokenizer.load(from: url), tokenizer)
        XCTAssertEqual(try WordTokenizer.load(from: url).encode("a good film"), tokenizer.encode("a good film"))
        let broken = try write("{\"vocabulary\": [\"a\"], \"minCount\": 1, \"maxLength\": 3}", "broken.json")
        XCTAssertThrowsError(try WordTokenizer.load(from: broken)) { XCTAssertTrue("\($0)".contains("broken.json")) }
    }

    func testGloVeVectorsFillKnownWordsAndRandomiseTheRest() throws {
        let tokenizer = try WordTokenizer(
            vocabulary: ["<pad>", "<unk>", "good", "film", "zzz"], minCount: 1, maxLength: 3)
        let url = try write("good 0.5 -1 2\nFilm 1e-1 0 3\nother 9 9 9\n", "glove.txt")
        let vectors = try WordVectors(glove: url, tokenizer: tokenizer, randomStd: 0.1, seed: 3)
        XCTAssertEqual(vectors.dimension, 3)
        XCTAssertEqual(vectors.found, 2)
        XCTAssertEqual(Array(vectors.values[0..<3]), [0, 0, 0])
        XCTAssertEqual(Array(vectors.values[6..<9]), [0.5, -1, 2])
        XCTAssertEqual(Array(vectors.values[9..<12]), [0.1, 0, 3])
        let random = Array(vectors.values[12..<15])
        XCTAssertTrue(random.allSatisfy { $0 != 0 && abs($0) < 1 }, "\(random)")
        let short = try write("good 1 2 3\nfilm 1 2\n", "short.txt")
        assertTextError(
            try WordVectors(glove: short, tokenizer: tokenizer),
            .malformedLine(file: short.path, line: 2, field: "(line)", problem: "2 components, but line 1 has 3"))
        let bad = try write("good 1 2 3\nfilm 1 x 3\n", "bad.txt")
        assertTextError(
            try WordVectors(glove: bad, tokenizer: tokenizer),
            .malformedLine(file: bad.path, line: 2, field: "3", problem: "\"x\" is not a finite number"),
            mentions: ["bad.txt:2"])
    }

    func testSyntheticSentencesRoundTripAndCarryTheLabel() throws {
        let folder = file("SST-2")
        try SyntheticSentences.write(directory: folder, trainCount: 400, devCount: 100, seed: 7)
        let dataset = try SST2Dataset(directory: folder)
        XCTAssertEqual(dataset.train.count, 400)
        XCTAssertEqual(dataset.test.count, 100)
        XCTAssertFalse(dataset.isOfficialSize)
        XCTAssertEqual(dataset.train.filter { $0.label == 1 }.count, 200)
        // A bag-of-sentiment-words count classifies well above chance: the label is in the words.
        let positive = Set(SyntheticSentences.positiveWords)
        let negative = Set(SyntheticSentences.negativeWords)
        let correct = dataset.test.filter { sample in
            let words = WordTokenizer.words(sample.sentence)
            let score = words.filter(positive.contains).count - words.filter(negative.contains).count
            return score != 0 && (score > 0 ? 1 : 0) == sample.label
        }.count
        XCTAssertGreaterThan(correct, 70)
        let other = file("again")
        try SyntheticSentences.write(directory: other, trainCount: 400, devCount: 100, seed: 7)
        XCTAssertEqual(try SST2Dataset(directory: other).train, dataset.train)
    }

    func testCatalogEntryIsUnpinnedAndTheFetcherSaysSo() throws {
        let sst2 = try DatasetCatalog.named("sst2")
        XCTAssertEqual(sst2.files[0].urls[0].absoluteString, "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip")
        XCTAssertEqual(sst2.files[0].checksum, .unpinned)
        XCTAssertEqual(sst2.files[0].extraction, .unzip(producing: "SST-2"))
        let payload = Data("not checked".utf8)
        let server = try LoopbackHTTPServer(body: payload)
        defer { server.stop() }
        let dataset = DatasetDescriptor(
            name: "u", folder: "u",
            files: [
                RemoteFile(name: "u.gz", urls: [server.url("u.gz")], checksum: .unpinned, extraction: .gunzip(to: "u"))
            ])
        let messages = LockedLog()
        _ = try? DatasetFetcher(dataDirectory: directory, log: { messages.append($0) }).fetch(dataset)
        XCTAssertTrue(
            messages.lines.contains { $0.contains("NOT verified") && $0.contains("u.gz") }, "\(messages.lines)")
    }
}

final class LockedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) {
        lock.lock()
        stored.append(line)
        lock.unlock()
    }
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

import Foundation

/// A word-level tokenizer: lower-case, split on white space, every punctuation mark its own
/// token (letters, digits and apostrophes make words, so SST-2's "n't" and "'s" stay whole),
/// a vocabulary from the training split with a minimum count, `<pad>` = 0 and `<unk>` = 1, and a
/// fixed length (longer sentences are cut, shorter ones padded at the end). Saved and loaded as
/// JSON so a run's token ids can be reproduced.
public struct WordTokenizer: Codable, Sendable, Equatable {
    public static let padToken = "<pad>"
    public static let unknownToken = "<unk>"
    public static let padID = 0
    public static let unknownID = 1

    /// id → word; entries 0 and 1 are `<pad>` and `<unk>`.
    public let vocabulary: [String]
    public let maxLength: Int
    public let minCount: Int
    private let index: [String: Int]

    enum CodingKeys: String, CodingKey { case vocabulary, maxLength, minCount }

    /// Words of `sentences` seen at least `minCount` times, most frequent first (ties in
    /// alphabetical order, so the vocabulary does not depend on hash order).
    public init(training sentences: [String], minCount: Int, maxLength: Int) throws {
        guard minCount >= 1, maxLength >= 1 else {
            throw DatasetError.invalidArgument("tokenizer: minCount \(minCount) and maxLength \(maxLength) must be ≥ 1")
        }
        var counts: [String: Int] = [:]
        for sentence in sentences { for word in Self.words(sentence) { counts[word, default: 0] += 1 } }
        let kept = counts.filter { $0.value >= minCount && $0.key != Self.padToken && $0.key != Self.unknownToken }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        try self.init(vocabulary: [Self.padToken, Self.unknownToken] + kept, minCount: minCount, maxLength: maxLength)
    }

    public init(vocabulary: [String], minCount: Int, maxLength: Int) throws {
        guard vocabulary.count >= 2, vocabulary[0] == Self.padToken, vocabulary[1] == Self.unknownToken else {
            throw DatasetError.invalidArgument(
                "tokenizer: the vocabulary must start with \(Self.padToken), \(Self.unknownToken)")
        }
        var index: [String: Int] = [:]
        for (id, word) in vocabulary.enumerated() {
            guard index[word] == nil else {
                throw DatasetError.invalidArgument("tokenizer: \"\(word)\" appears twice in the vocabulary")
            }
            index[word] = id
        }
        guard maxLength >= 1 else {
            throw DatasetError.invalidArgument("tokenizer: maxLength \(maxLength) must be ≥ 1")
        }
        self.vocabulary = vocabulary
        self.maxLength = maxLength
        self.minCount = minCount
        self.index = index
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            vocabulary: try container.decode([String].self, forKey: .vocabulary),
            minCount: try container.decode(Int.self, forKey: .minCount),
            maxLength: try container.decode(Int.self, forKey: .maxLength))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(vocabulary, forKey: .vocabulary)
        try container.encode(maxLength, forKey: .maxLength)
        try container.encode(minCount, forKey: .minCount)
    }

    public static func == (a: WordTokenizer, b: WordTokenizer) -> Bool {
        a.vocabulary == b.vocabulary && a.maxLength == b.maxLength && a.minCount == b.minCount
    }

    public var count: Int { vocabulary.count }

    /// The id of `word` (already normalised), `<unk>` when unknown.
    public func id(_ word: String) -> Int { index[word] ?? Self.unknownID }

    /// Lower-cased words and punctuation marks of `sentence`.
    public static func words(_ sentence: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in sentence.lowercased() {
            if character.isLetter || character.isNumber || character == "'" {
                current.append(character)
            } else {
                if !current.isEmpty {
                    result.append(current)
                    current = ""
                }
                if !character.isWhitespace { result.append(String(character)) }
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Exactly `maxLength` ids: the sentence's words, cut or padded with `<pad>`.
    public func encode(_ sentence: String) -> [Int] {
        var ids = Self.words(sentence).prefix(maxLength).map(id)
        ids += Array(repeating: Self.padID, count: maxLength - ids.count)
        return ids
    }

    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    public static func load(from url: URL) throws -> WordTokenizer {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TextDatasetError.fileNotFound(path: url.path)
        }
        do {
            return try JSONDecoder().decode(WordTokenizer.self, from: data)
        } catch {
            throw TextDatasetError.malformedLine(
                file: url.path, line: 1, field: "(file)",
                problem: "not a tokenizer JSON (vocabulary, minCount, maxLength): \(error)")
        }
    }
}

/// Pretrained word vectors in GloVe's text format (one word per line, then its components,
/// separated by spaces), matched to a tokenizer's vocabulary.
public struct WordVectors: Sendable {
    /// Row-major [vocabulary, dimension].
    public let values: [Double]
    public let dimension: Int
    /// Vocabulary entries found in the file (the others, except `<pad>`, are random).
    public let found: Int

    /// Reads `url` and builds the table for `tokenizer`: rows of words in the file are their
    /// vectors, `<pad>` is zero, every other row is N(0, `randomStd`²) drawn with `seed`.
    /// The dimension is the first line's; a line with another number of components or a
    /// component that is not a number is an error naming the file, line and field.
    public init(glove url: URL, tokenizer: WordTokenizer, randomStd: Double = 0.1, seed: UInt64 = 0) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TextDatasetError.fileNotFound(path: url.path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TextDatasetError.malformedLine(file: url.path, line: 1, field: "(file)", problem: "not UTF-8 text")
        }
        var vectors: [Int: [Double]] = [:]
        var dimension: Int?
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.isEmpty { continue }
            let number = offset + 1
            guard fields.count >= 2 else {
                throw TextDatasetError.malformedLine(
                    file: url.path, line: number, field: "2", problem: "a word without components")
            }
            let d = dimension ?? fields.count - 1
            dimension = d
            guard fields.count - 1 == d else {
                throw TextDatasetError.malformedLine(
                    file: url.path, line: number, field: "(line)",
                    problem: "\(fields.count - 1) components, but line 1 has \(d)")
            }
            let id = tokenizer.id(String(fields[0]).lowercased())
            var vector = [Double](repeating: 0, count: d)
            for (k, field) in fields.dropFirst().enumerated() {
                guard let value = Double(field.trimmingCharacters(in: .whitespacesAndNewlines)), value.isFinite else {
                    throw TextDatasetError.malformedLine(
                        file: url.path, line: number, field: "\(k + 2)",
                        problem: "\"\(field)\" is not a finite number")
                }
                vector[k] = value
            }
            if id != WordTokenizer.unknownID || String(fields[0]) == WordTokenizer.unknownToken, vectors[id] == nil {
                vectors[id] = vector
            }
        }
        guard let d = dimension else { throw TextDatasetError.empty(file: url.path, what: "no word vectors") }
        var rng = SplitMix(seed: seed)
        var table = [Double](repeating: 0, count: tokenizer.count * d)
        for id in 0..<tokenizer.count where id != WordTokenizer.padID {
            let row = vectors[id] ?? (0..<d).map { _ in rng.normal() * randomStd }
            for k in 0..<d { table[id * d + k] = row[k] }
        }
        values = table
        self.dimension = d
        found = vectors.keys.filter { $0 != WordTokenizer.padID }.count
    }
}

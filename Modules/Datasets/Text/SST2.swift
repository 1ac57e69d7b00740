import Foundation
import TensorRuntime

/// Why a sentence-classification file cannot be read; every message names the file and, where
/// there is one, the line (1-based, the header is line 1) and the field.
public enum TextDatasetError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case badHeader(file: String, found: String, expected: String)
    case malformedLine(file: String, line: Int, field: String, problem: String)
    case empty(file: String, what: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): "\(path): no such file"
        case .badHeader(let file, let found, let expected):
            "\(file):1: header is \"\(found)\" (expected \"\(expected)\", tab-separated)"
        case .malformedLine(let file, let line, let field, let problem): "\(file):\(line): field \(field): \(problem)"
        case .empty(let file, let what): "\(file): \(what)"
        }
    }
}

/// One labelled sentence.
public struct LabelledSentence: Sendable, Equatable {
    public var sentence: String
    /// 0 (negative) or 1 (positive).
    public var label: Int

    public init(sentence: String, label: Int) {
        self.sentence = sentence
        self.label = label
    }
}

/// The GLUE release of SST-2 (Socher et al. 2013; Wang et al. 2019): `SST-2/train.tsv`
/// (67,349 sentences) and `SST-2/dev.tsv` (872), tab-separated with the header
/// `sentence\tlabel` and labels 0/1. The GLUE test labels are not public, so the dev file is
/// our test set and a validation split is held out of train (`validationSplit`).
public struct SST2Dataset: Sendable {
    public static let header = "sentence\tlabel"
    public static let officialTrainCount = 67_349
    public static let officialDevCount = 872
    public static let classCount = 2

    public let train: [LabelledSentence]
    /// The GLUE dev split, used as the test set.
    public let test: [LabelledSentence]

    /// Reads `<directory>/train.tsv` and `<directory>/dev.tsv` (`directory` is the `SST-2` folder).
    public init(directory: URL) throws {
        train = try Self.read(directory.appendingPathComponent("train.tsv"))
        test = try Self.read(directory.appendingPathComponent("dev.tsv"))
    }

    /// True when the counts are the GLUE release's.
    public var isOfficialSize: Bool { train.count == Self.officialTrainCount && test.count == Self.officialDevCount }

    /// Reads one SST-2 TSV: the header, then `sentence<TAB>label` per line. A malformed line, a
    /// label outside {0, 1} or an empty sentence is an error naming the file, line and field;
    /// a trailing newline (and `\r\n` endings) are accepted.
    public static func read(_ url: URL) throws -> [LabelledSentence] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TextDatasetError.fileNotFound(path: url.path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TextDatasetError.malformedLine(file: url.path, line: 1, field: "(file)", problem: "not UTF-8 text")
        }
        // "\r\n" is one Character in Swift, so split on any newline character.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first else {
            throw TextDatasetError.empty(file: url.path, what: "empty file (expected the header \"sentence\\tlabel\")")
        }
        guard first == header else {
            throw TextDatasetError.badHeader(
                file: url.path, found: first.replacingOccurrences(of: "\t", with: "\\t"), expected: "sentence\\tlabel")
        }
        var samples: [LabelledSentence] = []
        samples.reserveCapacity(lines.count)
        for (offset, line) in lines.dropFirst().enumerated() {
            let number = offset + 2
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw TextDatasetError.malformedLine(
                    file: url.path, line: number, field: fields.count < 2 ? "label" : "(line)",
                    problem: "expected 2 tab-separated fields (sentence, label), found \(fields.count)")
            }
            let sentence = fields[0].trimmingCharacters(in: .whitespaces)
            guard !sentence.isEmpty else {
                throw TextDatasetError.malformedLine(
                    file: url.path, line: number, field: "sentence", problem: "empty sentence")
            }
            let rawLabel = fields[1].trimmingCharacters(in: .whitespaces)
            guard let label = Int(rawLabel), (0...1).contains(label) else {
                throw TextDatasetError.malformedLine(
                    file: url.path, line: number, field: "label", problem: "\"\(rawLabel)\" is not 0 or 1")
            }
            samples.append(LabelledSentence(sentence: sentence, label: label))
        }
        guard !samples.isEmpty else {
            throw TextDatasetError.empty(file: url.path, what: "no sentences after the header")
        }
        return samples
    }

    /// Writes `samples` in the SST-2 format (tabs and newlines inside sentences become spaces).
    public static func write(_ samples: [LabelledSentence], to url: URL) throws {
        var text = header + "\n"
        for sample in samples {
            let clean = sample.sentence.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(
                of: "\n", with: " ")
            text += "\(clean)\t\(sample.label)\n"
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// A class-balanced validation split of `labels`: `count` indices (⌊count/classes⌋ per class,
    /// the remainder from the first classes), drawn with `seed` independently of the run's seed.
    /// Returns the remaining (training) and held-out (validation) indices, each in ascending order.
    public static func validationSplit(labels: [Int], classes: Int, count: Int, seed: UInt64) throws -> (
        train: [Int], validation: [Int]
    ) {
        guard count >= 0, count < labels.count else {
            throw DatasetError.invalidArgument(
                "validation split of \(count) out of \(labels.count) sentences (expected 0 ≤ count < \(labels.count))")
        }
        var rng = SeededRNG(seed: seed)
        var held = Set<Int>()
        for c in 0..<classes {
            let members = rng.shuffled(labels.indices.filter { labels[$0] == c })
            let want = count / classes + (c < count % classes ? 1 : 0)
            guard want <= members.count else {
                throw DatasetError.invalidArgument(
                    "validation split wants \(want) sentences of class \(c), which has \(members.count)")
            }
            held.formUnion(members.prefix(want))
        }
        return (labels.indices.filter { !held.contains($0) }, held.sorted())
    }
}

/// SplitMix64: a small fixed generator, so splits stay the same across toolchains.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u = max(unit(), 1e-300)
        let v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

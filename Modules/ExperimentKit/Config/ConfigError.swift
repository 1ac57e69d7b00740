import Foundation

/// A config that cannot be used, with where it came from (`papers/shd/configs/train.cpu.json`,
/// `--set`, `run 12`) and what is wrong with which field, e.g.
/// `cpu.json: training.epochs must be an integer ≥ 1, got "ten"`.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    /// The file, command-line option or registry run the config came from.
    public var source: String
    public var message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}

/// A field whose value its type admits but the experiment does not (a range, a relation between
/// fields). Thrown from `ValidatedConfig.validate()`; the loader adds the source.
public struct ConfigIssue: Error, Equatable, CustomStringConvertible {
    /// The dotted field path, as `--set` spells it.
    public var path: String
    /// What the field must be, as a phrase after "must be": "an integer ≥ 1".
    public var expected: String
    /// The offending value as it would appear in JSON.
    public var got: String

    public init(path: String, expected: String, got: String) {
        self.path = path
        self.expected = expected
        self.got = got
    }

    /// Throws unless `condition` holds, quoting `value` the way JSON would.
    public static func require(
        _ condition: Bool, _ path: String, mustBe expected: String, got value: some Encodable
    ) throws(ConfigIssue) {
        guard !condition else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        throw ConfigIssue(path: path, expected: expected, got: text)
    }

    public var description: String { "\(path) must be \(expected), got \(got)" }
}

/// A config that states rules beyond its field types; the loader calls `validate()` after decoding.
public protocol ValidatedConfig {
    func validate() throws(ConfigIssue)
}

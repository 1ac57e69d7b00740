import Foundation

/// The search space: dotted config path -> dimension. Decoded from a JSON object
///
///     {"training.learningRate": {"logUniform": [1e-4, 1e-2]}, "model.hidden": {"choice": [64, 128]}}
///
/// The paths are the `--set` paths a worker applies to the experiment's config, so a trial's
/// parameters override the preset like command-line flags would.
public struct SearchSpace: Codable, Sendable, Equatable {
    public var dimensions: [String: SearchDimension]

    public init(_ dimensions: [String: SearchDimension]) {
        self.dimensions = dimensions
    }

    /// The parameter paths in sorted order: samplers visit dimensions in this order, so a
    /// proposal does not depend on dictionary order.
    public var paths: [String] { dimensions.keys.sorted() }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(try container.decode([String: SearchDimension].self))
        try validate(at: DottedPath.of(decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dimensions)
    }

    /// Throws unless the space has at least one dimension, every path is a dotted key path and
    /// every dimension is valid; `path` is where the space sits (`search.space`).
    public func validate(at path: String) throws(ConfigIssue) {
        try ConfigIssue.require(
            !dimensions.isEmpty, path, mustBe: "an object mapping at least one dotted config path to a dimension",
            got: self)
        for key in paths {
            try ConfigIssue.require(
                !key.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty),
                DottedPath.join(path, key),
                mustBe: "keyed by a dotted config path such as training.learningRate", got: key)
            try dimensions[key]!.validate(at: DottedPath.join(path, key))
        }
    }
}

/// Field paths in messages, spelled the way `--set` and `ConfigIssue` spell them.
enum DottedPath {
    /// Where a decoder is in the document: `search.space.training.learningRate`.
    static func of(_ decoder: any Decoder) -> String {
        decoder.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    /// `key` inside `parent`; the empty parent is the top level.
    static func join(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }
}

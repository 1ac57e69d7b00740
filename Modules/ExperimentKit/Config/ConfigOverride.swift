import Foundation

/// One `--set key.path=value`: replaces the value at a dotted path of the config.
///
/// The value is read as JSON when it parses (`3`, `0.1`, `true`, `[1,2]`, `{"a":1}`) and as a
/// plain string otherwise (`lif`), so strings need no quotes on the command line. Where the
/// preset holds a string, the text is always taken as a string, so `--set tag=2024` stays a tag.
public struct ConfigOverride: Sendable, Equatable, CustomStringConvertible {
    public var path: [String]
    /// The text after `=`, as typed.
    public var text: String

    public init(path: [String], text: String) {
        self.path = path
        self.text = text
    }

    /// Parses `key.path=value`.
    public init(parsing argument: String) throws(ConfigError) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw ConfigError(source: "--set \(argument)", message: "expected key.path=value")
        }
        let path = argument[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.contains(where: \.isEmpty) else {
            throw ConfigError(source: "--set \(argument)", message: "'\(argument[..<equals])' is not a dotted key path")
        }
        self.init(path: path, text: String(argument[argument.index(after: equals)...]))
    }

    public var description: String { "--set \(path.joined(separator: "."))=\(text)" }

    /// `tree` with this override applied. The path must exist in `tree`: an override cannot add
    /// fields, so a typo is an error instead of a silently ignored key.
    func apply(to tree: JSONValue, source: String) throws(ConfigError) -> JSONValue {
        try replace(in: tree, at: path[...], source: source)
    }

    private func replace(in node: JSONValue, at rest: ArraySlice<String>, source: String) throws(ConfigError)
        -> JSONValue
    {
        guard let key = rest.first else { return value(replacing: node) }
        let done = path[..<rest.startIndex]
        let here = done.isEmpty ? "the top level" : done.joined(separator: ".")
        switch node {
        case .object(var members):
            guard let child = members[key] else {
                throw ConfigError(
                    source: source,
                    message: "\(path.joined(separator: ".")) does not exist (\(self)); "
                        + "the keys at \(here) are: \(members.keys.sorted().joined(separator: ", "))")
            }
            members[key] = try replace(in: child, at: rest.dropFirst(), source: source)
            return .object(members)
        case .array(var elements):
            guard let index = Int(key), elements.indices.contains(index) else {
                throw ConfigError(
                    source: source,
                    message: "\(path.joined(separator: ".")) does not exist (\(self)); "
                        + "\(here) is an array with indices 0..<\(elements.count)")
            }
            elements[index] = try replace(in: elements[index], at: rest.dropFirst(), source: source)
            return .array(elements)
        default:
            throw ConfigError(
                source: source,
                message:
                    "\(path.joined(separator: ".")) does not exist (\(self)); \(here) is \(node.kindDescription), not an object"
            )
        }
    }

    private func value(replacing old: JSONValue) -> JSONValue {
        let parsed = try? JSONValue.parse(Data(text.utf8))
        if case .string = old {
            if case .string = parsed { return parsed! }
            return .string(text)
        }
        return parsed ?? .string(text)
    }
}

import Foundation

/// Where an experiment's config comes from.
public enum ConfigSource: Sendable, Equatable {
    /// A checked-in preset: `<directory>/<experiment>.<name>.json`.
    case preset(name: String, experiment: String, directory: URL)
    /// Any config file.
    case file(URL)
}

/// A config ready to run: the experiment's struct and the JSON the registry stores with the run.
public struct ResolvedConfig<Config: Sendable>: Sendable {
    public var value: Config
    /// The decoded struct encoded again with sorted keys, so the stored text lists every field,
    /// defaults included, and repeats the run exactly.
    public var json: String
    /// The preset's name when the config came from one.
    public var preset: String?
    /// The file (or registry run) the config was read from.
    public var source: String
}

/// Reads a config file, applies `--set` overrides and decodes it into the experiment's struct,
/// turning every failure into a `ConfigError` that names the source and the field.
///
/// Keys in the file that the struct does not have are errors too: `Codable` would ignore them,
/// and a misspelt `learning_rate` must not silently train with the default.
public enum ConfigLoader {
    public static func load<Config: Codable & Sendable>(
        _ type: Config.Type, from source: ConfigSource, overrides: [ConfigOverride] = []
    ) throws(ConfigError) -> ResolvedConfig<Config> {
        let (url, preset) = try locate(source)
        let name = url.relativePath
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigError(source: name, message: "cannot read the file (\(error.localizedDescription))")
        }
        var tree: JSONValue
        do {
            tree = try JSONValue.parse(data)
        } catch {
            throw ConfigError(source: name, message: "not valid JSON: \(syntaxError(in: data))")
        }
        guard case .object = tree else {
            throw ConfigError(source: name, message: "the top level must be a JSON object, got \(tree.kindDescription)")
        }
        for override in overrides {
            tree = try override.apply(to: tree, source: name)
        }
        let (value, json) = try decode(type, from: tree, source: name)
        return ResolvedConfig(value: value, json: json, preset: preset, source: name)
    }

    /// Decodes a config tree (a file's, or one stored in the registry); returns the value and its
    /// canonical JSON.
    public static func decode<Config: Codable>(
        _ type: Config.Type, from tree: JSONValue, source: String
    ) throws(ConfigError) -> (Config, String) {
        let value: Config
        do {
            value = try JSONDecoder().decode(Config.self, from: Data(tree.jsonText.utf8))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                let path = fractionRejected(by: type, in: tree)
            {
                throw ConfigError(
                    source: source,
                    message: "\(path.joined(separator: ".")) must be an integer, got \(tree[path: path]!.jsonText)")
            }
            throw ConfigError(source: source, message: describe(error, in: tree))
        } catch {
            throw ConfigError(source: source, message: "\(error)")
        }
        let canonical: JSONValue
        do {
            canonical = try JSONValue.parse(try JSONEncoder().encode(value))
        } catch {
            throw ConfigError(source: source, message: "the decoded config does not encode back to JSON: \(error)")
        }
        if let unknown = unknownKey(in: tree, comparedTo: canonical, path: []) {
            throw ConfigError(source: source, message: unknown)
        }
        if let validated = value as? any ValidatedConfig {
            do {
                try validated.validate()
            } catch {
                throw ConfigError(source: source, message: error.description)
            }
        }
        return (value, canonical.jsonText)
    }

    private static func locate(_ source: ConfigSource) throws(ConfigError) -> (URL, preset: String?) {
        switch source {
        case .file(let url):
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw ConfigError(source: url.relativePath, message: "no such config file")
            }
            return (url, nil)
        case .preset(let name, let experiment, let directory):
            let url = directory.appendingPathComponent("\(experiment).\(name).json")
            guard FileManager.default.fileExists(atPath: url.path) else {
                let prefix = "\(experiment)."
                let suffix = ".json"
                let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
                let known = files.filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }
                    .map { String($0.dropFirst(prefix.count).dropLast(suffix.count)) }.sorted()
                throw ConfigError(
                    source: url.relativePath,
                    message: "no preset '\(name)' for \(experiment); "
                        + (known.isEmpty
                            ? "\(directory.relativePath) holds none" : "presets are: \(known.joined(separator: ", "))"))
            }
            return (url, name)
        }
    }

    /// The first key of `given` (depth first, sorted) that `canonical`, the decoded struct
    /// encoded again, does not have. Explicit nulls are skipped: they decode as absent optionals.
    private static func unknownKey(in given: JSONValue, comparedTo canonical: JSONValue, path: [String]) -> String? {
        switch (given, canonical) {
        case (.object(let members), .object(let known)):
            for key in members.keys.sorted() {
                guard let value = members[key], value != .null else { continue }
                guard let counterpart = known[key] else {
                    let here = path.isEmpty ? "the top level" : path.joined(separator: ".")
                    return "\((path + [key]).joined(separator: ".")) is not a field of this config; "
                        + "the fields at \(here) are: \(known.keys.sorted().joined(separator: ", "))"
                }
                if let found = unknownKey(in: value, comparedTo: counterpart, path: path + [key]) { return found }
            }
            return nil
        case (.array(let elements), .array(let known)) where elements.count == known.count:
            for (index, (element, counterpart)) in zip(elements, known).enumerated() {
                if let found = unknownKey(in: element, comparedTo: counterpart, path: path + [String(index)]) {
                    return found
                }
            }
            return nil
        default:
            return nil
        }
    }

    /// The field holding a fraction where the config wants an integer. JSONDecoder reports that
    /// as corrupt data without a field path, so each fraction in turn is replaced by 0 until
    /// the complaint changes.
    private static func fractionRejected<Config: Decodable>(by type: Config.Type, in tree: JSONValue) -> [String]? {
        for path in fractions(in: tree, at: []) {
            guard let patched = try? ConfigOverride(path: path, text: "0").apply(to: tree, source: "") else { continue }
            do {
                _ = try JSONDecoder().decode(type, from: Data(patched.jsonText.utf8))
                return path
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                continue
            } catch {
                return path
            }
        }
        return nil
    }

    private static func fractions(in node: JSONValue, at path: [String]) -> [[String]] {
        switch node {
        case .double(let value) where value.rounded() != value:
            return [path]
        case .object(let members):
            return members.keys.sorted().flatMap { fractions(in: members[$0]!, at: path + [$0]) }
        case .array(let elements):
            return elements.indices.flatMap { fractions(in: elements[$0], at: path + [String($0)]) }
        default:
            return []
        }
    }

    /// "training.epochs must be an integer, got "ten"" and its siblings.
    private static func describe(_ error: DecodingError, in tree: JSONValue) -> String {
        func dotted(_ path: [any CodingKey]) -> String {
            path.isEmpty
                ? "the config" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        func got(_ path: [any CodingKey]) -> String {
            tree[path: path.map { $0.intValue.map(String.init) ?? $0.stringValue }]?.jsonText ?? "nothing"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(dotted(context.codingPath)) must be \(expectation(for: type)), got \(got(context.codingPath))"
        case .valueNotFound(let type, let context):
            return "\(dotted(context.codingPath)) must be \(expectation(for: type)), got null"
        case .keyNotFound(let key, let context):
            return "\(dotted(context.codingPath + [key])) is missing"
        case .dataCorrupted(let context):
            return
                "\(dotted(context.codingPath)) is invalid (\(context.debugDescription)), got \(got(context.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }

    private static func expectation(for type: Any.Type) -> String {
        switch type {
        case is any BinaryInteger.Type: return "an integer"
        case is any BinaryFloatingPoint.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("[") && !name.contains(":") { return "an array" }
            if name.hasPrefix("Dictionary") || name.hasPrefix("[") { return "an object" }
            return "a \(name)"
        }
    }

    /// Where the JSON text goes wrong. JSONDecoder only says that it does, so the text is parsed
    /// again by JSONSerialization, whose message has the offset, turned here into line and column.
    private static func syntaxError(in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
            return "JSONDecoder rejects it"
        } catch {
            var text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            if text.hasSuffix(".") { text.removeLast() }
            guard let marker = text.range(of: "character "),
                let offset = Int(text[marker.upperBound...].prefix(while: \.isNumber))
            else { return text }
            let before = data.prefix(offset)
            let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            return "\(text) (line \(before.count { $0 == UInt8(ascii: "\n") } + 1), column \(offset - lineStart + 1))"
        }
    }
}

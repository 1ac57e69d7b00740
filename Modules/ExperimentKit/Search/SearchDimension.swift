import Foundation
import Registry

/// One searched hyperparameter, decoded from a preset's JSON. JSON forms (exactly one key each):
///
///     {"uniform": [lo, hi]}        {"logUniform": [lo, hi]}      (lo > 0)
///     {"intUniform": [lo, hi]}    {"logIntUniform": [lo, hi]}  (inclusive; lo > 0 for log)
///     {"choice": [v1, v2, ...]}    (numbers, strings or booleans, distinct)
///
/// Log dimensions suit scales (learning rates, weight decay) where 1e-4 and 1e-3 are as far apart
/// as 1e-3 and 1e-2. Decoding validates the dimension and names its dotted path on failure.
public enum SearchDimension: Codable, Sendable, Equatable {
    case uniform(lo: Double, hi: Double)
    case logUniform(lo: Double, hi: Double)
    case intUniform(lo: Int, hi: Int)
    case logIntUniform(lo: Int, hi: Int)
    case choice([ParameterValue])

    /// The JSON key of each form.
    enum Form: String, CaseIterable {
        case uniform, logUniform, intUniform, logIntUniform, choice
    }

    var form: Form {
        switch self {
        case .uniform: return .uniform
        case .logUniform: return .logUniform
        case .intUniform: return .intUniform
        case .logIntUniform: return .logIntUniform
        case .choice: return .choice
        }
    }

    public init(from decoder: any Decoder) throws {
        let path = DottedPath.of(decoder)
        let json = try JSONValue(from: decoder)
        self = try Self.parse(json, path: path)
        try validate(at: path)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FormKey.self)
        let key = FormKey(form.rawValue)
        switch self {
        case .uniform(let lo, let hi), .logUniform(let lo, let hi): try container.encode([lo, hi], forKey: key)
        case .intUniform(let lo, let hi), .logIntUniform(let lo, let hi): try container.encode([lo, hi], forKey: key)
        case .choice(let values): try container.encode(values, forKey: key)
        }
    }

    /// Throws unless the range is ordered (and positive for log forms) or the choices are
    /// non-empty and distinct; `path` names the dimension in the message.
    public func validate(at path: String) throws(ConfigIssue) {
        switch self {
        case .uniform(let lo, let hi):
            try ConfigIssue.require(
                lo.isFinite && hi.isFinite && lo <= hi, path, mustBe: "a uniform range [lo, hi] with lo ≤ hi", got: self
            )
        case .logUniform(let lo, let hi):
            try ConfigIssue.require(
                lo.isFinite && hi.isFinite && 0 < lo && lo <= hi, path,
                mustBe: "a logUniform range [lo, hi] with 0 < lo ≤ hi",
                got: self)
        case .intUniform(let lo, let hi):
            try ConfigIssue.require(lo <= hi, path, mustBe: "an intUniform range [lo, hi] with lo ≤ hi", got: self)
        case .logIntUniform(let lo, let hi):
            try ConfigIssue.require(
                0 < lo && lo <= hi, path, mustBe: "a logIntUniform range [lo, hi] with 0 < lo ≤ hi", got: self)
        case .choice(let values):
            try ConfigIssue.require(!values.isEmpty, path, mustBe: "a choice of at least one value", got: self)
            let distinct = values.indices.allSatisfy { i in values[..<i].allSatisfy { !Self.same($0, values[i]) } }
            try ConfigIssue.require(distinct, path, mustBe: "a choice of distinct values", got: self)
        }
    }

    /// Equal, or the same number: JSON (and so the registry) gives 2.0 back as 2.
    static func same(_ a: ParameterValue, _ b: ParameterValue) -> Bool {
        a == b || a.doubleValue != nil && a.doubleValue == b.doubleValue
    }

    /// The dimension a JSON value spells; structural mistakes (a missing or extra key, a
    /// non-array, a string where a number belongs) are reported against the whole value.
    private static func parse(_ json: JSONValue, path: String) throws(ConfigIssue) -> SearchDimension {
        let forms = Form.allCases.map { "{\"\($0.rawValue)\": \($0 == .choice ? "[v1, v2, ...]" : "[lo, hi]")}" }
        guard case .object(let members) = json, members.count == 1, let member = members.first,
            let form = Form(rawValue: member.key)
        else {
            throw ConfigIssue(path: path, expected: "one of \(forms.joined(separator: ", "))", got: json.jsonText)
        }
        let (key, payload) = member
        let expected: String
        switch form {
        case .choice: expected = "a choice [v1, v2, ...] of numbers, strings or booleans"
        case .uniform, .logUniform: expected = "\(key) [lo, hi] with two numbers"
        case .intUniform, .logIntUniform: expected = "\(key) [lo, hi] with two integers"
        }
        let mismatch = ConfigIssue(path: path, expected: expected, got: json.jsonText)
        guard case .array(let elements) = payload else { throw mismatch }
        switch form {
        case .choice:
            var values: [ParameterValue] = []
            for element in elements {
                switch element {
                case .int(let value): values.append(.int(value))
                case .double(let value): values.append(.double(value))
                case .string(let value): values.append(.string(value))
                case .bool(let value): values.append(.bool(value))
                case .null, .array, .object: throw mismatch
                }
            }
            return .choice(values)
        case .uniform, .logUniform:
            guard elements.count == 2, let lo = number(elements[0]), let hi = number(elements[1]) else {
                throw mismatch
            }
            return form == .uniform ? .uniform(lo: lo, hi: hi) : .logUniform(lo: lo, hi: hi)
        case .intUniform, .logIntUniform:
            guard elements.count == 2, case .int(let lo) = elements[0], case .int(let hi) = elements[1] else {
                throw mismatch
            }
            return form == .intUniform ? .intUniform(lo: lo, hi: hi) : .logIntUniform(lo: lo, hi: hi)
        }
    }

    private static func number(_ json: JSONValue) -> Double? {
        switch json {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    private struct FormKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

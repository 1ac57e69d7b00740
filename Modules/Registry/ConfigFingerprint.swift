import Crypto
import Foundation

/// What makes two runs repetitions of one experiment: everything in their resolved config but the
/// seed. Reports select runs by it rather than by preset label, so a run with a manual `--set`,
/// or one made before a preset changed, never lands in a table of runs it does not belong to.
public enum ConfigFingerprint {
    /// SHA-256 (hex) of the config's canonical JSON (keys sorted, no whitespace) without the
    /// top-level `seed`. Computed from the config text the registry stores with every run, so
    /// runs recorded before fingerprints existed have one too.
    public static func of(configJSON text: String) throws -> String {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw RegistryError.invalidJSON(field: "config", reason: "not valid JSON (\(text.prefix(40)))")
        }
        guard var members = object as? [String: Any] else {
            throw RegistryError.invalidJSON(field: "config", reason: "must be a JSON object (\(text.prefix(40)))")
        }
        members["seed"] = nil
        let canonical = try JSONSerialization.data(withJSONObject: members, options: [.sortedKeys])
        return SHA256.hash(data: canonical).map { String(format: "%02x", $0) }.joined()
    }
}

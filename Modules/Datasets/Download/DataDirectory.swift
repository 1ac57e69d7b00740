import Foundation

/// Where datasets are cached: `--data-dir` if given, else `$SNN_DATA_DIR`, else
/// `$XDG_CACHE_HOME/snn-toolkit`, else `~/.cache/snn-toolkit`.
///
/// One cache shared by every experiment means a dataset is downloaded once per machine; the
/// environment variable lets a cluster point all nodes at a shared disk.
public enum DataDirectory {
    public static func resolve(
        explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit, isDirectory: true) }
        if let path = environment["SNN_DATA_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty {
            return URL(fileURLWithPath: cache, isDirectory: true).appendingPathComponent(
                "snn-toolkit", isDirectory: true)
        }
        let home =
            environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".cache/snn-toolkit", isDirectory: true)
    }
}

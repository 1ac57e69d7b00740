import Foundation

/// Where a paper's folder (`papers/<paper>`, with its `configs/` presets) is in this checkout.
///
/// Looked for above the working directory, then above the executable
/// (`.build/release/snn-shd`), so every experiment command works from any folder of the
/// repository; falls back to the relative path, whose "no preset" error then names it.
public enum PaperDirectory {
    public static func locate(_ paper: String) -> URL {
        let relative = "papers/\(paper)"
        let starts = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true),
            Bundle.main.executableURL?.deletingLastPathComponent(),
        ].compactMap { $0 }
        for start in starts {
            var folder = start.standardizedFileURL
            while folder.path != "/" {
                let candidate = folder.appendingPathComponent(relative, isDirectory: true)
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("configs").path) {
                    return candidate
                }
                folder.deleteLastPathComponent()
            }
        }
        return URL(fileURLWithPath: relative, isDirectory: true)
    }
}

import Foundation

/// Unpacks downloaded archives with the system's `gzip`, `tar` and `unzip`.
///
/// These tools exist on every Linux and macOS machine the toolkit targets (`unzip` is only
/// needed for CIFAR10-DVS); calling them avoids a zlib dependency for a step that runs once per
/// dataset. The tool is found through `PATH`.
enum ArchiveExtractor {
    /// Decompresses a `.gz` file to `output`, through a part file so a failure leaves nothing
    /// that looks complete.
    static func gunzip(_ archive: URL, to output: URL) throws {
        let part = Downloader.partURL(for: output)
        _ = FileManager.default.createFile(atPath: part.path, contents: nil)
        let sink = try FileHandle(forWritingTo: part)
        defer { try? sink.close() }
        do {
            try run("gzip", ["-dc", archive.path], archive: archive, stdout: sink)
        } catch {
            try? FileManager.default.removeItem(at: part)
            throw error
        }
        if FileManager.default.fileExists(atPath: output.path) { try FileManager.default.removeItem(at: output) }
        try FileManager.default.moveItem(at: part, to: output)
    }

    /// Unpacks a `.tar.gz` into `directory`.
    static func untar(_ archive: URL, into directory: URL) throws {
        try run("tar", ["-xzf", archive.path, "-C", directory.path], archive: archive)
    }

    /// Unpacks a `.zip` into `directory`.
    static func unzip(_ archive: URL, into directory: URL) throws {
        try run("unzip", ["-q", "-o", archive.path, "-d", directory.path], archive: archive)
    }

    private static func run(_ tool: String, _ arguments: [String], archive: URL, stdout: FileHandle? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let errors = Pipe()
        process.standardError = errors
        if let stdout { process.standardOutput = stdout }
        let command = ([tool] + arguments).joined(separator: " ")
        do {
            try process.run()
        } catch {
            throw DatasetError.extractionFailed(
                archive: archive.path, command: command, reason: "cannot start \(tool): \(error)")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let reason =
                process.terminationStatus == 127
                ? "\(tool) is not installed; install it or unpack the archive by hand"
                : "exit status \(process.terminationStatus): \(text)"
            throw DatasetError.extractionFailed(archive: archive.path, command: command, reason: reason)
        }
    }
}

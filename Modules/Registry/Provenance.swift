import Foundation

/// Which code on which machine produced a run. Collecting it never fails: a field that cannot be
/// read (no git, no /proc) is simply nil, because a missing git must not stop a training run.
public struct Provenance: Sendable, Equatable, Codable {
    public var gitCommit: String?
    public var gitDirty: Bool?
    public var host: String
    public var os: String
    public var cpuModel: String?
    public var cpuCount: Int
    public var memoryBytes: UInt64

    public init(
        gitCommit: String?, gitDirty: Bool?, host: String, os: String, cpuModel: String?, cpuCount: Int,
        memoryBytes: UInt64
    ) {
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.host = host
        self.os = os
        self.cpuModel = cpuModel
        self.cpuCount = cpuCount
        self.memoryBytes = memoryBytes
    }

    /// Collects git state of `directory` (the current directory by default) and this machine's facts.
    public static func collect(directory: URL? = nil) -> Provenance {
        let info = ProcessInfo.processInfo
        let commit = git(["rev-parse", "HEAD"], in: directory)
        let dirty = commit == nil ? nil : git(["status", "--porcelain", "--untracked-files=no"], in: directory)
            .map { !$0.isEmpty }
        return Provenance(
            gitCommit: commit, gitDirty: dirty, host: info.hostName, os: info.operatingSystemVersionString,
            cpuModel: cpuModel(), cpuCount: info.processorCount, memoryBytes: info.physicalMemory)
    }

    /// Runs git and returns its trimmed output, or nil when git is absent or the directory is no repository.
    private static func git(_ arguments: [String], in directory: URL?) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The CPU model from /proc/cpuinfo (Linux); nil elsewhere.
    private static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

import Crypto
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
    /// The data files the run read, with their checksums when it started; nil for runs recorded
    /// before checksums were (and for runs that declare no files).
    public var dataFiles: [DataFileDigest]?

    public init(
        gitCommit: String?, gitDirty: Bool?, host: String, os: String, cpuModel: String?, cpuCount: Int,
        memoryBytes: UInt64, dataFiles: [DataFileDigest]? = nil
    ) {
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.host = host
        self.os = os
        self.cpuModel = cpuModel
        self.cpuCount = cpuCount
        self.memoryBytes = memoryBytes
        self.dataFiles = dataFiles
    }

    /// Collects git state of `directory` (the current directory by default) and this machine's
    /// facts, and the checksums of `dataFiles` (files or folders) when there are any.
    public static func collect(directory: URL? = nil, hashing dataFiles: [URL]) throws -> Provenance {
        var provenance = collect(directory: directory)
        if !dataFiles.isEmpty { provenance.dataFiles = try dataFiles.map(DataFileDigest.of) }
        return provenance
    }

    /// Collects git state of `directory` (the current directory by default) and this machine's facts.
    public static func collect(directory: URL? = nil) -> Provenance {
        let info = ProcessInfo.processInfo
        let commit = git(["rev-parse", "HEAD"], in: directory)
        let dirty =
            commit == nil
            ? nil
            : git(["status", "--porcelain", "--untracked-files=no"], in: directory)
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

/// A data file's (or data folder's) SHA-256, so a report can say which data its numbers came from.
public struct DataFileDigest: Sendable, Equatable, Codable {
    public var path: String
    /// Of the file's bytes; for a folder, of the lines "<relative path> <SHA-256 of the file>"
    /// of every regular file under it, sorted by path.
    public var sha256: String
    public var bytes: Int64

    public init(path: String, sha256: String, bytes: Int64) {
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
    }

    /// Hashes `url`; a file already hashed by this process, unchanged in size and modification
    /// time, is not read again (a search worker trains many runs on the same files).
    public static func of(_ url: URL) throws -> DataFileDigest {
        let path = url.standardizedFileURL.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw RegistryError.artifactUnreadable(path: path, reason: "no such data file or folder")
        }
        guard isFolder.boolValue else {
            let digest = try cachedHash(path)
            return DataFileDigest(path: path, sha256: digest.sha256, bytes: digest.bytes)
        }
        guard let walker = FileManager.default.enumerator(atPath: path) else {
            throw RegistryError.artifactUnreadable(path: path, reason: "cannot list the folder")
        }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            var isSubfolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &isSubfolder)
            if exists && !isSubfolder.boolValue { files.append(relative) }
        }
        var listing = ""
        var bytes: Int64 = 0
        for relative in files.sorted() {
            let digest = try cachedHash(path + "/" + relative)
            listing += "\(relative) \(digest.sha256)\n"
            bytes += digest.bytes
        }
        let sha256 = SHA256.hash(data: Data(listing.utf8)).map { String(format: "%02x", $0) }.joined()
        return DataFileDigest(path: path, sha256: sha256, bytes: bytes)
    }

    private static let cache = HashCache()

    private static func cachedHash(_ path: String) throws -> (sha256: String, bytes: Int64) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let key = "\(path)|\(size)|\(modified)"
        if let known = cache.value(key) { return known }
        let artifact = try RunRegistry.hashFile(kind: "data", path: path)
        cache.store(key, (artifact.sha256, artifact.bytes))
        return (artifact.sha256, artifact.bytes)
    }
}

/// Checksums already computed by this process, by path, size and modification time.
private final class HashCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (sha256: String, bytes: Int64)] = [:]

    func value(_ key: String) -> (sha256: String, bytes: Int64)? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func store(_ key: String, _ value: (sha256: String, bytes: Int64)) {
        lock.lock()
        defer { lock.unlock() }
        entries[key] = value
    }
}

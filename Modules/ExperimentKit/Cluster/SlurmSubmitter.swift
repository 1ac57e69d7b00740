import Foundation

/// Submits batch scripts with the `sbatch` found on a PATH.
///
/// The environment is explicit so the job gets exactly the variables it is given (sbatch
/// passes the submitting environment on to the tasks: `SNN_DATA_DIR`, `SNN_REGISTRY`, …), and
/// so tests can put a fake `sbatch` first on the PATH of the child process alone.
public struct SlurmSubmitter: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The first executable `sbatch` in the environment's PATH, or nil.
    public var sbatch: URL? {
        let directories = (environment["PATH"] ?? "").split(separator: ":", omittingEmptySubsequences: true)
        return directories.map { URL(fileURLWithPath: String($0)).appendingPathComponent("sbatch") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs `sbatch script` and returns the job id it reports; what sbatch writes to standard
    /// error besides (warnings) goes to `warnings`. Throws `ClusterError` when there is no
    /// sbatch, when it fails (with its error output), or when it names no job.
    public func submit(script: URL, warnings: (String) -> Void = { _ in }) throws -> String {
        guard let sbatch else { throw ClusterError.sbatchNotFound(script: script.path) }
        let process = Process()
        process.executableURL = sbatch
        process.arguments = [script.path]
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // sbatch writes a line or two, far less than a pipe holds, so reading one pipe and then
        // the other cannot leave it blocked on a full one.
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ClusterError.sbatchFailed(
                status: process.terminationStatus, errorOutput: errorText, script: script.path)
        }
        if !errorText.isEmpty { warnings(errorText) }
        guard let id = Self.jobID(in: printed) else {
            throw ClusterError.noJobID(
                output: printed.trimmingCharacters(in: .whitespacesAndNewlines), script: script.path)
        }
        return id
    }

    /// The id in sbatch's `Submitted batch job 4242` (optionally followed by ` on cluster X`).
    static func jobID(in output: String) -> String? {
        let marker = "Submitted batch job "
        for line in output.split(separator: "\n") {
            guard let range = line.range(of: marker) else { continue }
            let id = line[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
            if !id.isEmpty { return String(id) }
        }
        return nil
    }
}

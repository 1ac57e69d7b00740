/// Why a study cannot be sent to a cluster, naming the study, registry, option or script at fault.
public enum ClusterError: Error, Equatable, CustomStringConvertible {
    case unknownStudy(study: String, registry: String)
    /// The study was created by a command that records no worker command (or by an older build).
    case noWorkerCommand(study: String, registry: String)
    /// An option's value (or the worker command) that no job array can use, and why.
    case invalidOption(String, String, String)
    case sbatchNotFound(script: String)
    case sbatchFailed(status: Int32, errorOutput: String, script: String)
    /// sbatch succeeded but printed no `Submitted batch job N` line.
    case noJobID(output: String, script: String)

    public var description: String {
        switch self {
        case .unknownStudy(let study, let registry):
            return
                "no study named '\(study)' in registry \(registry) (snn studies list --registry \(registry) shows them)"
        case .noWorkerCommand(let study, let registry):
            return
                "study '\(study)' in registry \(registry) records no worker command; rerun the command that created it "
                + "(e.g. `snn-shd search … --enqueue-only`) with this build so it records one"
        case .invalidOption(let option, let value, let reason):
            return "\(option) '\(value)': \(reason)"
        case .sbatchNotFound(let script):
            return "sbatch not found on PATH; nothing was submitted. The job script is at \(script): "
                + "run `sbatch \(script)` on a machine with Slurm"
        case .sbatchFailed(let status, let errorOutput, let script):
            return "sbatch \(script) failed with exit status \(status): \(errorOutput)"
        case .noJobID(let output, let script):
            return "sbatch \(script) printed no job id (expected 'Submitted batch job N'): \(output)"
        }
    }
}

import Checkpoint
import Foundation
import NN
import Registry

/// The run a `--resume` continues and the checkpoint it continues from.
public struct ResumePoint: Sendable {
    public var run: RunID
    /// The run's last recorded checkpoint.
    public var checkpoint: URL

    /// Finds the last checkpoint of `run`, which must have stopped (failed or interrupted) and
    /// must still have that file at its recorded size.
    public static func locate(_ run: RunID, in registry: RunRegistry) throws -> ResumePoint {
        let record = try registry.run(run)
        switch record.status {
        case .completed: throw ResumeError.alreadyCompleted(run)
        case .running: throw ResumeError.stillRunning(run, pid: record.pid, host: record.provenance.host)
        case .failed, .interrupted: break
        }
        return ResumePoint(run: run, checkpoint: try lastCheckpoint(of: run, in: registry))
    }

    /// The last checkpoint `run` recorded, whatever its status (a completed run's final network,
    /// e.g. for analyses after training), if the file is still there at its recorded size.
    public static func lastCheckpoint(of run: RunID, in registry: RunRegistry) throws -> URL {
        guard let artifact = try registry.artifacts(of: run).last(where: { $0.kind == TrainingLoop.checkpointKind })
        else {
            throw ResumeError.noCheckpoint(run)
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: artifact.path)
        guard let size = (attributes?[.size] as? NSNumber)?.int64Value else {
            throw ResumeError.checkpointMissing(run, path: artifact.path)
        }
        guard size == artifact.bytes else {
            throw ResumeError.checkpointChanged(
                run, path: artifact.path, recordedBytes: artifact.bytes, actualBytes: size)
        }
        return URL(fileURLWithPath: artifact.path)
    }

    /// The config the run was started with, as stored in the registry.
    public static func storedConfig<Config: Codable & Sendable>(
        _ type: Config.Type, of run: RunID, in registry: RunRegistry
    ) throws -> ResolvedConfig<Config> {
        let record = try registry.run(run)
        let source = "run \(run)"
        let tree: JSONValue
        do {
            tree = try JSONValue.parse(Data(record.configJSON.utf8))
        } catch {
            throw ConfigError(source: source, message: "the stored config is not valid JSON")
        }
        let (value, json) = try ConfigLoader.decode(type, from: tree, source: source)
        return ResolvedConfig(value: value, json: json, preset: record.preset, source: source)
    }

    /// Loads the checkpoint into the experiment's model and optimizer; returns the epoch it ended.
    func restore(into experiment: some Experiment) throws -> Int {
        let metadata = try Checkpoint.load(into: experiment.model, optimizer: experiment.optimizer, from: checkpoint)
        guard metadata[TrainingLoop.runKey] == run.description,
            let epoch = metadata[TrainingLoop.epochKey].flatMap(Int.init)
        else { throw ResumeError.foreignCheckpoint(run, path: checkpoint.path, metadata: metadata) }
        return epoch
    }
}

import ExperimentKit
import Foundation
import ImageExperiment
import Registry
import XCTest

/// The repository root, found from this file's path, so tests do not depend on the working directory.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh directory under the system temp folder, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("image-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// The paper with its presets read from this checkout.
func checkedOut(_ paper: ImagePaper) -> ImagePaper {
    var paper = paper
    paper.directory = repositoryRoot.appendingPathComponent("papers/\(paper.id)", isDirectory: true)
    return paper
}

/// The smoke preset of `paper` with `overrides` (`key.path=value`).
func smokeConfig(_ paper: ImagePaper, _ overrides: [String] = []) throws -> ResolvedConfig<ImageConfig> {
    try ConfigLoader.load(
        ImageConfig.self, from: .preset(name: "smoke", experiment: ImagePaper.experiment, directory: checkedOut(paper).presets),
        overrides: overrides.map { try ConfigOverride(parsing: $0) })
}

/// Fixed provenance, so tests neither depend on git nor spawn it for every run.
let testProvenance = Provenance(
    gitCommit: "0123456789abcdef0123456789abcdef01234567", gitDirty: false, host: "test-host", os: "TestOS",
    cpuModel: "Test CPU", cpuCount: 2, memoryBytes: 1 << 30)

/// Trains the smoke preset of `paper` with `overrides` into `registry`; returns the run's summary.
@discardableResult
func trainSmoke(
    _ paper: ImagePaper, _ overrides: [String], registry: RunRegistry, directory: URL
) throws -> TrainingSummary {
    let config = try smokeConfig(paper, overrides)
    let experiment = try ImageExperiment(config: config.value, context: ExperimentContext(dataDirectory: directory.appendingPathComponent("data")))
    let loop = TrainingLoop(
        registry: registry, outputDirectory: directory.appendingPathComponent("checkpoints"),
        progress: ProgressReporter(style: .quiet), interrupt: InterruptFlag())
    var spec = checkedOut(paper).runner.spec(for: config, neuron: experiment.neuron)
    spec.provenance = testProvenance
    return try loop.run(experiment, start: .new(spec))
}

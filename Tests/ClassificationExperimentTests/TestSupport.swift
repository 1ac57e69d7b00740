import ClassificationExperiment
import ExperimentKit
import Foundation
import Registry
import RegistryFixtures
import TestSupport
import XCTest

/// The repository root, found from this file's path, so tests do not depend on the working directory.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The paper with its presets read from this checkout.
func checkedOut(_ paper: ImagePaper) -> ImagePaper {
    var paper = paper
    paper.directory = repositoryRoot.appendingPathComponent("papers/\(paper.id)", isDirectory: true)
    return paper
}

/// The smoke preset of `paper` with `overrides` (`key.path=value`).
func smokeConfig(_ paper: ImagePaper, _ overrides: [String] = []) throws -> ResolvedConfig<ImageConfig> {
    try ConfigLoader.load(
        ImageConfig.self,
        from: .preset(name: "smoke", experiment: ImagePaper.experiment, directory: checkedOut(paper).presets),
        overrides: overrides.map { try ConfigOverride(parsing: $0) })
}

/// Trains the smoke preset of `paper` with `overrides` into `registry`; returns the run's summary.
@discardableResult
func trainSmoke(
    _ paper: ImagePaper, _ overrides: [String], registry: RunRegistry, directory: URL
) throws -> TrainingSummary {
    try train(paper, try smokeConfig(paper, overrides), registry: registry, directory: directory)
}

/// Trains `variant` of the smoke protocol with `seed` exactly as a `reproduce --set …` worker
/// would (the `--set` options first, then the variant's overrides), so the report's
/// `writeReport(…, overrides: options)` takes the run into the variant's row.
@discardableResult
func trainVariant(
    _ paper: ImagePaper, _ variant: String, options overrides: [String] = [], seed: Int = 1, registry: RunRegistry,
    directory: URL
) throws -> TrainingSummary {
    let plan = try checkedOut(paper).plan(preset: "smoke")
    let entry = try XCTUnwrap(plan.variants.first { $0.name == variant }, "no smoke variant \(variant)")
    let options = try ExperimentOptions.parse(["--preset", "smoke"] + overrides.flatMap { ["--set", $0] })
    let parameters = entry.set.merging(["variant": .string(variant), "seed": .int(seed)]) { _, new in new }
    let config = try checkedOut(paper).runner.trialConfig(parameters, options: options)
    return try train(paper, config, registry: registry, directory: directory)
}

private func train(
    _ paper: ImagePaper, _ config: ResolvedConfig<ImageConfig>, registry: RunRegistry, directory: URL
) throws -> TrainingSummary {
    let experiment = try ImageExperiment(
        config: config.value, context: ExperimentContext(dataDirectory: directory.appendingPathComponent("data")))
    let loop = TrainingLoop(
        registry: registry, outputDirectory: directory.appendingPathComponent("checkpoints"),
        progress: ProgressReporter(style: .quiet), interrupt: InterruptFlag())
    var spec = try checkedOut(paper).runner.spec(
        for: config, neuron: experiment.neuron, dataFiles: experiment.dataFiles)
    // Fixed code provenance; the data checksums are the ones recorded at run start.
    let dataFiles = spec.provenance?.dataFiles
    spec.provenance = testProvenance
    spec.provenance?.dataFiles = dataFiles
    return try loop.run(experiment, start: .new(spec))
}

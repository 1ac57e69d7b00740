import ExperimentKit
import Foundation
import Registry
import Reporting

/// What differs between the two papers that share this experiment: their name, their presets,
/// and how their report reads the registry.
public struct ImagePaper: Sendable {
    /// The registry's paper column and the folder under `papers/`.
    public var id: String
    /// The report's title.
    public var title: String
    /// The report's sections for the runs of one preset, given its protocol and base config.
    public var sections: @Sendable (ImageReport, ReproductionPlan, ImageConfig) throws -> [ReportSection]

    /// The registry's experiment column and the presets' prefix (`cifar.<preset>.json`).
    public static let experiment = "cifar"

    /// This paper's folder, `papers/<id>` of the checkout (found from any folder of it).
    public var directory: URL

    public init(
        id: String, title: String,
        sections: @escaping @Sendable (ImageReport, ReproductionPlan, ImageConfig) throws -> [ReportSection]
    ) {
        self.id = id
        self.title = title
        self.sections = sections
        directory = PaperDirectory.locate(id)
    }

    /// `papers/<id>/configs`.
    public var presets: URL { directory.appendingPathComponent("configs", isDirectory: true) }

    public var runner: ExperimentRunner<ImageExperiment> {
        ExperimentRunner(experiment: Self.experiment, paper: id, presets: presets)
    }

    /// The protocol of `preset`.
    public func plan(preset: String) throws -> ReproductionPlan {
        try ConfigLoader.load(
            ReproductionPlan.self, from: .preset(name: preset, experiment: "protocol", directory: presets)
        ).value
    }

    /// Writes `<directory>/<id>/RESULTS.md` and its figures from the runs of `preset` made with
    /// the command-line `overrides` (`--set`, as given to `reproduce`): each variant's table row
    /// takes the runs whose resolved config is the one its workers run.
    @discardableResult
    public func writeReport(
        registry: RunRegistry, preset: String, overrides: [String] = [], directory: URL
    ) throws -> URL {
        let options = try ExperimentOptions.parse(["--preset", preset] + overrides.flatMap { ["--set", $0] })
        let plan = try plan(preset: preset)
        var fingerprints: [String: String] = [:]
        var datasets: [String: String] = [:]
        for variant in plan.variants {
            let parameters = variant.set.merging(["variant": .string(variant.name)]) { _, name in name }
            let config = try runner.trialConfig(parameters, options: options)
            fingerprints[variant.name] = try ConfigFingerprint.of(configJSON: config.json)
            datasets[variant.name] = config.value.data.dataset
        }
        let report = ImageReport(
            registry: registry, paper: id, preset: preset, directory: directory.appendingPathComponent(id),
            fingerprints: fingerprints, datasets: datasets)
        let base = try ConfigLoader.load(
            ImageConfig.self, from: .preset(name: preset, experiment: Self.experiment, directory: presets),
            overrides: try options.configOverrides()
        ).value
        let sections = try self.sections(report, plan, base)
        let synthetic = plan.variants.map(\.name).filter(report.isSynthetic)
        let names = Set(synthetic.compactMap { datasets[$0] }).sorted().map { "`\($0)`" }.joined(separator: ", ")
        let banner =
            synthetic.isEmpty
            ? nil
            : ReportGenerator.syntheticDataBanner(
                data: "synthetic data (\(names), \(synthetic.count) of \(plan.variants.count) variants)")
        let tabled = try plan.variants.flatMap { try report.summary($0.name).runs }
        return try ReportGenerator(registry: registry).write(
            paper: id, title: "\(title) — results (\(preset) preset)", sections: sections, banner: banner,
            tabled: tabled, papersDirectory: directory)
    }
}

import ExperimentKit
import Foundation
import Registry

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

    public init(id: String, title: String, sections: @escaping @Sendable (ImageReport, ReproductionPlan, ImageConfig) throws -> [ReportSection]) {
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
        try ConfigLoader.load(ReproductionPlan.self, from: .preset(name: preset, experiment: "protocol", directory: presets)).value
    }

    /// Writes `<directory>/<id>/RESULTS.md` and its figures from the runs of `preset`.
    @discardableResult
    public func writeReport(registry: RunRegistry, preset: String, directory: URL) throws -> URL {
        let report = ImageReport(registry: registry, paper: id, preset: preset, directory: directory.appendingPathComponent(id))
        let base = try ConfigLoader.load(ImageConfig.self, from: .preset(name: preset, experiment: Self.experiment, directory: presets)).value
        let sections = try self.sections(report, try plan(preset: preset), base)
        return try ReportGenerator(registry: registry).write(
            paper: id, title: "\(title) — results (\(preset) preset)", sections: sections, papersDirectory: directory)
    }
}

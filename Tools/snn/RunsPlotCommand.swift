import ArgumentParser
import Foundation
import Plot
import Registry

extension RunsCommand {
    /// `snn runs plot`: training curves of any runs, straight from the registry, as the same
    /// PNG + SVG + PDF + CSV the reproductions write, so a curve in a paper traces back to its runs.
    struct PlotCurves: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plot",
            abstract: "Plot metrics of runs over epochs (PNG, with SVG, PDF and CSV beside it).",
            discussion: """
                Each (run, metric) pair is one curve over the epochs at which the metric was logged. \
                Metrics are named split/name as `snn runs show` lists them (e.g. test/accuracy).
                """)

        @OptionGroup var registry: RegistryOption
        @Argument(help: "The runs' ids.") var ids: [Int64]
        @Option(help: "A metric as split/name (e.g. test/accuracy); repeatable.") var metric: [String] = [
            "test/accuracy"
        ]
        @Option(name: [.short, .long], help: "The PNG to write; .svg, .pdf and .csv go beside it.")
        var output: String
        @Option(help: "The figure's title.") var title: String?

        func validate() throws {
            guard !ids.isEmpty else { throw ValidationError("name at least one run id") }
            guard output.hasSuffix(".png") else { throw ValidationError("--output must end in .png, got \(output)") }
        }

        func run() throws {
            let registry = try registry.open()
            var series: [LineSeries] = []
            for id in ids {
                let run = try registry.run(RunID(id))
                let points = try registry.metrics(of: run.id)
                for name in metric {
                    let key = try MetricKey(parsing: name)
                    let curve = points.filter { $0.split == key.split && $0.name == key.name }
                        .compactMap { point in point.epoch.map { (Double($0), point.value) } }
                        .sorted { $0.0 < $1.0 }
                    guard !curve.isEmpty else {
                        let known = Set(points.filter { $0.epoch != nil }.map { "\($0.split)/\($0.name)" }).sorted()
                        let shown = known.prefix(12).joined(separator: ", ")
                        let more = known.count > 12 ? " … (\(known.count - 12) more: snn runs show \(id))" : ""
                        throw ValidationError("run \(id) logged no per-epoch metric '\(name)'; it has: \(shown)\(more)")
                    }
                    let label = metric.count == 1 ? "run \(id) (\(run.neuron ?? run.experiment))" : "run \(id) \(name)"
                    series.append(LineSeries(name: label, x: curve.map(\.0), y: curve.map(\.1)))
                }
            }
            let yLabel = metric.count == 1 ? metric[0] : "value"
            try LinePlot(series: series, title: title, xLabel: "epoch", yLabel: yLabel).save(to: output)
            print("wrote \(output) (and .svg, .pdf, .csv beside it)")
        }
    }
}

extension MetricKey {
    /// `split/name`, the form `snn runs show` prints; the name may itself contain slashes.
    init(parsing text: String) throws {
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex, slash != text.index(before: text.endIndex)
        else { throw ValidationError("--metric must be split/name (e.g. test/accuracy), got '\(text)'") }
        self.init(split: String(text[..<slash]), name: String(text[text.index(after: slash)...]))
    }
}

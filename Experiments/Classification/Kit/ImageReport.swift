import Foundation
import Plot
import Registry
import Reporting

/// Reads one paper's runs of one preset from the registry and turns them into the claims,
/// tables and figures of its RESULTS.md. Every number comes from a completed registry run whose
/// resolved config is the variant's (`ConfigFingerprint`): the preset with the variant's
/// overrides, as the protocol's workers run it.
public struct ImageReport {
    public let registry: RunRegistry
    public let paper: String
    public let preset: String
    /// Where RESULTS.md goes; figures go to its `figures/` subfolder.
    public let directory: URL
    /// Each variant's resolved config (without the seed), as `ConfigFingerprint`, and its dataset.
    public let fingerprints: [String: String]
    public let datasets: [String: String]

    public init(
        registry: RunRegistry, paper: String, preset: String, directory: URL, fingerprints: [String: String],
        datasets: [String: String]
    ) {
        self.registry = registry
        self.paper = paper
        self.preset = preset
        self.directory = directory
        self.fingerprints = fingerprints
        self.datasets = datasets
    }

    /// The completed runs of `variant` with the variant's resolved config, one metric each. A name
    /// the protocol does not have selects no run.
    public func query(_ variant: String, split: String = "test", name: String = "accuracy") -> MetricQuery {
        MetricQuery(
            paper: paper, experiment: ImagePaper.experiment, fingerprint: fingerprints[variant] ?? "no such variant",
            split: split, name: name)
    }

    /// Whether `variant` trains on generated data (`synthetic-*`), which cannot judge the paper's numbers.
    public func isSynthetic(_ variant: String) -> Bool { datasets[variant]?.hasPrefix("synthetic") ?? false }

    public func summary(_ variant: String, split: String = "test", name: String = "accuracy") throws -> MetricSummary {
        try registry.summarize(query(variant, split: split, name: name))
    }

    /// "`variant` is better than `baseline`" on one metric, judged by `SeedComparison` (the mean
    /// difference beyond 2 standard errors, ≥ 2 seeds a side); the report prints each side's seed
    /// std and the minimal detectable difference next to the verdict. The baseline's numbers are
    /// looked up now and printed in the rule.
    public func comparison(
        _ id: String, _ text: String, paperValue: Double = .nan, variant: String, baseline: String,
        split: String = "test", name: String = "accuracy", lowerIsBetter: Bool = false, decimals: Int = 4
    ) throws -> Claim {
        let reference = try summary(baseline, split: split, name: name)
        let shown =
            reference.mean.map { mean in
                String(format: "%.\(decimals)f ± %.\(decimals)f, n = %d", mean, reference.std ?? 0, reference.n)
            } ?? "no completed run"
        let rule = ComparisonRule.beats(
            baseline: query(baseline, split: split, name: name),
            description: "\(lowerIsBetter ? "below" : "above") \(baseline) (\(shown)) by more than 2 standard errors",
            lowerIsBetter: lowerIsBetter)
        return Claim(
            id: id, text: text, paperValue: paperValue, query: query(variant, split: split, name: name), rule: rule,
            decimals: decimals)
    }

    /// A markdown table of every variant: final test accuracy and loss, mean ± std over seeds.
    public func variantTable(_ variants: [String]) throws -> String {
        var lines = [
            "| Variant | test accuracy | test loss | train accuracy | n |", "| --- | ---: | ---: | ---: | ---: |",
        ]
        for variant in variants {
            let cells = try [("test", "accuracy"), ("test", "loss"), ("train", "accuracy")].map { split, name in
                Self.format(try summary(variant, split: split, name: name))
            }
            lines.append("| \(variant) | \(cells.joined(separator: " | ")) | \(try summary(variant).n) |")
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ summary: MetricSummary) -> String {
        guard let mean = summary.mean else { return "—" }
        return String(format: "%.4f ± %.4f", mean, summary.std ?? 0)
    }

    /// Saves a figure under `figures/` and returns its report entry.
    func save(_ figure: some Figure, file: String, caption: String) throws -> ReportFigure {
        let relative = "figures/\(file)"
        try figure.save(to: directory.appendingPathComponent(relative).path)
        return ReportFigure(path: relative, caption: caption)
    }

    /// Mean ± std test accuracy per epoch of each variant; nil when none has a run.
    public func learningCurves(_ variants: [String], file: String, title: String) throws -> ReportFigure? {
        let series = try variants.compactMap { variant -> LineSeries? in
            let points = try registry.curve(query(variant))
            guard !points.isEmpty else { return nil }
            return LineSeries(
                name: variant, x: points.map { Double($0.position) }, y: points.map { $0.summary.mean ?? .nan },
                std: points.map { $0.summary.std ?? 0 })
        }
        guard !series.isEmpty else { return nil }
        let plot = LinePlot(series: series, title: title, xLabel: "epoch", yLabel: "test accuracy")
        return try save(
            plot, file: file, caption: "\(title): test accuracy per epoch, mean ± std over seeds (\(preset) preset).")
    }

    /// The learnable surrogate's α per time step over training, averaged over layers and seeds.
    public func sharpnessCurves(_ variant: String, steps: Int, file: String) throws -> ReportFigure? {
        var series: [LineSeries] = []
        for step in 0..<steps {
            var byEpoch: [Int: [Double]] = [:]
            var layer = 0
            while true {
                let points = try registry.curve(query(variant, split: "surrogate", name: "layer\(layer).step\(step)"))
                if points.isEmpty { break }
                for point in points { byEpoch[point.position, default: []].append(point.summary.mean ?? .nan) }
                layer += 1
            }
            guard !byEpoch.isEmpty else { continue }
            let epochs = byEpoch.keys.sorted()
            series.append(
                LineSeries(
                    name: "t = \(step)", x: epochs.map { Double($0) },
                    y: epochs.map { byEpoch[$0]!.reduce(0, +) / Double(byEpoch[$0]!.count) }))
        }
        guard !series.isEmpty else { return nil }
        let plot = LinePlot(
            series: series, title: "Learned surrogate sharpness (\(variant))", xLabel: "epoch",
            yLabel: "alpha (mean over layers)")
        return try save(
            plot, file: file,
            caption:
                "Time-step-wise learnable surrogate of \(variant): α per time step after each epoch, mean over layers and seeds."
        )
    }

    /// Membrane-potential histograms of one layer after training, for each variant (mean over seeds).
    public func potentialHistograms(_ variants: [String], layer: Int, file: String) throws -> ReportFigure? {
        let centres = (0..<PotentialHistogram.bins).map(PotentialHistogram.centre)
        let series = try variants.compactMap { variant -> LineSeries? in
            let fractions = try (0..<PotentialHistogram.bins).map { bin in
                try summary(variant, split: "potentials", name: PotentialHistogram.metricName(layer: layer, bin: bin))
                    .mean
            }
            guard fractions.allSatisfy({ $0 != nil }) else { return nil }
            return LineSeries(name: variant, x: centres, y: fractions.map { $0! })
        }
        guard !series.isEmpty else { return nil }
        let plot = LinePlot(
            series: series, title: "Membrane potentials, spiking layer \(layer)", xLabel: "potential H before firing",
            yLabel: "fraction of values")
        return try save(
            plot, file: file,
            caption: "Histogram of the potentials H of spiking layer \(layer) on the first test batch after training "
                + "(bins of \(PotentialHistogram.binWidth), the end bins also count values beyond ±\(PotentialHistogram.range.upperBound)), mean over seeds."
        )
    }

    /// Positive and negative potential mass per layer after training, for each variant.
    public func potentialBalance(_ variants: [String], file: String) throws -> ReportFigure? {
        var layers = 0
        while try summary(variants[0], split: "potentials", name: "layer\(layers).positive").n > 0 { layers += 1 }
        guard layers > 0 else { return nil }
        var series: [BarSeries] = []
        for variant in variants {
            for side in ["positive", "negative"] {
                let values = try (0..<layers).map {
                    try summary(variant, split: "potentials", name: "layer\($0).\(side)").mean ?? .nan
                }
                series.append(BarSeries(name: "\(variant) \(side)", values: values))
            }
        }
        let chart = BarChart(
            categories: (0..<layers).map { "L\($0)" }, series: series, title: "Positive vs negative potential mass",
            xLabel: "spiking layer", yLabel: "mean relu(±H)")
        return try save(
            chart, file: file,
            caption: "Mean positive mass relu(H) and negative mass relu(−H) of the potentials per spiking layer "
                + "on the first test batch after training, mean over seeds.")
    }
}

import Foundation
import Reporting

/// Paper 3 (Zhou et al. 2026): the ablation LIF → CF (fixed surrogate) → CF + time-step-wise
/// learnable surrogate → CF + learnable surrogate + PNB loss on one network and recipe, and LIF
/// vs the full method on a small Spikformer.
///
/// Variant names: `lif`, `cf-fixed`, `cf-learnable`, `cf-learnable-pnb`, `spikformer-lif`,
/// `spikformer-cf-full`. A claim appears when the preset's protocol has its variants.
public enum CircFirePaper: PaperDefinition {
    public static let commandName = "snn-cf"

    public static let paper = ImagePaper(
        id: "zhou2026-circulate-firing",
        title: "Circulate-firing neurons, learnable surrogates, PNB loss (Zhou et al. 2026)",
        sections: { try sections(report: $0, plan: $1, base: $2) })

    /// (id, claim, variant, baseline, metric name, lower is better).
    static let comparisons: [(String, String, String, String, String, Bool)] = [
        ("Z1", "CF neurons beat LIF (both with the fixed surrogate)", "cf-fixed", "lif", "accuracy", false),
        (
            "Z2", "A time-step-wise learnable surrogate improves on the fixed one (CF)", "cf-learnable", "cf-fixed",
            "accuracy", false
        ),
        ("Z3", "The PNB loss improves CF + learnable surrogate", "cf-learnable-pnb", "cf-learnable", "accuracy", false),
        ("Z4", "The full method (CF + learnable SG + PNB) beats LIF", "cf-learnable-pnb", "lif", "accuracy", false),
        (
            "Z5", "The method carries over to a spiking Transformer (small Spikformer: full method vs LIF)",
            "spikformer-cf-full",
            "spikformer-lif", "accuracy", false
        ),
    ]

    static func sections(report: ImageReport, plan: ReproductionPlan, base: ImageConfig) throws -> [ReportSection] {
        let names = Set(plan.variants.map(\.name))
        var claims: [Claim] = []
        for (id, text, variant, baseline, name, lower) in comparisons
        where names.contains(variant) && names.contains(baseline) {
            claims.append(
                try report.comparison(
                    id, text + "; the paper gives no number at this setting", variant: variant,
                    baseline: baseline, name: name, lowerIsBetter: lower))
        }
        var balance: [Claim] = []
        if names.contains("cf-learnable-pnb"), names.contains("cf-learnable") {
            balance.append(
                try report.comparison(
                    "Z6",
                    "The PNB loss balances positive and negative potentials (imbalance Σ_l (mean relu(H) − mean relu(−H))² on test images)",
                    variant: "cf-learnable-pnb", baseline: "cf-learnable", split: "potentials", name: "imbalance",
                    lowerIsBetter: true))
        }
        let variants = plan.variants.map(\.name)
        let convolutional = variants.filter { !$0.hasPrefix("spikformer") && !CircFireSettings.isSetting($0) }
        let transformer = variants.filter { $0.hasPrefix("spikformer") }
        var figures: [ReportFigure] = []
        if let figure = try report.learningCurves(
            convolutional, file: "learning-curves-ablation.png", title: "Ablation (\(base.model.architecture))")
        {
            figures.append(figure)
        }
        if let figure = try report.learningCurves(
            transformer, file: "learning-curves-spikformer.png", title: "Small Spikformer")
        {
            figures.append(figure)
        }
        if names.contains("cf-learnable"),
            let figure = try report.sharpnessCurves(
                "cf-learnable", steps: base.timesteps, file: "surrogate-sharpness.png")
        {
            figures.append(figure)
        }
        var potentialFigures: [ReportFigure] = []
        let pair = ["cf-learnable", "cf-learnable-pnb"].filter(names.contains)
        if !pair.isEmpty {
            if let figure = try report.potentialHistograms(pair, layer: 1, file: "potential-histogram.png") {
                potentialFigures.append(figure)
            }
            if let figure = try report.potentialBalance(pair, file: "potential-balance.png") {
                potentialFigures.append(figure)
            }
        }
        let setup =
            "Protocol `protocol.\(report.preset).json`: \(plan.variants.count) variants × seeds \(plan.seeds.map(String.init).joined(separator: ", ")); "
            + "network `\(base.model.architecture)` (width \(base.model.width)), T = \(base.timesteps), \(base.data.dataset), "
            + "\(base.training.epochs) epochs, \(base.training.optimizer) lr \(base.training.learningRate) cosine, loss \(base.training.loss). "
            + "Accuracies are fractions on the test images the preset uses, at the last epoch. The paper gives no CIFAR-10 "
            + "number; its own numbers (CIFAR10-DVS 87 %, SST-2 81.31 %, from an aggregator, architecture and T unknown) are "
            + "compared in the CIFAR10-DVS and SST-2 sections, so the claims here are the ablation's orderings, which the abstract states."
        return [
            ReportSection(
                title: "Ablation and Transformer carry-over", claims: claims, figures: figures,
                note: setup + "\n\n" + (try report.variantTable(variants.filter { !CircFireSettings.isSetting($0) }))),
            ReportSection(
                title: "Positive-negative balance of membrane potentials", claims: balance, figures: potentialFigures,
                note: try pnbSweep(report: report, plan: plan, base: base)),
        ] + (try CircFireSettings.sections(report: report, plan: plan, base: base))
    }

    /// The PNB weights the protocol tries on the CNN with CF + learnable surrogate (λ = 0 is
    /// `cf-learnable`), by validation accuracy; the claims use `cf-learnable-pnb`'s λ.
    static func pnbSweep(report: ImageReport, plan: ReproductionPlan, base: ImageConfig) throws -> String? {
        let swept = plan.variants.filter { $0.name == "cf-learnable" || $0.name.hasPrefix("cf-learnable-pnb") }
        guard swept.count > 2 else { return nil }
        var rows = ["| λ | variant | validation accuracy | n |", "| ---: | --- | ---: | ---: |"]
        var best: (lambda: String, accuracy: Double)?
        for variant in swept {
            let lambda = variant.set["training.pnbWeight"]?.description ?? String(base.training.pnbWeight)
            let summary = try report.summary(variant.name, split: "val")
            rows.append("| \(lambda) | \(variant.name) | \(ImageReport.format(summary)) | \(summary.n) |")
            if let mean = summary.mean, mean > (best?.accuracy ?? -1) { best = (lambda, mean) }
        }
        let verdict =
            best.map { "Best validation accuracy at λ = \($0.lambda)." }
            ?? "No validation accuracy yet (the preset has no validation split, or no run has finished)."
        return
            "PNB weight sweep (validation split, never the test set). The claims above use the `cf-learnable-pnb` variant's λ. "
            + verdict + "\n\n" + rows.joined(separator: "\n")
    }
}

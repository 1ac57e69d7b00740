import Foundation
import Reporting

/// Paper 3's two headline settings beyond static images, as extra variants of the same protocol:
/// the ablation ladder on SST-2 with the text Spikformer (`sst2-lif`, `sst2-cf-fixed`,
/// `sst2-cf-learnable`, `sst2-cf-learnable-pnb`) and on CIFAR10-DVS (`dvs-…`, same names).
/// Each ladder gets its claims, a table and learning curves; the text ladder also the learned
/// per-step surrogate sharpness, and "carries over to Transformers" is a claim of its own. The
/// paper's numbers (CIFAR10-DVS ≈ 87 %, SST-2 81.31 %, from an aggregator) are compared only
/// when the variant ran on the real dataset.
enum CircFireSettings {
    /// (prefix, setting name, real dataset, paper's test accuracy).
    static let settings: [(String, String, String, Double)] = [
        ("sst2", "SST-2, text Spikformer", "sst2", 0.8131),
        ("dvs", "CIFAR10-DVS", "cifar10-dvs", 0.87),
    ]

    /// Whether `variant` belongs to one of these settings (the CIFAR sections leave it out).
    static func isSetting(_ variant: String) -> Bool { settings.contains { variant.hasPrefix($0.0 + "-") } }

    static func sections(report: ImageReport, plan: ReproductionPlan, base: ImageConfig) throws -> [ReportSection] {
        var sections: [ReportSection] = []
        for (prefix, title, realDataset, paperAccuracy) in settings {
            let variants = plan.variants.filter { $0.name.hasPrefix(prefix + "-") }
            guard !variants.isEmpty else { continue }
            let names = Set(variants.map(\.name))
            func name(_ rung: String) -> String { "\(prefix)-\(rung)" }
            func has(_ rungs: String...) -> Bool { rungs.allSatisfy { names.contains(name($0)) } }
            var claims: [Claim] = []
            let ladder: [(String, String, String, String)] = [
                ("1", "CF neurons beat LIF (both with the fixed surrogate)", "cf-fixed", "lif"),
                (
                    "2", "A time-step-wise learnable surrogate improves on the fixed one (CF)", "cf-learnable",
                    "cf-fixed"
                ),
                ("3", "The PNB loss improves CF + learnable surrogate", "cf-learnable-pnb", "cf-learnable"),
            ]
            let tag = prefix.uppercased()
            for (id, text, variant, baseline) in ladder where has(variant, baseline) {
                claims.append(
                    try report.comparison(
                        "\(tag)\(id)", "\(title): \(text)", variant: name(variant), baseline: name(baseline)))
            }
            if has("cf-learnable-pnb", "lif") {
                let text =
                    prefix == "sst2"
                    ? "The method carries over to Transformers: on the text Spikformer, CF + learnable SG + PNB beats LIF"
                    : "\(title): the full method (CF + learnable SG + PNB) beats LIF"
                claims.append(
                    try report.comparison("\(tag)4", text, variant: name("cf-learnable-pnb"), baseline: name("lif")))
            }
            let full = variants.first { $0.name == name("cf-learnable-pnb") }
            let dataset = full.flatMap { $0.set["data.dataset"]?.description } ?? base.data.dataset
            let real = dataset.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == realDataset
            if full != nil, real {
                claims.append(
                    Claim(
                        id: "\(tag)5",
                        text:
                            "\(title): the full method reaches the paper's test accuracy (aggregator's number; architecture and T unknown)",
                        paperValue: paperAccuracy, query: report.query(name("cf-learnable-pnb")),
                        rule: .atLeast(margin: 0.01), decimals: 4))
            }
            var figures: [ReportFigure] = []
            let ordered = variants.map(\.name)
            if let figure = try report.learningCurves(ordered, file: "learning-curves-\(prefix).png", title: title) {
                figures.append(figure)
            }
            if prefix == "sst2", let learnable = variants.first(where: { $0.name == name("cf-learnable") }) {
                let steps = learnable.set["timesteps"].flatMap { Int($0.description) } ?? base.timesteps
                if let figure = try report.sharpnessCurves(
                    learnable.name, steps: steps, file: "surrogate-sharpness-sst2.png")
                {
                    figures.append(figure)
                }
            }
            let paperNote =
                real
                ? "The paper's number is compared (claim \(tag)5) because these runs use the real dataset."
                : "These runs use `\(dataset)` (synthetic), so the paper's \(String(format: "%.2f", paperAccuracy * 100)) % is not compared."
            let overrides =
                variants.first.map { v in
                    v.set.filter { !$0.key.hasPrefix("neuron.") && $0.key != "training.pnbWeight" }.sorted {
                        $0.key < $1.key
                    }
                    .map { "`\($0.key)=\($0.value.description)`" }.joined(separator: ", ")
                } ?? ""
            let note =
                "Variants `\(prefix)-*` of `protocol.\(report.preset).json` over the base preset with \(overrides); seeds "
                + plan.seeds.map(String.init).joined(separator: ", ") + ". " + paperNote + "\n\n"
                + (try report.variantTable(ordered))
            sections.append(ReportSection(title: title, claims: claims, figures: figures, note: note))
        }
        return sections
    }
}

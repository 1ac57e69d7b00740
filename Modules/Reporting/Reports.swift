// Reporting: what a paper's claims become in our runs. Claims and their rules, verdicts, the
// seed-noise comparison, the RESULTS.md generator and plain-text tables live here, on top of
// Registry, which keeps storage only. File by file:
// - Reports.swift (claims, rules, verdicts, the markdown report), SeedComparison.swift (the
//   "A beats B" rule and the errors a report raises), TextTable.swift (terminal tables): they judge
//   or lay out stored numbers and store nothing, so they moved here.
// - Registry keeps MetricSummary.swift (`MetricQuery`, `summarize`, `curve`): picking one run per
//   seed is a query over the stored rows, written in SQL against the store's dialect, and
//   `MetricSummary` is what that query returns.
// - Registry keeps Export.swift (CSV/JSON of runs) and Snapshot.swift (every row, for migration):
//   they copy stored rows out as they are, judging nothing.
import Foundation
import Registry

/// What became of a paper's claim in our runs.
public enum Verdict: String, Sendable, Equatable, CaseIterable {
    case reproduced = "reproduced"
    case notReproduced = "not reproduced"
    /// Some of the claim's measures agree, others do not.
    case partly = "partly"
    /// The runs cannot tell: a single seed, or a difference within seed noise.
    case inconclusive = "inconclusive"
    /// A property of our method that is checked rather than reproduced (exact gradients).
    case holds = "holds"
    case checkFailed = "check failed"
    /// A claim about the paper's absolute numbers, with runs on synthetic data.
    case notJudgedSyntheticData = "not judged: synthetic data"
    case notYetRun = "not yet run"
}

/// How our summary is held against the paper's number.
public enum ComparisonRule: Sendable {
    /// Our mean lies within `tolerance` of the paper's number, either side.
    case within(Double)
    /// Our mean is at least the paper's number minus `margin` (for accuracies: "as good as claimed").
    case atLeast(margin: Double)
    /// Our mean is at most the paper's number plus `margin` (for losses, error rates, spike counts).
    case atMost(margin: Double)
    /// Any other test, with the sentence the report prints for it.
    case custom(String, @Sendable (_ ours: MetricSummary, _ paper: Double) -> Bool)
    /// Ours is better than the baseline's runs by more than seed noise (`SeedComparison`);
    /// `description` is the sentence the report prints.
    case beats(baseline: MetricQuery, description: String, lowerIsBetter: Bool)
    /// A claim about the paper's own numbers, which runs on synthetic data cannot judge.
    case notJudgedOnSyntheticData

    /// The rule in words, for the report.
    public var description: String {
        switch self {
        case .within(let tolerance): return "within ±\(Claim.format(tolerance)) of the paper"
        case .atLeast(let margin):
            return margin == 0 ? "at least the paper's value" : "at least paper − \(Claim.format(margin))"
        case .atMost(let margin):
            return margin == 0 ? "at most the paper's value" : "at most paper + \(Claim.format(margin))"
        case .custom(let text, _): return text
        case .beats(_, let description, _): return description
        case .notJudgedOnSyntheticData: return "judged on real data only"
        }
    }

    /// Whether ours meets a rule that holds ours against the paper's number (not `beats`, which
    /// `ReportGenerator.evaluate` judges with the baseline's runs).
    func holds(_ ours: MetricSummary, paper: Double) -> Bool {
        guard let mean = ours.mean else { return false }
        switch self {
        case .within(let tolerance): return abs(mean - paper) <= tolerance
        case .atLeast(let margin): return mean >= paper - margin
        case .atMost(let margin): return mean <= paper + margin
        case .custom(_, let test): return test(ours, paper)
        case .beats, .notJudgedOnSyntheticData: return false
        }
    }
}

/// One number a paper claims, and how to find and judge ours.
public struct Claim: Sendable {
    /// A short stable label, e.g. `C1`.
    public var id: String
    /// What the paper says, in words.
    public var text: String
    /// NaN when the paper states the claim without a number (the table shows "—").
    public var paperValue: Double
    public var query: MetricQuery
    public var rule: ComparisonRule
    /// Digits after the decimal point when printing values of this claim.
    public var decimals: Int

    public init(
        id: String, text: String, paperValue: Double, query: MetricQuery, rule: ComparisonRule, decimals: Int = 2
    ) {
        self.id = id
        self.text = text
        self.paperValue = paperValue
        self.query = query
        self.rule = rule
        self.decimals = decimals
    }

    static func format(_ value: Double, decimals: Int? = nil) -> String {
        if let decimals { return String(format: "%.\(decimals)f", value) }
        return value == value.rounded() ? String(format: "%.0f", value) : String(value)
    }
}

/// A claim with our numbers and the verdict.
public struct ClaimResult: Sendable {
    public var claim: Claim
    public var ours: MetricSummary
    public var verdict: Verdict
    /// For a comparison: the baseline's numbers, and each side's seed std with the minimal
    /// detectable difference, printed next to the verdict.
    public var baseline: MetricSummary?
    public var noise: String?
}

/// A figure the report embeds; `path` is relative to the RESULTS.md that shows it.
public struct ReportFigure: Sendable, Equatable {
    public var path: String
    public var caption: String

    public init(path: String, caption: String) {
        self.path = path
        self.caption = caption
    }
}

/// One section of a report: a table of claims, then its figures.
public struct ReportSection: Sendable {
    public var title: String
    public var claims: [Claim]
    public var figures: [ReportFigure]
    /// Free text under the heading (setup, documented choices).
    public var note: String?

    public init(title: String, claims: [Claim], figures: [ReportFigure] = [], note: String? = nil) {
        self.title = title
        self.claims = claims
        self.figures = figures
        self.note = note
    }
}

/// Writes `papers/<paper>/RESULTS.md` from the registry. Generic: the claim lists come from each
/// paper's experiment; this type only evaluates and lays them out. Its output depends on the
/// registry's contents alone (no dates, no absolute paths), so regenerating an unchanged registry
/// gives a byte-identical file that diffs cleanly in review.
public struct ReportGenerator: Sendable {
    public let registry: RunRegistry

    public init(registry: RunRegistry) {
        self.registry = registry
    }

    /// Looks up our numbers for the claim and judges them: no runs is "not yet run", a single
    /// seed "inconclusive" (never "reproduced"), a comparison by `SeedComparison`'s rule.
    public func evaluate(_ claim: Claim) throws -> ClaimResult {
        let ours = try registry.summarize(claim.query)
        let metric = "\(claim.query.split)/\(claim.query.name)"
        switch claim.rule {
        case .beats(let baseline, _, let lowerIsBetter):
            let comparison = try SeedComparison(
                variant: ours, baseline: try registry.summarize(baseline), lowerIsBetter: lowerIsBetter, metric: metric)
            return ClaimResult(
                claim: claim, ours: ours, verdict: comparison.verdict, baseline: comparison.baseline,
                noise: comparison.noise { Claim.format($0, decimals: claim.decimals) })
        case .notJudgedOnSyntheticData:
            return ClaimResult(claim: claim, ours: ours, verdict: ours.n == 0 ? .notYetRun : .notJudgedSyntheticData)
        default:
            if let index = ours.values.firstIndex(where: { !$0.isFinite }) {
                throw ReportError.nonFiniteValue(metric: metric, run: ours.runs[index], value: ours.values[index])
            }
            let verdict: Verdict
            if ours.n == 0 {
                verdict = .notYetRun
            } else if ours.n == 1 {
                verdict = .inconclusive
            } else {
                verdict = claim.rule.holds(ours, paper: claim.paperValue) ? .reproduced : .notReproduced
            }
            return ClaimResult(claim: claim, ours: ours, verdict: verdict)
        }
    }

    /// The report as markdown. `banner`, when given, is quoted under the title (synthetic data);
    /// `tabled` are runs behind the sections' tables and figures beyond the claims' own, for the
    /// provenance section.
    public func markdown(
        paper: String, title: String, sections: [ReportSection], banner: String? = nil, tabled: [RunID] = []
    ) throws -> String {
        let results = try sections.map { section in try section.claims.map(evaluate) }
        let all = results.flatMap { $0 }
        let counted = Verdict.allCases.filter { verdict in
            [.reproduced, .notReproduced, .notYetRun].contains(verdict) || all.contains { $0.verdict == verdict }
        }
        var lines = [
            "# \(title)",
            "",
            "<!-- Generated from the results registry by the report generator; do not edit by hand. -->",
            "",
            "Paper: `\(paper)`. Verdicts: "
                + counted
                .map { verdict in "\(all.filter { $0.verdict == verdict }.count) \(verdict.rawValue)" }
                .joined(separator: ", ") + ".",
            "Ours = mean ± sample std over seeds (n = number of seeds; the newest completed run of each seed).",
        ]
        if let banner { lines += ["", "> " + banner] }
        for (section, sectionResults) in zip(sections, results) {
            lines += ["", "## \(section.title)", ""]
            if let note = section.note { lines += [note, ""] }
            if !sectionResults.isEmpty {
                lines += Self.table(sectionResults)
                lines.append("")
            }
            for figure in section.figures {
                lines += ["![\(figure.caption)](\(figure.path))", "", "*\(figure.caption)*", ""]
            }
            if lines.last == "" { lines.removeLast() }
        }
        let runs = all.flatMap { $0.ours.runs + ($0.baseline?.runs ?? []) } + tabled
        lines += [""] + (try provenance(of: runs))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `<papersDirectory>/<paper>/RESULTS.md` and returns its path.
    @discardableResult
    public func write(
        paper: String, title: String, sections: [ReportSection], banner: String? = nil, tabled: [RunID] = [],
        papersDirectory: URL
    ) throws -> URL {
        let directory = papersDirectory.appendingPathComponent(paper)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("RESULTS.md")
        try markdown(paper: paper, title: title, sections: sections, banner: banner, tabled: tabled)
            .write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The banner of a report made from synthetic data, the same for every paper; `data` says which.
    public static func syntheticDataBanner(data: String) -> String {
        "**Synthetic data.** This report comes from \(data): it shows that the pipeline runs "
            + "end to end. Its verdicts say nothing about the paper's claims."
    }

    /// A "Provenance" section: the code (git commit, and whether the working tree had uncommitted
    /// changes) and the data files (name and SHA-256, recorded when each run started) behind
    /// `runs`, each with the runs it holds for. File names only: absolute paths differ by machine.
    public func provenance(of runs: [RunID]) throws -> [String] {
        let ids = Set(runs).sorted()
        var lines = ["## Provenance", ""]
        guard !ids.isEmpty else { return lines + ["*No runs yet.*"] }
        var code: [String: [RunID]] = [:]
        var data: [String: [RunID]] = [:]
        var unrecorded: [RunID] = []
        for id in ids {
            let provenance = try registry.run(id).provenance
            let tree = provenance.gitDirty.map { $0 ? "uncommitted changes" : "clean" } ?? "unknown"
            code["| `\(provenance.gitCommit ?? "unknown")` | \(tree) |", default: []].append(id)
            guard let files = provenance.dataFiles else {
                unrecorded.append(id)
                continue
            }
            for file in files {
                let name = URL(fileURLWithPath: file.path).lastPathComponent
                data["| `\(name)` | `\(file.sha256)` |", default: []].append(id)
            }
        }
        let list = { (runs: [RunID]) in runs.map(\.description).joined(separator: ", ") }
        lines += ["| Code (git commit) | Working tree | Runs |", "| --- | --- | --- |"]
        lines += code.sorted { $0.key < $1.key }.map { "\($0.key) \(list($0.value)) |" }
        if !data.isEmpty {
            lines += ["", "| Data file | SHA-256 | Runs |", "| --- | --- | --- |"]
            lines += data.sorted { $0.key < $1.key }.map { "\($0.key) \(list($0.value)) |" }
        }
        if !unrecorded.isEmpty {
            lines += [
                "",
                "No data file checksums recorded with runs \(list(unrecorded)) (made before they were recorded, "
                    + "or reading no data files of their own).",
            ]
        }
        return lines
    }

    private static func table(_ results: [ClaimResult]) -> [String] {
        let noise = results.contains { $0.noise != nil }
        var lines = [
            "| Claim | Paper | Ours | n | Rule | Verdict |" + (noise ? " Seed noise (ours vs baseline) |" : ""),
            "| --- | ---: | ---: | ---: | --- | --- |" + (noise ? " --- |" : ""),
        ]
        for result in results {
            let claim = result.claim
            let ours: String
            if let mean = result.ours.mean, let std = result.ours.std {
                ours =
                    "\(Claim.format(mean, decimals: claim.decimals)) ± \(Claim.format(std, decimals: claim.decimals))"
            } else {
                ours = "—"
            }
            let cells =
                [
                    "\(claim.id): \(claim.text)",
                    claim.paperValue.isNaN ? "—" : Claim.format(claim.paperValue, decimals: claim.decimals), ours,
                    String(result.ours.n), claim.rule.description, result.verdict.rawValue,
                ] + (noise ? [result.noise ?? "—"] : [])
            let escaped = cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }
            lines.append("| " + escaped.joined(separator: " | ") + " |")
        }
        return lines
    }
}

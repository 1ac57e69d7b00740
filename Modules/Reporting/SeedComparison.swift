import Foundation
import Registry

/// "A is better than B" judged on one value per seed of each side, by one rule for every paper:
///
/// - either side without runs: not yet run;
/// - either side with a single seed: inconclusive (a single seed cannot tell an effect from noise);
/// - the difference in the claimed direction d > 2·SE, SE = √(s_a²/n_a + s_b²/n_b): reproduced;
/// - d ≤ 0 (no difference, or the other way round): not reproduced;
/// - otherwise (0 < d ≤ 2·SE): inconclusive.
///
/// With it goes the minimal detectable difference MDD = (z_0.975 + z_0.8)·SE: the true
/// difference this many seeds would detect at the 5 % level with 80 % power. A verdict that is
/// not "reproduced" says little about effects below the MDD.
public struct SeedComparison: Sendable, Equatable {
    public var variant: MetricSummary
    public var baseline: MetricSummary
    /// The claim is that the variant's value is lower (losses, imbalances), not higher.
    public var lowerIsBetter: Bool

    /// z_0.975 + z_0.8, the MDD's multiple of the standard error.
    public static let detectableFactor = 1.959_963_984_540_054 + 0.841_621_233_572_914
    /// The difference must exceed this many standard errors.
    public static let significantFactor = 2.0

    /// Throws when a value is not finite: a NaN accuracy must not pass for a number in a verdict.
    public init(variant: MetricSummary, baseline: MetricSummary, lowerIsBetter: Bool = false, metric: String) throws {
        for summary in [variant, baseline] {
            if let index = summary.values.firstIndex(where: { !$0.isFinite }) {
                throw ReportError.nonFiniteValue(metric: metric, run: summary.runs[index], value: summary.values[index])
            }
        }
        self.variant = variant
        self.baseline = baseline
        self.lowerIsBetter = lowerIsBetter
    }

    /// The variant's mean minus the baseline's, signed so that positive supports the claim.
    public var difference: Double? {
        guard let a = variant.mean, let b = baseline.mean else { return nil }
        return lowerIsBetter ? b - a : a - b
    }

    /// √(s_a²/n_a + s_b²/n_b); nil unless both sides have at least two seeds.
    public var standardError: Double? {
        guard variant.n >= 2, baseline.n >= 2, let sa = variant.std, let sb = baseline.std else { return nil }
        return (sa * sa / Double(variant.n) + sb * sb / Double(baseline.n)).squareRoot()
    }

    public var minimalDetectableDifference: Double? { standardError.map { Self.detectableFactor * $0 } }

    public var verdict: Verdict {
        guard variant.n > 0, baseline.n > 0 else { return .notYetRun }
        guard let error = standardError, let difference else { return .inconclusive }
        if difference > Self.significantFactor * error { return .reproduced }
        return difference <= 0 ? .notReproduced : .inconclusive
    }

    /// "seed std 0.0123 (n = 3) vs 0.0100 (n = 3); MDD 0.0250", with `format` for the numbers.
    public func noise(_ format: (Double) -> String) -> String {
        let sides = [variant, baseline].map { side in
            side.std.map { "\(format($0)) (n = \(side.n))" } ?? "— (n = 0)"
        }
        let detectable = minimalDetectableDifference.map(format) ?? "— (needs ≥ 2 seeds a side)"
        return "seed std \(sides[0]) vs \(sides[1]); MDD \(detectable)"
    }
}

/// Registry contents a report cannot judge; the message names the run and the metric.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    case nonFiniteValue(metric: String, run: RunID, value: Double)
    case missingMetric(metric: String, run: RunID)

    public var description: String {
        switch self {
        case .nonFiniteValue(let metric, let run, let value):
            return "run \(run): \(metric) is \(value), not a finite number; a report cannot judge a claim on it"
        case .missingMetric(let metric, let run):
            return "run \(run) has no \(metric); the report needs it (rerun the stage that records it)"
        }
    }
}

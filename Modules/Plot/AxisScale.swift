import Foundation

/// Maps data values on one axis to [0, 1] and chooses its ticks.
public struct AxisScale: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case linear
        /// Base-10 logarithmic; the domain must be positive.
        case log
    }

    public var kind: Kind
    public var lower: Double
    public var upper: Double

    public init(kind: Kind = .linear, lower: Double, upper: Double) {
        self.kind = kind
        self.lower = lower
        self.upper = upper
    }

    /// Where `value` falls between `lower` (0) and `upper` (1).
    public func fraction(_ value: Double) -> Double {
        switch kind {
        case .linear: return (value - lower) / (upper - lower)
        case .log: return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }

    /// A domain that covers `values`. Without padding it ends on nice tick values, so the axis starts
    /// and stops on a labelled tick; with `padding` (a fraction of the data's span, on each side) it
    /// ends just past the data, so markers at the extremes are not cut in half. Non-finite values are
    /// ignored, and on a log axis so are values ≤ 0.
    public static func covering(
        _ values: [Double], kind: Kind = .linear, includeZero: Bool = false, padding: Double = 0, axis: String
    ) throws -> AxisScale {
        if padding > 0 {
            let tight = try covering(values, kind: kind, includeZero: includeZero, axis: axis)
            let data = values.filter { $0.isFinite && (kind == .linear || $0 > 0) } + (includeZero ? [0] : [])
            let (low, high) = (data.min()!, data.max()!)
            switch kind {
            case .linear:
                let pad = high > low ? (high - low) * padding : tight.upper - tight.lower
                return AxisScale(kind: .linear, lower: low - pad, upper: high + pad)
            case .log:
                let pad = max(log10(high / low) * padding, 0.1)
                return AxisScale(kind: .log, lower: low / pow(10, pad), upper: high * pow(10, pad))
            }
        }
        var data = values.filter(\.isFinite)
        switch kind {
        case .linear:
            if includeZero { data.append(0) }
            guard var low = data.min(), var high = data.max() else {
                throw PlotError.empty("no finite value on the \(axis) axis")
            }
            if low == high {
                let pad = low == 0 ? 1 : abs(low) * 0.1
                (low, high) = (low - pad, high + pad)
            }
            let step = niceStep((high - low) / 5)
            return AxisScale(
                kind: .linear, lower: (low / step).rounded(.down) * step, upper: (high / step).rounded(.up) * step)
        case .log:
            data = data.filter { $0 > 0 }
            guard let low = data.min(), let high = data.max() else { throw PlotError.noPositiveValues(axis: axis) }
            var (lowExponent, highExponent) = (log10(low).rounded(.down), log10(high).rounded(.up))
            if lowExponent == highExponent { highExponent += 1 }
            if highExponent - lowExponent < 1 { lowExponent -= 1 }
            return AxisScale(kind: .log, lower: pow(10, lowExponent), upper: pow(10, highExponent))
        }
    }

    /// Tick values inside the domain: steps of 1, 2 or 5 × 10ⁿ giving about `target` ticks on a linear
    /// axis; powers of ten on a log axis (with 2× and 5× between them when it spans few decades).
    public func ticks(target: Int = 6) -> [Double] {
        switch kind {
        case .linear:
            let step = Self.niceStep((upper - lower) / Double(max(target - 1, 1)))
            let first = (lower / step - 1e-9).rounded(.up)
            var ticks: [Double] = []
            var index = first
            while index * step <= upper + step * 1e-9 {
                let value = index * step
                ticks.append(abs(value) < step * 1e-9 ? 0 : value)
                index += 1
            }
            return ticks
        case .log:
            let (low, high) = (Int(log10(lower).rounded(.down)), Int(log10(upper).rounded(.up)))
            let decades = high - low
            let every = max(1, Int((Double(decades) / Double(max(target - 1, 1))).rounded(.up)))
            let multiples: [Double] = decades <= 2 ? [1, 2, 5] : [1]
            var ticks: [Double] = []
            for exponent in stride(from: low, through: high, by: every) {
                for multiple in multiples {
                    let value = multiple * pow(10, Double(exponent))
                    if value >= lower * (1 - 1e-9) && value <= upper * (1 + 1e-9) { ticks.append(value) }
                }
            }
            return ticks
        }
    }

    /// A label for `value` with as many decimals as the tick spacing needs.
    public func label(_ value: Double, ticks: [Double]) -> String {
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude >= 1e5 || magnitude < 1e-3) {
            let exponent = Int(log10(magnitude).rounded(.down))
            let mantissa = value / pow(10, Double(exponent))
            let text =
                abs(mantissa - mantissa.rounded()) < 1e-9
                ? String(Int(mantissa.rounded())) : String(format: "%.1f", mantissa)
            return "\(text)e\(exponent)"
        }
        if kind == .log { return String(format: "%g", value) }
        let step = zip(ticks, ticks.dropFirst()).map { $1 - $0 }.min() ?? 1
        let decimals = max(0, min(6, Int((-log10(step)).rounded(.up))))
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// The smallest of 1, 2, 5 × 10ⁿ at least `rough` (Heckbert's "nice numbers").
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, log10(rough).rounded(.down))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= rough * (1 - 1e-9) {
            return multiple * power
        }
        return 10 * power
    }
}

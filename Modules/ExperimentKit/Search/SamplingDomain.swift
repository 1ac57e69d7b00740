import Foundation
import Registry
import TensorRuntime

/// Where samplers draw a dimension's values: a numeric interval or the indices of the choices.
enum SamplingDomain: Equatable {
    case interval(ClosedRange<Double>)
    case categories(Int)

    /// A point drawn uniformly: anywhere in the interval, or any category index.
    func uniformDraw(using generator: inout SeededRNG) -> Double {
        switch self {
        case .interval(let range):
            return range.lowerBound + generator.nextUnit() * (range.upperBound - range.lowerBound)
        case .categories(let count):
            return Double(min(Int(generator.nextUnit() * Double(count)), count - 1))
        }
    }
}

extension SearchDimension {
    /// The dimension as samplers see it. Log dimensions become intervals of logarithms, so that
    /// uniform draws and Gaussian kernels there treat every decade alike. Integer dimensions
    /// widen by half a step at each end, so that rounding gives every integer a cell of the
    /// same width (in log space for log dimensions, as their draws are).
    var domain: SamplingDomain {
        switch self {
        case .uniform(let lo, let hi): return .interval(lo...hi)
        case .logUniform(let lo, let hi): return .interval(Foundation.log(lo)...Foundation.log(hi))
        case .intUniform(let lo, let hi): return .interval(Double(lo) - 0.5...Double(hi) + 0.5)
        case .logIntUniform(let lo, let hi):
            return .interval(Foundation.log(Double(lo) - 0.5)...Foundation.log(Double(hi) + 0.5))
        case .choice(let values): return .categories(values.count)
        }
    }

    /// The parameter at point `x` of `domain` (a category index for choices), inside the
    /// dimension's bounds even where rounding or floating point would step outside.
    func value(at x: Double) -> ParameterValue {
        switch self {
        case .uniform(let lo, let hi): return .double(min(max(x, lo), hi))
        case .logUniform(let lo, let hi): return .double(min(max(Foundation.exp(x), lo), hi))
        case .intUniform(let lo, let hi): return .int(min(max(Int(x.rounded()), lo), hi))
        case .logIntUniform(let lo, let hi): return .int(min(max(Int(Foundation.exp(x).rounded()), lo), hi))
        case .choice(let values): return values[min(max(Int(x), 0), values.count - 1)]
        }
    }

    /// Where a stored parameter lies in `domain`, or nil when it cannot come from this dimension
    /// (a string for a number, a value not among the choices).
    func point(of value: ParameterValue) -> Double? {
        switch self {
        case .uniform, .intUniform: return value.doubleValue
        case .logUniform, .logIntUniform: return value.doubleValue.flatMap { $0 > 0 ? Foundation.log($0) : nil }
        case .choice(let values): return values.firstIndex { Self.same($0, value) }.map(Double.init)
        }
    }
}

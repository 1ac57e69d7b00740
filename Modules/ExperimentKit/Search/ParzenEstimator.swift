import Foundation
import TensorRuntime

/// A density over an interval built from observed points, one of TPE's l(x) and g(x): an equally
/// weighted mixture of Gaussians, one centred at each observation and one broad prior component
/// over the whole interval, each truncated to the interval.
///
/// A kernel's width is the distance to the farther of the observation's two neighbours, so
/// kernels are narrow where observations crowd and wide where they are sparse. Widths are clipped
/// to at least the interval's width / min(100, n + 1), so a few coinciding observations cannot
/// collapse the density onto a point, and at most the interval's width. The prior component
/// (centred, as wide as the interval) keeps every point possible however the observations lie.
struct GaussianParzenEstimator {
    let range: ClosedRange<Double>
    private(set) var means: [Double]
    private(set) var deviations: [Double]

    init(observations: [Double], over range: ClosedRange<Double>) {
        precondition(
            range.lowerBound < range.upperBound, "GaussianParzenEstimator needs a non-empty interval, got \(range)")
        self.range = range
        let width = range.upperBound - range.lowerBound
        let sorted = observations.map { min(max($0, range.lowerBound), range.upperBound) }.sorted()
        let narrowest = width / Double(min(100, sorted.count + 1))
        means = sorted
        deviations = sorted.indices.map { index in
            let left = index > sorted.startIndex ? sorted[index] - sorted[index - 1] : nil
            let right = index < sorted.endIndex - 1 ? sorted[index + 1] - sorted[index] : nil
            return min(max([left, right].compactMap { $0 }.max() ?? width, narrowest), width)
        }
        means.append((range.lowerBound + range.upperBound) / 2)
        deviations.append(width)
    }

    /// Picks a component uniformly and draws from it, redrawing points outside the interval
    /// (each component keeps at least a third of its mass inside, so this ends quickly).
    func sample(using generator: inout SeededRNG) -> Double {
        let component = min(Int(generator.nextUnit() * Double(means.count)), means.count - 1)
        for _ in 0..<64 {
            let x = means[component] + deviations[component] * generator.nextNormal()
            if range.contains(x) { return x }
        }
        return means[component]
    }

    /// The log of the mixture's density at `x`, summed in log space so far tails do not
    /// underflow to log(0).
    func logDensity(_ x: Double) -> Double {
        let terms = zip(means, deviations).map { mean, deviation in
            let z = (x - mean) / deviation
            let mass =
                normalCDF((range.upperBound - mean) / deviation) - normalCDF((range.lowerBound - mean) / deviation)
            return -0.5 * z * z - Foundation.log(deviation * (2 * Double.pi).squareRoot() * mass)
        }
        return logSumExp(terms) - Foundation.log(Double(means.count))
    }

    private func normalCDF(_ z: Double) -> Double {
        0.5 * Foundation.erfc(-z / 2.0.squareRoot())
    }
}

/// TPE's l(x) or g(x) over the indices of a choice: observed counts plus one for every choice
/// (Laplace smoothing), so a choice no good trial used keeps a chance.
struct CategoricalParzenEstimator {
    let logProbabilities: [Double]

    init(observations: [Int], count: Int) {
        var counts = [Double](repeating: 1, count: count)
        for index in observations where counts.indices.contains(index) { counts[index] += 1 }
        let total = counts.reduce(0, +)
        logProbabilities = counts.map { Foundation.log($0 / total) }
    }

    func sample(using generator: inout SeededRNG) -> Int {
        var remaining = generator.nextUnit()
        for (index, logProbability) in logProbabilities.enumerated() {
            remaining -= Foundation.exp(logProbability)
            if remaining < 0 { return index }
        }
        return logProbabilities.count - 1
    }

    func logDensity(_ index: Int) -> Double { logProbabilities[index] }
}

/// log(Σ exp(terms)) without overflow or underflow.
func logSumExp(_ terms: [Double]) -> Double {
    guard let largest = terms.max(), largest.isFinite else { return terms.max() ?? -.infinity }
    return largest + Foundation.log(terms.reduce(0) { $0 + Foundation.exp($1 - largest) })
}

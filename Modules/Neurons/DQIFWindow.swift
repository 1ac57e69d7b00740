import Foundation

/// The analytic surrogate window of the DQIF neuron (paper 2), as this project derives it.
///
/// tdBN normalises a layer's input currents to mean 0 and standard deviation σ = α·V_th, so
/// X[t] ~ N(0, σ²) is the natural input model. Under it, the membrane potential before firing,
/// H[t] = g(U[t−1]) + X[t] with g(u) = u + a(u − u1)(u − u2), has moments that follow from the
/// recurrence:
///
/// - U[−1] = u1, so H[0] = u1 + X[0] is exactly Gaussian.
/// - U[t] is H[t] below the threshold and the reset value above it; its raw moments up to the
///   fourth are the Gaussian partial moments below θ plus the reset's point mass.
/// - E[g(U)] and E[g(U)²] follow exactly from those four moments, giving the mean and variance
///   of H[t+1] (adding σ²).
///
/// This is exact for H[0] and H[1]; from t = 2 on it closes the recursion by treating H[t] as
/// Gaussian (a moment closure), which the tests compare with Monte-Carlo simulation. Iterating it
/// to a fixed point gives the stationary (large-t) moments.
///
/// With the hard reset (the default) the closure stays within a few percent of simulation. With a
/// soft reset a potential far above θ can stay above u2 after the reset and run away; only the
/// exact first two steps are meaningful there.
///
/// The window rule is the one MPD-AGL uses for LIF: width w_t = κ·std(H[t]) with κ = 2, i.e. the
/// rectangular surrogate (1/w_t)·1[|H − θ| < w_t/2], sharpness α_t = 1/w_t. Every number here is
/// ours, not the paper's (its Eq. 11 and window formula are not public); see
/// papers/jahns2025-dqif/README.md.
public enum DQIFWindow {
    /// Mean and standard deviation of H[t] for t = 0..<steps.
    public struct Moments: Equatable, Sendable {
        public var mean: [Double]
        public var std: [Double]
    }

    /// The moments of H[t] for input std `inputStd`.
    public static func moments(of neuron: DQIF, inputStd: Double, steps: Int) -> Moments {
        precondition(inputStd > 0, "DQIFWindow: input std must be positive, got \(inputStd)")
        var result = Moments(mean: [], std: [])
        // Raw moments E[U^k], k = 1...4, of the state carried into the step; U[−1] = u1.
        var u = (1...4).map { Foundation.pow(neuron.u1, Double($0)) }
        let (quadratic, linear, constant) = coefficients(neuron)
        for _ in 0..<steps {
            let mean = quadratic * u[1] + linear * u[0] + constant
            let second =
                quadratic * quadratic * u[3] + 2 * quadratic * linear * u[2]
                + (linear * linear + 2 * quadratic * constant) * u[1] + 2 * linear * constant * u[0] + constant
                * constant
            let variance = Swift.max(second - mean * mean, 0) + inputStd * inputStd
            result.mean.append(mean)
            result.std.append(variance.squareRoot())
            u = stateMoments(afterPotential: mean, std: variance.squareRoot(), neuron: neuron)
        }
        return result
    }

    /// The large-t moments: the fixed point of the recursion (nil if it does not settle within
    /// `maxSteps`, e.g. when the input drives the potential away).
    public static func stationaryMoments(of neuron: DQIF, inputStd: Double, maxSteps: Int = 10_000)
        -> (mean: Double, std: Double)?
    {
        let m = moments(of: neuron, inputStd: inputStd, steps: maxSteps)
        guard let mean = m.mean.last, let std = m.std.last, mean.isFinite, std.isFinite,
            Swift.abs(mean - m.mean[m.mean.count - 2]) < 1e-10, Swift.abs(std - m.std[m.std.count - 2]) < 1e-10
        else { return nil }
        return (mean, std)
    }

    /// Sharpness α_t = 1 / (κ·std(H[t])) per step, for `SurrogateSharpness.perStep`.
    public static func sharpness(for neuron: DQIF, inputStd: Double, steps: Int, widthPerStd κ: Double = 2) -> [Double]
    {
        moments(of: neuron, inputStd: inputStd, steps: steps).std.map { 1 / (κ * $0) }
    }

    /// g(u) = A u² + B u + C.
    private static func coefficients(_ n: DQIF) -> (Double, Double, Double) {
        (n.a, 1 - n.a * (n.u1 + n.u2), n.a * n.u1 * n.u2)
    }

    /// E[U^k], k = 1...4, where U = H for H < θ and the reset of H otherwise, H ~ N(μ, s²).
    private static func stateMoments(afterPotential mu: Double, std s: Double, neuron: DQIF) -> [Double] {
        let b = (neuron.threshold - mu) / s
        let density = Foundation.exp(-b * b / 2) / (2 * Double.pi).squareRoot()
        // Moments of the standard normal, in full and below b (partial moments:
        // M0 = Φ(b), M1 = −φ(b), M_k = (k − 1) M_{k−2} − b^{k−1} φ(b)).
        let full: [Double] = [1, 0, 1, 0, 3]
        var lower = [0.5 * Foundation.erfc(-b / 2.squareRoot()), -density]
        for k in 2...4 { lower.append(Double(k - 1) * lower[k - 2] - Foundation.pow(b, Double(k - 1)) * density) }
        // Raw moments of H: E[H^k] and E[H^k; H < θ], from those of Z = (H − μ)/s.
        func raw(_ z: [Double], _ k: Int) -> Double {
            (0...k).reduce(0) {
                $0 + binomial(k, $1) * Foundation.pow(mu, Double(k - $1)) * Foundation.pow(s, Double($1)) * z[$1]
            }
        }
        let below = (0...4).map { raw(lower, $0) }
        let above = (0...4).map { raw(full, $0) - below[$0] }
        return (1...4).map { k in
            if neuron.softReset {
                // U = H − θ above the threshold: expand (H − θ)^k.
                let shifted = (0...k).reduce(0.0) {
                    $0 + binomial(k, $1) * Foundation.pow(-neuron.threshold, Double(k - $1)) * above[$1]
                }
                return below[k] + shifted
            }
            return below[k] + above[0] * Foundation.pow(neuron.u1, Double(k))
        }
    }

    private static func binomial(_ n: Int, _ k: Int) -> Double {
        (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
    }
}

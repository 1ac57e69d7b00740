import Foundation

/// A learning rate as a function of a step index (an epoch or an iteration, as the caller
/// counts); set it on an optimizer with `optimizer.learningRate = schedule.learningRate(at: i)`.
public protocol LearningRateSchedule: Sendable {
    func learningRate(at step: Int) -> Double
}

/// Cosine annealing from `initial` to `minimum` over `totalSteps`, after an optional linear
/// warm-up from `warmupStart` to `initial` over the first `warmupSteps`; stays at `minimum`
/// after `totalSteps`.
public struct CosineAnnealing: LearningRateSchedule {
    public var initial: Double
    public var minimum: Double
    public var totalSteps: Int
    public var warmupSteps: Int
    public var warmupStart: Double

    public init(initial: Double, minimum: Double = 0, totalSteps: Int, warmupSteps: Int = 0, warmupStart: Double = 0) {
        precondition(
            totalSteps > warmupSteps && warmupSteps >= 0,
            "CosineAnnealing: need 0 ≤ warmupSteps (\(warmupSteps)) < totalSteps (\(totalSteps))")
        (self.initial, self.minimum, self.totalSteps) = (initial, minimum, totalSteps)
        (self.warmupSteps, self.warmupStart) = (warmupSteps, warmupStart)
    }

    public func learningRate(at step: Int) -> Double {
        if step < warmupSteps {
            return warmupStart + (initial - warmupStart) * Double(step) / Double(warmupSteps)
        }
        let progress = Swift.min(1, Double(step - warmupSteps) / Double(totalSteps - warmupSteps))
        return minimum + (initial - minimum) * (1 + cos(Double.pi * progress)) / 2
    }
}

/// Multiplies the rate by `gamma` every `stepSize` steps: initial · gamma^⌊step/stepSize⌋.
public struct StepDecay: LearningRateSchedule {
    public var initial: Double
    public var stepSize: Int
    public var gamma: Double

    public init(initial: Double, stepSize: Int, gamma: Double = 0.1) {
        precondition(stepSize > 0, "StepDecay: stepSize must be positive, got \(stepSize)")
        (self.initial, self.stepSize, self.gamma) = (initial, stepSize, gamma)
    }

    public func learningRate(at step: Int) -> Double {
        initial * pow(gamma, Double(step / stepSize))
    }
}

/// initial · gamma^step.
public struct ExponentialDecay: LearningRateSchedule {
    public var initial: Double
    public var gamma: Double

    public init(initial: Double, gamma: Double) {
        precondition(gamma > 0, "ExponentialDecay: gamma must be positive, got \(gamma)")
        (self.initial, self.gamma) = (initial, gamma)
    }

    /// Decays by a factor 1/e every `period` steps (smoothly: initial · e^(−step/period)), the
    /// schedule of the SHD paper's exact-gradient training.
    public init(initial: Double, eFoldingPeriod period: Double) {
        precondition(period > 0, "ExponentialDecay: the e-folding period must be positive, got \(period)")
        self.init(initial: initial, gamma: exp(-1 / period))
    }

    public func learningRate(at step: Int) -> Double {
        initial * pow(gamma, Double(step))
    }
}

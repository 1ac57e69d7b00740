import Foundation
import Registry
import TensorRuntime

/// A sampler proposes the parameters of trial number `number` given the finished trials so far.
///
/// Samplers are pure: the same number, history, space and direction give the same parameters,
/// which is what makes a resumed or repeated search propose what the first one did.
public protocol TrialSampler {
    func propose(number: Int, history: [Trial], space: SearchSpace, direction: OptimizationDirection) -> TrialParameters
}

/// Draws every dimension uniformly over its domain (in log space for log dimensions), ignoring
/// the history: the baseline a model-based sampler has to beat.
public struct RandomSampler: TrialSampler, Sendable {
    public var seed: Int

    public init(seed: Int) {
        self.seed = seed
    }

    public func propose(number: Int, history: [Trial], space: SearchSpace, direction: OptimizationDirection)
        -> TrialParameters
    {
        var generator = proposalGenerator(seed: seed, number: number)
        var parameters: TrialParameters = [:]
        for path in space.paths {
            let dimension = space.dimensions[path]!
            parameters[path] = dimension.value(at: dimension.domain.uniformDraw(using: &generator))
        }
        return parameters
    }
}

/// The generator of proposal `number`: a stream of the search's seed, so a proposal does not
/// depend on how many draws earlier proposals made, nor on which process makes it.
func proposalGenerator(seed: Int, number: Int) -> SeededRNG {
    SeededRNG(seed: UInt64(bitPattern: Int64(seed))).stream(number)
}

extension Trial {
    /// Queued, or held by a worker.
    var isOpen: Bool { state == .queued || state == .running }
}

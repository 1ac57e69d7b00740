import TensorRuntime

/// What a run of a spiking layer over T steps returns.
public struct NeuronOutput {
    /// S, shape [T, …] like the input.
    public var spikes: Tensor
    /// H (before firing), shape [T, …]; only when asked for (the PNB loss reads it).
    public var potentials: Tensor?
    /// U after the last step, shape […]; only when asked for (single-step and recurrent use).
    public var finalState: Tensor?
}

/// How a run treats the surrogate and the reset.
public struct EngineOptions: Codable, Sendable, Equatable {
    /// The surrogate's family; its sharpness per time step is a tensor argument of `run`.
    public var surrogate: SurrogateFamily
    /// Drop the gradient path through the reset (∂U/∂S), as SpikingJelly's `detach_reset`.
    public var detachReset: Bool
    /// Forward pass with the smooth step G(αz) instead of Θ(z): makes the neuron differentiable
    /// so finite differences can check its gradients (conformance suite); never for training.
    public var smoothForward: Bool

    public init(surrogate: SurrogateFamily = .sigmoid, detachReset: Bool = false, smoothForward: Bool = false) {
        (self.surrogate, self.detachReset, self.smoothForward) = (surrogate, detachReset, smoothForward)
    }
}

/// A plugin's dynamics with the plugin type erased: what layers and the registry hold.
public protocol SpikingDynamics: Sendable {
    /// The plugin's registry name.
    var neuronName: String { get }
    /// Parameter names, initial values and which are learnable, from the plugin.
    var parameterNames: [String] { get }
    var initialParameters: [Double] { get }
    var learnableParameters: Set<String> { get }

    /// Runs the neuron over every step of `input` [T, …] as one differentiable operation.
    ///
    /// - Parameters:
    ///   - parameters: the plugin's scalars, shape [P] (P = `parameterNames.count`).
    ///   - sharpness: the surrogate's α per time step, shape [T].
    ///   - initialState: U[−1], shape `input.shape.dropFirst()`; nil for the resting potential.
    func run(_ input: Tensor, parameters: Tensor, sharpness: Tensor, initialState: Tensor?, options: EngineOptions,
             exposePotentials: Bool, returnFinalState: Bool) -> NeuronOutput
}

/// Turns any `DiscreteNeuron` into a forward loop over T and one reverse loop for BPTT over whole
/// tensors, recorded as a single node on the tape.
///
/// Forward saves only H (the potentials before firing); the backward recomputes U[t−1] and the
/// spikes from it. Per element and step the reverse loop applies
///
///     gS = ∂L/∂S[t] + gU · ∂U/∂S              (without the second term under detachReset)
///     gH = ∂L/∂H[t] + gU · ∂U/∂H + gS · ∂S/∂H (∂S/∂H is the surrogate)
///     ∂L/∂X[t] = gH · ∂H/∂X,   gU ← gH · ∂H/∂U[t−1]
///
/// and accumulates gH·∂H/∂p + gU·∂U/∂p + gS·∂S/∂p into the parameters' gradient and gS·∂S/∂α
/// into the step's sharpness gradient. Elements are split over the cores; each core runs the
/// whole time loop on its block, so the inner loop is contiguous and the plugin's maps inline.
public struct FusedNeuronEngine<Neuron: DiscreteNeuron>: SpikingDynamics {
    public let neuron: Neuron
    /// The forward loop, compiled for this plugin. It is built here rather than called from
    /// `run` because `run` is reached through the type-erased `SpikingDynamics`, where generic
    /// code would run unspecialised (a witness call per element); a closure formed in this
    /// initialiser, which the registry calls with the concrete plugin type, is specialised.
    private let kernel: @Sendable ([Tensor], EngineOptions, _ expose: Bool, _ final: Bool)
        -> (outputs: [Tensor], pullback: ([Tensor]) -> [Tensor?])

    public init(_ neuron: Neuron) {
        self.neuron = neuron
        kernel = { values, options, expose, final in
            switch values[0].dtype {
            case .float32: FusedKernel<Neuron, Float>(neuron: neuron, options: options).forward(values, expose: expose, final: final)
            case .float64: FusedKernel<Neuron, Double>(neuron: neuron, options: options).forward(values, expose: expose, final: final)
            }
        }
    }

    public var neuronName: String { Neuron.name }
    public var parameterNames: [String] { Neuron.parameterNames }
    public var initialParameters: [Double] { neuron.initialParameters }
    public var learnableParameters: Set<String> { neuron.learnableParameters }

    public func run(
        _ input: Tensor, parameters: Tensor, sharpness: Tensor, initialState: Tensor?, options: EngineOptions,
        exposePotentials: Bool, returnFinalState: Bool
    ) -> NeuronOutput {
        precondition(input.rank >= 1, "\(Neuron.name): input must be [T, …], got \(input.shape)")
        let steps = input.shape[0]
        let stateShape = Array(input.shape.dropFirst())
        precondition(parameters.shape == [Neuron.parameterNames.count] && parameters.dtype == input.dtype,
                     "\(Neuron.name): parameters must be \(input.dtype) [\(Neuron.parameterNames.count)] (\(Neuron.parameterNames)), got \(parameters.dtype) \(parameters.shape)")
        precondition(sharpness.shape == [steps] && sharpness.dtype == input.dtype,
                     "\(Neuron.name): sharpness must be \(input.dtype) [\(steps)] (one per time step), got \(sharpness.dtype) \(sharpness.shape)")
        if let initialState {
            precondition(initialState.shape == stateShape && initialState.dtype == input.dtype,
                         "\(Neuron.name): initial state must be \(input.dtype) \(stateShape), got \(initialState.dtype) \(initialState.shape)")
        }
        var inputs = [input, parameters, sharpness]
        if let initialState { inputs.append(initialState) }
        let outputs = Tensor.differentiableOperation(inputs) { values in
            kernel(values, options, exposePotentials, returnFinalState)
        }
        var next = 1
        let potentials = exposePotentials ? outputs[next] : nil
        if exposePotentials { next += 1 }
        let finalState = returnFinalState ? outputs[next] : nil
        return NeuronOutput(spikes: outputs[0], potentials: potentials, finalState: finalState)
    }
}

/// The forward and reverse loops of one plugin at one precision.
struct FusedKernel<Neuron: DiscreteNeuron, S: TensorScalar> {
    let neuron: Neuron
    let options: EngineOptions

    /// The forward loop; returns the outputs and the pullback that runs the reverse loop.
    func forward(_ values: [Tensor], expose: Bool, final: Bool) -> (outputs: [Tensor], pullback: ([Tensor]) -> [Tensor?]) {
        let input = values[0], initialState = values.count > 3 ? values[3] : nil
        let steps = input.shape[0], width = input.count / Swift.max(steps, 1)
        let p = parameterVector(values[1])
        let alphas = values[2].scalars(as: S.self)
        var potentials = Tensor.zeros(input.shape, dtype: input.dtype)
        var spikes = Tensor.zeros(input.shape, dtype: input.dtype)
        var state = initialState ?? Tensor.zeros(Array(input.shape.dropFirst()), dtype: input.dtype)
        let rest = neuron.restingPotential(p).value
        let neuron = self.neuron
        input.withUnsafeBuffer(as: S.self) { x in
            potentials.withUnsafeMutableBuffer(as: S.self) { h in
                spikes.withUnsafeMutableBuffer(as: S.self) { s in
                    state.withUnsafeMutableBuffer(as: S.self) { u in
                        if initialState == nil { u.update(repeating: rest) }
                        Parallel.forChunks(width, costPerItem: steps * 8) { block in
                            for t in 0..<steps {
                                let surrogate = SurrogateStep(family: options.surrogate, sharpness: alphas[t],
                                                              smooth: options.smoothForward)
                                let offset = t * width
                                for i in block {
                                    let c = neuron.charge(previous: u[i], input: x[offset + i], p)
                                    let f = neuron.fire(potential: c.value, p, surrogate)
                                    h[offset + i] = c.value
                                    s[offset + i] = f.value
                                    u[i] = neuron.reset(potential: c.value, spike: f.value, p).value
                                }
                            }
                        }
                    }
                }
            }
        }
        var outputs = [spikes]
        if expose { outputs.append(potentials) }
        if final { outputs.append(state) }
        let saved = potentials
        let pullback = { (grads: [Tensor]) -> [Tensor?] in
            backward(grads, input: input, potentials: saved, parameters: p, alphas: alphas,
                     initialState: initialState, exposed: expose, final: final)
        }
        return (outputs, pullback)
    }

    /// The reverse loop.
    private func backward(
        _ grads: [Tensor], input: Tensor, potentials: Tensor, parameters p: SIMD4<S>, alphas: [S],
        initialState: Tensor?, exposed: Bool, final: Bool
    ) -> [Tensor?] {
        let steps = input.shape[0], width = input.count / Swift.max(steps, 1)
        let gSpikes = grads[0]
        let gPotentials = exposed ? grads[1] : nil
        let gFinal = final ? grads[exposed ? 2 : 1] : nil
        var dInput = Tensor.zeros(input.shape, dtype: input.dtype)
        var dInitial = Tensor.zeros(Array(input.shape.dropFirst()), dtype: input.dtype)
        let rest = neuron.restingPotential(p)
        let neuron = self.neuron
        let blocks = Swift.max(1, Swift.min(Parallel.threadCount, width * steps * 8 / Parallel.minimumParallelWork))
        let blockSize = (width + blocks - 1) / blocks
        // Per block: the parameter gradient (4) and the sharpness gradient (T), in Double.
        var partials = [Double](repeating: 0, count: blocks * (4 + steps))
        input.withUnsafeBuffer(as: S.self) { x in
            potentials.withUnsafeBuffer(as: S.self) { h in
                dInput.withUnsafeMutableBuffer(as: S.self) { dx in
                    dInitial.withUnsafeMutableBuffer(as: S.self) { gU in
                        partials.withUnsafeMutableBufferPointer { partial in
                            gSpikes.withUnsafeBuffer(as: S.self) { gS in
                                withOptionalBuffer(gPotentials, S.self) { gH in
                                    withOptionalBuffer(gFinal, S.self) { gEnd in
                                        withOptionalBuffer(initialState, S.self) { u0 in
                                            let partial = partial
                                            Parallel.forEach(blocks) { b in
                                                let block = (b * blockSize)..<Swift.min(width, (b + 1) * blockSize)
                                                guard !block.isEmpty else { return }
                                                for i in block { gU[i] = gEnd?[i] ?? 0 }
                                                var blockParameters = SIMD4<Double>.zero
                                                for t in stride(from: steps - 1, through: 0, by: -1) {
                                                    let offset = t * width
                                                    let surrogate = SurrogateStep(family: options.surrogate, sharpness: alphas[t],
                                                                                  smooth: options.smoothForward)
                                                    let previousSurrogate = t > 0
                                                        ? SurrogateStep(family: options.surrogate, sharpness: alphas[t - 1],
                                                                        smooth: options.smoothForward)
                                                        : surrogate
                                                    var gStepParameters = SIMD4<S>.zero
                                                    var gAlpha: S = 0
                                                    for i in block {
                                                        let previous: S
                                                        if t > 0 {
                                                            let hp = h[offset - width + i]
                                                            let sp = neuron.fire(potential: hp, p, previousSurrogate).value
                                                            previous = neuron.reset(potential: hp, spike: sp, p).value
                                                        } else {
                                                            previous = u0?[i] ?? rest.value
                                                        }
                                                        let c = neuron.charge(previous: previous, input: x[offset + i], p)
                                                        let f = neuron.fire(potential: c.value, p, surrogate)
                                                        let r = neuron.reset(potential: c.value, spike: f.value, p)
                                                        let carried = gU[i]
                                                        let gSpike = gS[offset + i] + (options.detachReset ? 0 : carried * r.dSpike)
                                                        let gPotential = (gH?[offset + i] ?? 0) + carried * r.dPotential
                                                            + gSpike * f.dPotential
                                                        dx[offset + i] = gPotential * c.dInput
                                                        gU[i] = gPotential * c.dPrevious
                                                        gStepParameters += gPotential * c.dParameters + carried * r.dParameters
                                                            + gSpike * f.dParameters
                                                        gAlpha += gSpike * f.dSharpness
                                                    }
                                                    if t == 0 && u0 == nil {
                                                        // U[−1] is the resting potential, which may depend on p.
                                                        var carried: S = 0
                                                        for i in block { carried += gU[i] }
                                                        gStepParameters += carried * rest.dParameters
                                                    }
                                                    for k in 0..<4 { blockParameters[k] += Double(gStepParameters[k]) }
                                                    partial[b * (4 + steps) + 4 + t] = Double(gAlpha)
                                                }
                                                for k in 0..<4 { partial[b * (4 + steps) + k] = blockParameters[k] }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var gParameters = [Double](repeating: 0, count: Neuron.parameterNames.count)
        var gSharpness = [Double](repeating: 0, count: steps)
        for b in 0..<blocks {
            for k in gParameters.indices { gParameters[k] += partials[b * (4 + steps) + k] }
            for t in 0..<steps { gSharpness[t] += partials[b * (4 + steps) + 4 + t] }
        }
        var result: [Tensor?] = [
            dInput,
            Tensor(shape: [gParameters.count], values: gParameters, dtype: input.dtype),
            Tensor(shape: [steps], values: gSharpness, dtype: input.dtype),
        ]
        if initialState != nil { result.append(dInitial) }
        return result
    }

    private func parameterVector(_ t: Tensor) -> SIMD4<S> {
        var p = SIMD4<S>.zero
        for (i, v) in t.scalars(as: S.self).enumerated() { p[i] = v }
        return p
    }
}

/// Calls `body` with the tensor's buffer, or nil when there is no tensor.
@inline(__always)
private func withOptionalBuffer<S: TensorScalar, R>(
    _ tensor: Tensor?, _: S.Type, _ body: (UnsafeBufferPointer<S>?) -> R
) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBuffer(as: S.self) { body($0) }
}

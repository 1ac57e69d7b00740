import TensorRuntime

/// What a run of a spiking layer over T steps returns.
public struct NeuronOutput {
    /// S, shape [T, …] like the input.
    public var spikes: Tensor
    /// H (before firing), shape [T, …]; only when asked for (the PNB loss reads it).
    public var potentials: Tensor?
    /// U after the last step, shape […] for a single state variable and [K, …] for K of them;
    /// only when asked for (single-step and recurrent use).
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
    /// The state variables' names, membrane potential first.
    var stateNames: [String] { get }
    var initialParameters: [Double] { get }
    var learnableParameters: Set<String> { get }

    /// Runs the neuron over every step of `input` [T, …] as one differentiable operation.
    ///
    /// - Parameters:
    ///   - parameters: the plugin's scalars, shape [P] (P = `parameterNames.count`).
    ///   - sharpness: the surrogate's α per time step, shape [T].
    ///   - initialState: U[−1], shape `input.shape.dropFirst()` for one state variable and
    ///     [K] + `input.shape.dropFirst()` for K; nil for the resting state.
    func run(
        _ input: Tensor, parameters: Tensor, sharpness: Tensor, initialState: Tensor?, options: EngineOptions,
        exposePotentials: Bool, returnFinalState: Bool
    ) -> NeuronOutput
}

/// Turns any `DiscreteNeuron` into a forward loop over T and one reverse loop for BPTT over whole
/// tensors, recorded as a single node on the tape.
///
/// Forward saves only H (the K state variables before firing); the backward recomputes U[t−1]
/// and the spikes from it. Per element and step the reverse loop applies, with gU and gH vectors
/// over the state variables and the products summed over them,
///
///     gS = ∂L/∂S[t] + gU · ∂U/∂S              (without the second term under detachReset)
///     gH = ∂L/∂H[t] + gU · ∂U/∂H + gS · ∂S/∂H (∂S/∂H is the surrogate; ∂L/∂H[t] is on the membrane)
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
    private let kernel:
        @Sendable ([Tensor], EngineOptions, _ expose: Bool, _ final: Bool, _ accumulate: Bool)
            -> (outputs: [Tensor], pullback: ([Tensor]) -> [Tensor?])

    public init(_ neuron: Neuron) {
        self.neuron = neuron
        kernel = { values, options, expose, final, accumulate in
            switch values[0].dtype {
            case .float32:
                FusedKernel<Neuron, Float>(neuron: neuron, options: options, accumulate: accumulate)
                    .forward(values, expose: expose, final: final)
            case .float64:
                FusedKernel<Neuron, Double>(neuron: neuron, options: options, accumulate: accumulate)
                    .forward(values, expose: expose, final: final)
            }
        }
    }

    public var neuronName: String { Neuron.name }
    public var parameterNames: [String] { Neuron.parameterNames }
    public var stateNames: [String] { Neuron.stateNames }
    public var initialParameters: [Double] { neuron.initialParameters }
    public var learnableParameters: Set<String> { Set(neuron.learnableParameters.map { "\($0)" }) }

    /// The shape of U: one step's shape, after the state variables' axis when there are several.
    static func stateShape(_ input: Tensor) -> [Int] {
        (Neuron.StateVariable.count > 1 ? [Neuron.StateVariable.count] : []) + input.shape.dropFirst()
    }

    public func run(
        _ input: Tensor, parameters: Tensor, sharpness: Tensor, initialState: Tensor?, options: EngineOptions,
        exposePotentials: Bool, returnFinalState: Bool
    ) -> NeuronOutput {
        precondition(input.rank >= 1, "\(Neuron.name): input must be [T, …], got \(input.shape)")
        let steps = input.shape[0]
        let stateShape = Self.stateShape(input)
        precondition(
            parameters.shape == [Neuron.parameterNames.count] && parameters.dtype == input.dtype,
            "\(Neuron.name): parameters must be \(input.dtype) [\(Neuron.parameterNames.count)] (\(Neuron.parameterNames)), got \(parameters.dtype) \(parameters.shape)"
        )
        precondition(
            sharpness.shape == [steps] && sharpness.dtype == input.dtype,
            "\(Neuron.name): sharpness must be \(input.dtype) [\(steps)] (one per time step), got \(sharpness.dtype) \(sharpness.shape)"
        )
        if let initialState {
            precondition(
                initialState.shape == stateShape && initialState.dtype == input.dtype,
                "\(Neuron.name): initial state must be \(input.dtype) \(stateShape), got \(initialState.dtype) \(initialState.shape)"
            )
        }
        var inputs = [input, parameters, sharpness]
        if let initialState { inputs.append(initialState) }
        // Parameter and sharpness gradients are sums over every element and step; skip them when
        // nothing learns those (the reverse loop then has no reductions and vectorises).
        let accumulate = parameters.requiresGrad || sharpness.requiresGrad
        let outputs = Tensor.differentiableOperation(inputs) { values in
            kernel(values, options, exposePotentials, returnFinalState, accumulate)
        }
        var next = 1
        let potentials = exposePotentials ? outputs[next] : nil
        if exposePotentials { next += 1 }
        let finalState = returnFinalState ? outputs[next] : nil
        return NeuronOutput(spikes: outputs[0], potentials: potentials, finalState: finalState)
    }
}

/// The forward and reverse loops of one plugin at one precision.
///
/// Both loops are generic over the surrogate shape and instantiated for each, so the inner loops
/// over elements are straight-line code that vectorises.
struct FusedKernel<Neuron: DiscreteNeuron, S: TensorScalar> {
    let neuron: Neuron
    let options: EngineOptions
    /// Whether the parameter and sharpness gradients are wanted.
    let accumulate: Bool

    typealias State = Values<Neuron.StateVariable, S>
    /// K, the number of state variables: a constant once the kernel is compiled for a plugin, so
    /// the loops over it unroll (for one state variable, into the scalar code of a plain LIF).
    @inline(__always) static var stateCount: Int { Neuron.StateVariable.count }

    /// Raw views of one run's tensors, shared by the loops.
    fileprivate struct Buffers {
        let steps: Int, width: Int
        let parameters: Values<Neuron.Parameter, S>
        let alphas: [S]
    }

    /// The forward loop; returns the outputs and the pullback that runs the reverse loop.
    func forward(_ values: [Tensor], expose: Bool, final: Bool) -> (
        outputs: [Tensor], pullback: ([Tensor]) -> [Tensor?]
    ) {
        let input = values[0]
        let initialState = values.count > 3 ? values[3] : nil
        let steps = input.shape[0]
        let stateCount = Self.stateCount
        let run = Buffers(
            steps: steps, width: input.count / Swift.max(steps, 1),
            parameters: Values(parameterVector(values[1])), alphas: values[2].scalars(as: S.self))
        // H of every state variable, [T, K, width] (for K = 1 the shape of the input), and S; the
        // loop writes every element of both.
        var saved = Tensor.unsafeUninitialized(
            stateCount == 1 ? input.shape : [steps, stateCount * run.width],
            dtype: input.dtype)
        var spikes = Tensor.unsafeUninitialized(input.shape, dtype: input.dtype)
        var state = initialState ?? Tensor.zeros(FusedNeuronEngine<Neuron>.stateShape(input), dtype: input.dtype)
        let rest = neuron.restingState(run.parameters).value
        input.withUnsafeBuffer(as: S.self) { x in
            saved.withUnsafeMutableBuffer(as: S.self) { h in
                spikes.withUnsafeMutableBuffer(as: S.self) { s in
                    state.withUnsafeMutableBuffer(as: S.self) { u in
                        if initialState == nil {
                            for k in 0..<stateCount {
                                u.baseAddress!.advanced(by: k * run.width).update(
                                    repeating: rest.vector[k], count: run.width)
                            }
                        }
                        dispatchShape(ForwardLoop(kernel: self, run: run, x: x, h: h, s: s, u: u))
                    }
                }
            }
        }
        var outputs = [spikes]
        if expose { outputs.append(stateCount == 1 ? saved : membrane(of: saved, like: input)) }
        if final { outputs.append(state) }
        let pullback = { (grads: [Tensor]) -> [Tensor?] in
            backward(grads, run, input: input, saved: saved, initialState: initialState, exposed: expose, final: final)
        }
        return (outputs, pullback)
    }

    /// The membrane potentials, [T, …] like `input`, out of H of every state variable.
    private func membrane(of saved: Tensor, like input: Tensor) -> Tensor {
        let (steps, width) = (input.shape[0], input.count / Swift.max(input.shape[0], 1))
        var potentials = Tensor.unsafeUninitialized(input.shape, dtype: input.dtype)
        saved.withUnsafeBuffer(as: S.self) { h in
            potentials.withUnsafeMutableBuffer(as: S.self) { out in
                for t in 0..<steps {
                    for i in 0..<width { out[t * width + i] = h[t * Self.stateCount * width + i] }
                }
            }
        }
        return potentials
    }

    fileprivate func forwardLoop<Shape: SurrogateShape, Source: NeuronSource>(
        _ run: Buffers, _: Shape.Type, _: Source.Type, _ x: UnsafeBufferPointer<S>, _ h: UnsafeMutableBufferPointer<S>,
        _ s: UnsafeMutableBufferPointer<S>, _ u: UnsafeMutableBufferPointer<S>
    ) {
        let p = run.parameters
        let width = run.width
        let configured = self.neuron
        Parallel.forChunks(width, costPerItem: run.steps * 8 * Self.stateCount) { block in
            // K read here, not captured from outside the closure: a captured K is a runtime value
            // in the closure's body, and the loops over it then neither unroll nor vectorise.
            let neuron = Source.neuron(configured)
            let stateCount = Self.stateCount
            let u = u.baseAddress!
            for t in 0..<run.steps {
                let surrogate = SurrogateStep<S, Shape>(sharpness: run.alphas[t])
                // Row pointers per step keep index arithmetic (overflow-checked) out of the inner
                // loop, which then vectorises.
                let xt = x.baseAddress! + t * width
                let ht = h.baseAddress! + t * stateCount * width
                let st = s.baseAddress! + t * width
                for i in block {
                    // Wrapping index arithmetic (k·width + i < count): an overflow check per
                    // element keeps the loop scalar for plugins with several state variables.
                    var previous = State()
                    for k in 0..<stateCount { previous.vector[k] = u[k &* width &+ i] }
                    let c = neuron.charge(previous: previous, input: xt[i], p)
                    let f = neuron.fire(potential: c.value, p, surrogate)
                    for k in 0..<stateCount { ht[k &* width &+ i] = c.value.vector[k] }
                    st[i] = f.value
                    let next = neuron.reset(potential: c.value, spike: f.value, p).value
                    for k in 0..<stateCount { u[k &* width &+ i] = next.vector[k] }
                }
            }
        }
    }

    /// The reverse loop: input, parameter, sharpness and initial-state gradients.
    private func backward(
        _ grads: [Tensor], _ run: Buffers, input: Tensor, saved: Tensor, initialState: Tensor?, exposed: Bool,
        final: Bool
    ) -> [Tensor?] {
        let (steps, width) = (run.steps, run.width)
        // Without exposed potentials, one row of zeros read with stride 0 keeps the load unconditional.
        let gPotentials = exposed ? grads[1] : Tensor.zeros([width], dtype: input.dtype)
        let gFinal = final ? grads[exposed ? 2 : 1] : nil
        // The loop writes every element of both (the carried gradient first of all).
        var dInput = Tensor.unsafeUninitialized(input.shape, dtype: input.dtype)
        var dInitial = Tensor.unsafeUninitialized(FusedNeuronEngine<Neuron>.stateShape(input), dtype: input.dtype)
        let blocks = Swift.max(1, Swift.min(Parallel.threadCount, width * steps * 8 / Parallel.minimumParallelWork))
        // Per block: the parameter gradient (4) and the sharpness gradient (T), in Double.
        var partials = [Double](repeating: 0, count: blocks * (4 + steps))
        input.withUnsafeBuffer(as: S.self) { x in
            saved.withUnsafeBuffer(as: S.self) { h in
                grads[0].withUnsafeBuffer(as: S.self) { gS in
                    gPotentials.withUnsafeBuffer(as: S.self) { gH in
                        withOptionalBuffer(gFinal, S.self) { gEnd in
                            withOptionalBuffer(initialState, S.self) { u0 in
                                dInput.withUnsafeMutableBuffer(as: S.self) { dx in
                                    dInitial.withUnsafeMutableBuffer(as: S.self) { gU in
                                        partials.withUnsafeMutableBufferPointer { partial in
                                            let views = ReverseViews(
                                                x: x, h: h, gS: gS, gH: gH, gHStride: exposed ? width : 0,
                                                gEnd: gEnd, u0: u0, dx: dx, gU: gU, partial: partial,
                                                blocks: blocks)
                                            if accumulate {
                                                backwardLoop(run, views, Accumulating.self)
                                            } else {
                                                backwardLoop(run, views, Discarding.self)
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
            accumulate ? Tensor(shape: [gParameters.count], values: gParameters, dtype: input.dtype) : nil,
            accumulate ? Tensor(shape: [steps], values: gSharpness, dtype: input.dtype) : nil,
        ]
        if initialState != nil { result.append(dInitial) }
        return result
    }

    /// The buffers the reverse loop reads and writes.
    fileprivate struct ReverseViews {
        let x: UnsafeBufferPointer<S>, h: UnsafeBufferPointer<S>, gS: UnsafeBufferPointer<S>
        let gH: UnsafeBufferPointer<S>, gHStride: Int
        let gEnd: UnsafeBufferPointer<S>?, u0: UnsafeBufferPointer<S>?
        let dx: UnsafeMutableBufferPointer<S>, gU: UnsafeMutableBufferPointer<S>
        let partial: UnsafeMutableBufferPointer<Double>
        let blocks: Int
    }

    /// Instantiates the reverse loop for the configured surrogate shape.
    private func backwardLoop<Accumulation: StaticFlag>(_ run: Buffers, _ v: ReverseViews, _: Accumulation.Type) {
        dispatchShape(BackwardLoop<Accumulation>(kernel: self, run: run, views: v))
    }

    private struct ForwardLoop: ShapeLoop {
        let kernel: FusedKernel, run: Buffers
        let x: UnsafeBufferPointer<S>, h: UnsafeMutableBufferPointer<S>, s: UnsafeMutableBufferPointer<S>
        let u: UnsafeMutableBufferPointer<S>
        func callAsFunction<Shape: SurrogateShape, Source: NeuronSource>(_ shape: Shape.Type, _ source: Source.Type) {
            kernel.forwardLoop(run, shape, source, x, h, s, u)
        }
    }

    private struct BackwardLoop<Accumulation: StaticFlag>: ShapeLoop {
        let kernel: FusedKernel, run: Buffers, views: ReverseViews
        func callAsFunction<Shape: SurrogateShape, Source: NeuronSource>(_ shape: Shape.Type, _ source: Source.Type) {
            kernel.backwardLoop(run, views, shape, source, Accumulation.self)
        }
    }

    /// Runs `loop` with the configured surrogate shape as a concrete type, so every loop is
    /// compiled for every shape (and its smooth variant) and the shape's code inlines; and with
    /// the plugin's default configuration as a constant when it is the one in use (see
    /// `DefaultConfiguration`).
    private func dispatchShape<Loop: ShapeLoop>(_ loop: Loop) {
        if neuron == Neuron() {
            dispatchShape(loop, DefaultConfiguration.self)
        } else {
            dispatchShape(loop, GivenConfiguration.self)
        }
    }

    private func dispatchShape<Loop: ShapeLoop, Source: NeuronSource>(_ loop: Loop, _ source: Source.Type) {
        switch (options.surrogate, options.smoothForward) {
        case (.sigmoid, false): loop(SigmoidSurrogate.self, source)
        case (.atan, false): loop(AtanSurrogate.self, source)
        case (.triangle, false): loop(TriangleSurrogate.self, source)
        case (.rectangular, false): loop(RectangularSurrogate.self, source)
        case (.fastSigmoid, false): loop(FastSigmoidSurrogate.self, source)
        case (.sigmoid, true): loop(SmoothForward<SigmoidSurrogate>.self, source)
        case (.atan, true): loop(SmoothForward<AtanSurrogate>.self, source)
        case (.triangle, true): loop(SmoothForward<TriangleSurrogate>.self, source)
        case (.rectangular, true): loop(SmoothForward<RectangularSurrogate>.self, source)
        case (.fastSigmoid, true): loop(SmoothForward<FastSigmoidSurrogate>.self, source)
        }
    }

    /// Per element and step (see `FusedNeuronEngine`): gS, gH, ∂L/∂X and the carried gU, with
    /// the parameter and sharpness gradients summed per block of elements when `Accumulation` is
    /// on. Elements are split into blocks, one per core. Sums over the state variables start
    /// with their first term, so that for one state variable they are the plain products.
    fileprivate func backwardLoop<Shape: SurrogateShape, Source: NeuronSource, Accumulation: StaticFlag>(
        _ run: Buffers, _ v: ReverseViews, _: Shape.Type, _: Source.Type, _: Accumulation.Type
    ) {
        let (steps, width, p) = (run.steps, run.width, run.parameters)
        let configured = self.neuron
        let detachReset = options.detachReset
        let blockSize = (width + v.blocks - 1) / v.blocks
        Parallel.forEach(v.blocks) { b in
            // K read inside the closure, as in the forward loop, so that it is a constant.
            let neuron = Source.neuron(configured)
            let stateCount = Self.stateCount
            let rest = neuron.restingState(p)
            let block = (b * blockSize)..<Swift.min(width, (b + 1) * blockSize)
            guard !block.isEmpty else { return }
            for k in 0..<stateCount {
                for i in block { v.gU[k * width + i] = v.gEnd?[k * width + i] ?? 0 }
            }
            var blockParameters = SIMD4<Double>.zero
            let gU = v.gU.baseAddress!
            for t in stride(from: steps - 1, through: 0, by: -1) {
                // Row pointers per step keep index arithmetic (overflow-checked) out of the inner
                // loop, which then vectorises.
                let offset = t * width
                let xt = v.x.baseAddress! + offset
                let gSt = v.gS.baseAddress! + offset
                let dxt = v.dx.baseAddress! + offset
                let gHt = v.gH.baseAddress! + t * v.gHStride
                let surrogate = SurrogateStep<S, Shape>(sharpness: run.alphas[t])
                var gStepParameters = SIMD4<S>.zero
                var gAlpha: S = 0
                /// One element, given U[t−1].
                @inline(__always) func step(_ i: Int, previous: State) {
                    let c = neuron.charge(previous: previous, input: xt[i], p)
                    let f = neuron.fire(potential: c.value, p, surrogate)
                    let r = neuron.reset(potential: c.value, spike: f.value, p)
                    var carried = State()
                    for k in 0..<stateCount { carried.vector[k] = gU[k &* width &+ i] }
                    var throughReset = carried.vector[0] * r.dSpike.vector[0]
                    for k in 1..<stateCount { throughReset += carried.vector[k] * r.dSpike.vector[k] }
                    let gSpike = gSt[i] + (detachReset ? 0 : throughReset)
                    var gPotential = State()
                    for j in 0..<stateCount {
                        var carriedBack = carried.vector[0] * r.dPotential.entry(0, j)
                        for k in 1..<stateCount { carriedBack += carried.vector[k] * r.dPotential.entry(k, j) }
                        gPotential.vector[j] = (j == 0 ? gHt[i] : 0) + carriedBack + gSpike * f.dPotential.vector[j]
                    }
                    var gInput = gPotential.vector[0] * c.dInput.vector[0]
                    for j in 1..<stateCount { gInput += gPotential.vector[j] * c.dInput.vector[j] }
                    dxt[i] = gInput
                    for k in 0..<stateCount {
                        var gPrevious = gPotential.vector[0] * c.dPrevious.entry(0, k)
                        for j in 1..<stateCount { gPrevious += gPotential.vector[j] * c.dPrevious.entry(j, k) }
                        gU[k &* width &+ i] = gPrevious
                    }
                    if Accumulation.isOn {
                        var throughCharge = gPotential.vector[0] * c.dParameters.row(0)
                        for j in 1..<stateCount { throughCharge += gPotential.vector[j] * c.dParameters.row(j) }
                        var throughState = carried.vector[0] * r.dParameters.row(0)
                        for k in 1..<stateCount { throughState += carried.vector[k] * r.dParameters.row(k) }
                        gStepParameters += throughCharge + throughState + gSpike * f.dParameters.vector
                        gAlpha += gSpike * f.dSharpness
                    }
                }
                if t > 0 {
                    // U[t−1], recomputed from the saved H[t−1].
                    let previousSurrogate = SurrogateStep<S, Shape>(sharpness: run.alphas[t - 1])
                    let hPrevious = v.h.baseAddress! + (t - 1) * stateCount * width
                    for i in block {
                        var hp = State()
                        for k in 0..<stateCount { hp.vector[k] = hPrevious[k &* width &+ i] }
                        let sp = neuron.fire(potential: hp, p, previousSurrogate).value
                        step(i, previous: neuron.reset(potential: hp, spike: sp, p).value)
                    }
                } else if let u0 = v.u0?.baseAddress {
                    for i in block {
                        var previous = State()
                        for k in 0..<stateCount { previous.vector[k] = u0[k &* width &+ i] }
                        step(i, previous: previous)
                    }
                } else {
                    // A separate loop for the resting state: choosing between U[−1] and it per
                    // element is a branch that keeps the loop scalar.
                    for i in block { step(i, previous: rest.value) }
                    if Accumulation.isOn {
                        // U[−1] is the resting state, which may depend on p.
                        for k in 0..<stateCount {
                            var carried: S = 0
                            for i in block { carried += v.gU[k * width + i] }
                            gStepParameters += carried * rest.dParameters.row(k)
                        }
                    }
                }
                if Accumulation.isOn {
                    for k in 0..<4 { blockParameters[k] += Double(gStepParameters[k]) }
                    v.partial[b * (4 + steps) + 4 + t] = Double(gAlpha)
                }
            }
            for k in 0..<4 { v.partial[b * (4 + steps) + k] = blockParameters[k] }
        }
    }

    private func parameterVector(_ t: Tensor) -> SIMD4<S> {
        var p = SIMD4<S>.zero
        for (i, v) in t.scalars(as: S.self).enumerated() { p[i] = v }
        return p
    }
}

/// A loop to compile for one surrogate shape and one source of the plugin value.
private protocol ShapeLoop {
    func callAsFunction<Shape: SurrogateShape, Source: NeuronSource>(_: Shape.Type, _: Source.Type)
}

/// Where a loop takes the plugin value from; loops are compiled once per source.
protocol NeuronSource { static func neuron<Neuron: DiscreteNeuron>(_ configured: Neuron) -> Neuron }

/// The plugin's default configuration, built inside the loop: its settings (CF's variant, LIF's
/// reset mode) are constants there, so the plugin's branches on them fold away and the loop over
/// elements is straight-line code that vectorises. A branch on a setting that the compiler cannot
/// see through keeps the whole loop scalar when one side holds a loop (CF's multi-spike levels),
/// and makes it compute both sides otherwise.
enum DefaultConfiguration: NeuronSource {
    @inline(__always) static func neuron<Neuron: DiscreteNeuron>(_: Neuron) -> Neuron { Neuron() }
}

/// Any other configuration, as set, handed to each loop as a copy of its own. Read in place, the
/// plugin's settings are loads from the caller's memory, which, as far as the compiler can tell,
/// the loop's stores through the output pointers may overwrite; so it reloads them per element
/// behind their branches and keeps the loop scalar (lif with the snntorch convention did, at twice
/// the default's time). A copy returned into the loop's frame by a call that is not inlined is
/// private to the loop: its settings are loop-invariant registers, each branch on them becomes a
/// select and the loop vectorises (computing both sides of those branches, where the default
/// configuration folds them).
enum GivenConfiguration: NeuronSource {
    @inline(__always) static func neuron<Neuron: DiscreteNeuron>(_ configured: Neuron) -> Neuron {
        privateCopy(configured)
    }
}

/// `value`, through a call the optimiser does not see through (see `GivenConfiguration`).
@inline(never) private func privateCopy<T>(_ value: T) -> T { value }

/// A compile-time switch: loops generic over it are compiled once with and once without the
/// guarded code.
protocol StaticFlag { static var isOn: Bool { get } }
enum Accumulating: StaticFlag { static var isOn: Bool { true } }
enum Discarding: StaticFlag { static var isOn: Bool { false } }

/// Calls `body` with the tensor's buffer, or nil when there is no tensor.
@inline(__always)
private func withOptionalBuffer<S: TensorScalar, R>(
    _ tensor: Tensor?, _: S.Type, _ body: (UnsafeBufferPointer<S>?) -> R
) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBuffer(as: S.self) { body($0) }
}

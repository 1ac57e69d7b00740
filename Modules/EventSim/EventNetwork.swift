import Foundation
import TensorRuntime

/// A dense feed-forward network of event-driven neurons as one differentiable tensor op.
///
/// The forward simulates every sample exactly in Float64 (samples spread over the cores); the
/// pullback runs the adjoint pass over each sample's recorded events, so dL/dW is the exact
/// gradient of the simulated spike times and final states (event order carries none). Losses are
/// ordinary tensor expressions of the outputs (see `EventLosses`), and the NN optimizers see
/// plain weight gradients.
public struct EventNetwork<Neuron: EventDrivenNeuron>: Sendable {
    public var neuron: Neuron
    public var config: EventNetworkConfig

    public init(neuron: Neuron, config: EventNetworkConfig) {
        (self.neuron, self.config) = (neuron, config)
    }

    /// The shapes the weight tensors must have: [sizes[l−1], sizes[l]] per layer.
    public var weightShapes: [[Int]] {
        (1..<config.layerSizes.count).map { [config.layerSizes[$0 - 1], config.layerSizes[$0]] }
    }

    /// Simulates `inputs` with `weights` (one tensor per layer, see `weightShapes`).
    ///
    /// - Throws: `EventBudgetExceeded` if any sample needs more than `config.eventBudget` events;
    ///   its result would be truncated, so none is returned.
    public func callAsFunction(weights: [Tensor], inputs: [SpikeTrain]) throws(EventBudgetExceeded)
        -> EventNetworkOutput
    {
        precondition(
            weights.map(\.shape) == weightShapes,
            "EventNetwork: weight shapes \(weights.map(\.shape)) do not match \(weightShapes)")
        precondition(!inputs.isEmpty, "EventNetwork: empty batch")
        let dtype = weights[0].dtype
        let values = weights.map(\.doubles)
        let simulator = EventSimulator(neuron: neuron, config: config, weights: values)
        let sizes = config.layerSizes
        let lease = RecordLease(RecordPool.shared.take(inputs.count, sizes: sizes))
        let records = lease.records
        let readouts = inputs.map { _ in SampleReadout() }
        let usePseudo = config.pseudospikes && neuron.pseudospikeClock(potential: 0, drive: 1) != nil
        Self.forEachIndex(inputs.count) { b in
            simulator.simulate(inputs[b], into: records[b])
            if !records[b].budgetExceeded {
                readouts[b].compute(records[b], simulator: simulator, pseudospikes: usePseudo)
            }
        }
        let over = records.indices.filter { records[$0].budgetExceeded }
        guard over.isEmpty else { throw EventBudgetExceeded(samples: over, budget: config.eventBudget) }

        let batch = inputs.count
        let outputs = sizes.last!
        let slots = config.outputSlots
        let statistics = EventStatistics(records, sizes: sizes)
        let health = GradientHealth()
        let counts = Tensor(
            shape: [batch, outputs],
            values: records.flatMap { $0.layers.last!.spikes.map(Double.init) }, dtype: dtype)
        let results = Tensor.differentiableOperation(weights) { _ in
            let outs = [
                Tensor(shape: [batch, outputs, slots], values: readouts.flatMap(\.slotTimes), dtype: dtype),
                Tensor(shape: [batch, outputs], values: readouts.flatMap(\.logits), dtype: dtype),
                Tensor(shape: [batch, outputs], values: readouts.flatMap { $0.finalV.last! }, dtype: dtype),
                Tensor(shape: [batch, outputs], values: readouts.flatMap { $0.finalI.last! }, dtype: dtype),
            ]
            return (
                outs,
                { grads in
                    let upstream = grads.map(\.doubles)
                    let gradients = Self.reverse(
                        simulator: simulator, records: lease.records, readouts: readouts,
                        upstream: upstream, pseudospikes: usePseudo, health: health)
                    return zip(gradients, weights).map { g, w in Tensor(shape: w.shape, values: g, dtype: dtype) }
                }
            )
        }
        let statesAtEnd = readouts.map { readout in
            zip(readout.finalV, readout.finalI).map { v, i in zip(v, i).map { NeuronState(v: $0, i: $1) } }
        }
        return EventNetworkOutput(
            spikeTimes: results[0], leakyLogits: results[1], finalPotential: results[2],
            finalCurrent: results[3], spikeCounts: counts, statesAtEnd: statesAtEnd,
            spikes: records.map(\.log.networkSpikes), statistics: statistics,
            gradientHealth: health)
    }

    /// Samples per chunk of the gradient sum (see `reverse`).
    private static var chunkSize: Int { 8 }

    /// The adjoint pass of every sample, summed over the batch in a fixed order: the batch is cut
    /// into consecutive chunks of `chunkSize` samples, each summed in sample order into its own
    /// buffer by whichever worker is free, and the chunk sums are added in chunk order. The
    /// gradient's bits therefore depend neither on thread timing nor on the thread count (same
    /// seed, same bits), and the non-finite search only has to redo one chunk.
    private static func reverse(
        simulator: EventSimulator<Neuron>, records: [SampleRecord], readouts: [SampleReadout],
        upstream: [[Double]], pseudospikes: Bool, health: GradientHealth
    ) -> [[Double]] {
        let sizes = simulator.config.layerSizes
        let zero = (1..<sizes.count).map { [Double](repeating: 0, count: sizes[$0 - 1] * sizes[$0]) }
        let chunks = (records.count + chunkSize - 1) / chunkSize
        let sums = (0..<chunks).map { _ in GradientBuffer(zero) }
        func run(_ b: Int, into gradients: inout [[Double]]) {
            readouts[b].reverse(
                records[b], sample: b, simulator: simulator, upstream: upstream,
                pseudospikes: pseudospikes, gradients: &gradients)
        }
        forEachIndex(chunks) { c in
            let samples = c * chunkSize..<Swift.min(records.count, (c + 1) * chunkSize)
            for b in samples { run(b, into: &sums[c].values) }
            // Rare path: find which of the chunk's samples made its sum non-finite.
            guard !sums[c].values.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { return }
            for b in samples {
                var single = zero
                run(b, into: &single)
                if !single.allSatisfy({ $0.allSatisfy(\.isFinite) }) { health.markNonFinite(b) }
            }
        }
        var total = sums[0].values
        for chunk in sums.dropFirst() {
            for l in total.indices {
                for k in total[l].indices { total[l][k] += chunk.values[l][k] }
            }
        }
        return total
    }

    /// Runs `body` for every index (sample or chunk), handing indices to workers as they become
    /// free (the cost of a sample varies with its spike count). Each index's work must not depend
    /// on which worker runs it.
    private static func forEachIndex(_ count: Int, _ body: (Int) -> Void) {
        let queue = WorkQueue(count: count)
        Parallel.forEach(Swift.min(Parallel.threadCount, count)) { _ in
            while let b = queue.take() { body(b) }
        }
    }
}

/// The outputs of `EventNetwork`.
public struct EventNetworkOutput {
    /// [batch, outputs, K]: the first K spike times of each output neuron; missing spikes are
    /// pseudospikes (QIF, when enabled) or the trial end T (no gradient).
    public var spikeTimes: Tensor
    /// [batch, outputs]: max over [0, T] of a leaky integrator (jump 1 per spike, time constant
    /// `readoutTau`) of each output neuron's spikes; 0 for a silent neuron.
    public var leakyLogits: Tensor
    /// [batch, outputs]: V and I of the output neurons at T.
    public var finalPotential: Tensor
    public var finalCurrent: Tensor
    /// [batch, outputs]: output spike counts in [0, T] (piecewise constant: no gradient).
    public var spikeCounts: Tensor
    /// Per sample, layer (hidden…, output) and neuron: V and I at T, so analyses need no
    /// re-simulation (no gradient; the output layer's are `finalPotential` / `finalCurrent`).
    public var statesAtEnd: [[[NeuronState]]]
    /// Per sample: every network spike in [0, T] of every layer, in time order (as `spikeRaster`).
    public var spikes: [[NetworkSpike]]
    public var statistics: EventStatistics
    /// Filled in when the backward pass runs.
    public var gradientHealth: GradientHealth
}

/// A sample needed more events than the budget allows; results would be truncated.
public struct EventBudgetExceeded: Error, CustomStringConvertible {
    /// Batch indices of the offending samples.
    public var samples: [Int]
    public var budget: Int
    public var description: String {
        "event budget of \(budget) exceeded by \(samples.count) sample(s) (batch indices \(samples.prefix(10).map(String.init).joined(separator: ", "))); raise eventBudget or check for runaway firing"
    }
}

/// Activity of a batch, for monitoring training (the paper tracks silent neurons).
public struct EventStatistics: Sendable {
    public var samples: Int
    /// Total spikes per network layer (hidden…, output) over the batch.
    public var spikesPerLayer: [Int]
    /// Per layer: the fraction of neurons that fired on no sample of the batch.
    public var silentFraction: [Double]
    /// Per layer and neuron: spikes over the batch. Summing these over batches tells which
    /// neurons stayed silent on a whole dataset (the paper's "permanently silent" neurons).
    public var spikesPerNeuron: [[Int]]
    /// Mean and maximum number of events (input and network spikes) per sample.
    public var meanEventsPerSample: Double
    public var maxEventsPerSample: Int

    init(_ records: [SampleRecord], sizes: [Int]) {
        samples = records.count
        spikesPerNeuron = (1..<sizes.count).map { l in
            (0..<sizes[l]).map { n in records.reduce(0) { $0 + Int($1.layers[l - 1].spikeCount[n]) } }
        }
        spikesPerLayer = spikesPerNeuron.map { $0.reduce(0, +) }
        silentFraction = spikesPerNeuron.map { counts in Double(counts.filter { $0 == 0 }.count) / Double(counts.count)
        }
        meanEventsPerSample = Double(records.reduce(0) { $0 + $1.eventCount }) / Double(records.count)
        maxEventsPerSample = records.map(\.eventCount).max() ?? 0
    }
}

/// One sample's readouts and what their gradients need.
final class SampleReadout {
    /// Per layer and neuron: the state at T.
    var finalV: [[Double]] = []
    var finalI: [[Double]] = []
    /// Per layer and neuron: pseudospike drive before softplus, the drive, and the pseudo-rate.
    var pseudoInput: [[Double]] = []
    var pseudoDrive: [[Double]] = []
    var pseudoRate: [[Double]] = []
    /// [outputs × K] times, and per slot the event (≥ 0), the pseudospike number (< 0: −k), or
    /// `Int.min` for a missing spike without pseudospike (time T, no gradient).
    var slotTimes: [Double] = []
    var slotSource: [Int] = []
    var logits: [Double] = []
    /// Per output: the index (into its spike list) where the leaky integrator peaks, or −1.
    var logitPeak: [Int] = []

    func compute<N>(_ r: SampleRecord, simulator: EventSimulator<N>, pseudospikes: Bool) {
        let config = simulator.config
        let neuron = simulator.neuron
        let sizes = config.layerSizes
        let layers = config.layerCount
        let T = config.duration
        finalV = []
        finalI = []
        for l in 0..<layers {
            var vs = [Double]()
            var is_ = [Double]()
            let state = r.layers[l]
            for n in 0..<sizes[l + 1] {
                let s = neuron.flow(
                    NeuronState(v: state.v[n], i: state.i[n]),
                    over: Interval(T - state.lastTime[n], tau: neuron.tau))
                vs.append(s.v)
                is_.append(s.i)
            }
            finalV.append(vs)
            finalI.append(is_)
        }
        if pseudospikes {
            var previousRate = [Double](repeating: 0, count: sizes[0])
            for l in 0..<layers {
                let n = sizes[l + 1]
                var input = finalI[l]
                let w = simulator.weights[l]
                for p in 0..<sizes[l] where previousRate[p] != 0 {
                    for k in 0..<n { input[k] += w[p * n + k] * previousRate[p] }
                }
                let drive = input.map { softplus($0, config.softplusSharpness) }
                let rate = (0..<n).map { k in
                    config.pseudoRate.rate(neuron.pseudospikeClock(potential: finalV[l][k], drive: drive[k])!)
                }
                pseudoInput.append(input)
                pseudoDrive.append(drive)
                pseudoRate.append(rate)
                previousRate = rate
            }
        }
        let outputs = sizes.last!
        let slots = config.outputSlots
        for n in 0..<outputs {
            let spikes = r.log.outputSpikes[n]
            let clock =
                pseudospikes
                ? neuron.pseudospikeClock(potential: finalV[layers - 1][n], drive: pseudoDrive[layers - 1][n]) : nil
            for k in 0..<slots {
                if k < spikes.count {
                    slotTimes.append(r.log.eventTime[Int(spikes[k])])
                    slotSource.append(Int(spikes[k]))
                } else if let clock {
                    let j = k - spikes.count + 1
                    slotTimes.append(T + Double(j) * clock.period - clock.phase)
                    slotSource.append(-j)
                } else {
                    slotTimes.append(T)
                    slotSource.append(Int.min)
                }
            }
            var y = 0.0
            var best = 0.0
            var peak = -1
            var previous = 0.0
            for (k, e) in spikes.enumerated() {
                let t = r.log.eventTime[Int(e)]
                y = y * Foundation.exp(-(t - previous) / config.readoutTau) + 1
                previous = t
                if y > best { (best, peak) = (y, k) }
            }
            logits.append(best)
            logitPeak.append(peak)
        }
    }

    func reverse<N>(
        _ r: SampleRecord, sample b: Int, simulator: EventSimulator<N>, upstream: [[Double]],
        pseudospikes: Bool, gradients: inout [[Double]]
    ) {
        let config = simulator.config
        let neuron = simulator.neuron
        let sizes = config.layerSizes
        let layers = config.layerCount
        let outputs = sizes.last!
        let slots = config.outputSlots
        var ta = [Double](repeating: 0, count: r.eventCount)
        var final = (0..<layers).map { [NeuronState](repeating: NeuronState(v: 0, i: 0), count: sizes[$0 + 1]) }
        var driveAdjoint = (0..<layers).map { [Double](repeating: 0, count: sizes[$0 + 1]) }
        for n in 0..<outputs {
            let o = b * outputs + n
            final[layers - 1][n].v += upstream[2][o]
            final[layers - 1][n].i += upstream[3][o]
            var periodAdjoint = 0.0
            var phaseAdjoint = 0.0
            for k in 0..<slots {
                let g = upstream[0][o * slots + k]
                let source = slotSource[n * slots + k]
                if source >= 0 {
                    ta[source] += g
                } else if source != Int.min {
                    periodAdjoint += g * Double(-source)
                    phaseAdjoint -= g
                }
            }
            if periodAdjoint != 0 || phaseAdjoint != 0 {
                let clock = neuron.pseudospikeClock(
                    potential: finalV[layers - 1][n], drive: pseudoDrive[layers - 1][n])!
                final[layers - 1][n].v += phaseAdjoint * clock.dPhaseDPotential
                driveAdjoint[layers - 1][n] += periodAdjoint * clock.dPeriodDDrive + phaseAdjoint * clock.dPhaseDDrive
            }
            let g = upstream[1][o]
            let peak = logitPeak[n]
            if g != 0 && peak > 0 {
                let spikes = r.log.outputSpikes[n]
                let tPeak = r.log.eventTime[Int(spikes[peak])]
                for k in 0..<peak {
                    let d =
                        g * Foundation.exp(-(tPeak - r.log.eventTime[Int(spikes[k])]) / config.readoutTau)
                        / config.readoutTau
                    ta[Int(spikes[k])] += d
                    ta[Int(spikes[peak])] -= d
                }
            }
        }
        if pseudospikes {
            for l in stride(from: layers - 1, through: 0, by: -1) {
                let n = sizes[l + 1]
                var inputAdjoint = [Double](repeating: 0, count: n)
                for k in 0..<n where driveAdjoint[l][k] != 0 {
                    inputAdjoint[k] = driveAdjoint[l][k] * sigmoid(pseudoInput[l][k] / config.softplusSharpness)
                    final[l][k].i += inputAdjoint[k]
                }
                guard l > 0 else { break }
                let w = simulator.weights[l]
                for p in 0..<sizes[l] {
                    var rateAdjoint = 0.0
                    for k in 0..<n where inputAdjoint[k] != 0 {
                        gradients[l][p * n + k] += inputAdjoint[k] * pseudoRate[l - 1][p]
                        rateAdjoint += inputAdjoint[k] * w[p * n + k]
                    }
                    if rateAdjoint != 0 {
                        let clock = neuron.pseudospikeClock(potential: finalV[l - 1][p], drive: pseudoDrive[l - 1][p])!
                        let d = config.pseudoRate.derivatives(clock)
                        driveAdjoint[l - 1][p] += rateAdjoint * d.drive
                        final[l - 1][p].v += rateAdjoint * d.potential
                    }
                }
            }
        }
        simulator.reverse(r, timeAdjoint: &ta, finalAdjoint: final, gradients: &gradients)
    }
}

/// How a hidden neuron's pseudospike clock becomes the rate r that drives the next layer's
/// pseudodynamics, I_p = softplus_α(I_end + Σ_j w_ij r_j).
public enum PseudoRate: String, Sendable, CaseIterable {
    /// r = φ_p/Θ_p ∈ [0, 1), the phase fraction at T (the method's code, spikegd
    /// `QIFNeuron.construct_ratefn`): r → 1 as the neuron's next spike approaches T, so a hidden
    /// spike that leaves the trial through T hands its weight to the pseudo drive continuously.
    case phase
    /// r = 1/Θ_p, independent of V_end: a hidden spike crossing T changes the next layer's pseudo
    /// drive by its weight at once, so the loss jumps there (our rule before issue 17).
    case inversePeriod = "inverse_period"

    func rate(_ clock: PseudospikeClock) -> Double {
        switch self {
        case .phase: clock.phase / clock.period
        case .inversePeriod: 1 / clock.period
        }
    }

    /// ∂r/∂V_end and ∂r/∂I_p.
    func derivatives(_ clock: PseudospikeClock) -> (potential: Double, drive: Double) {
        let period = clock.period
        switch self {
        case .phase:
            return (
                clock.dPhaseDPotential / period,
                clock.dPhaseDDrive / period - clock.phase * clock.dPeriodDDrive / (period * period)
            )
        case .inversePeriod:
            return (0, -clock.dPeriodDDrive / (period * period))
        }
    }
}

/// softplus_α(x) = α ln(1 + e^{x/α}), without overflow.
@inline(__always)
func softplus(_ x: Double, _ alpha: Double) -> Double {
    let y = x / alpha
    return alpha * (Swift.max(y, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(y))))
}

@inline(__always)
func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

/// Hands out sample indices to workers one at a time.
private final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int

    init(count: Int) { self.count = count }

    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}

/// One chunk's gradient sum, written by one worker at a time.
private final class GradientBuffer: @unchecked Sendable {
    var values: [[Double]]
    init(_ zero: [[Double]]) { values = zero }
}

/// Which samples produced a non-finite weight gradient, filled in by the backward pass.
public final class GradientHealth: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Int] = []

    /// Batch indices whose gradient contribution contains NaN or ±∞ (empty before backward).
    public var nonFiniteSamples: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return samples.sorted()
    }

    func markNonFinite(_ sample: Int) {
        lock.lock()
        samples.append(sample)
        lock.unlock()
    }
}

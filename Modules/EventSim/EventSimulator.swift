import Foundation

/// The input of one sample: spike times (sorted, ≥ 0) and the input channel of each.
public struct SpikeTrain: Sendable {
    public var times: [Double]
    public var channels: [Int32]

    public init(times: [Double], channels: [Int32]) {
        precondition(
            times.count == channels.count,
            "SpikeTrain: \(times.count) times but \(channels.count) channels")
        precondition(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "SpikeTrain: times must be sorted")
        precondition(times.first.map { $0 >= 0 } ?? true, "SpikeTrain: times must be non-negative")
        (self.times, self.channels) = (times, channels)
    }
}

/// The shape of a simulation: a dense feed-forward network and the trial it runs for.
public struct EventNetworkConfig: Sendable {
    /// [inputs, hidden…, outputs]; weights of layer l have shape [sizes[l−1], sizes[l]].
    public var layerSizes: [Int]
    /// Trial length T; events after T are not simulated.
    public var duration: Double
    /// Maximum number of events (input spikes plus network spikes) per sample; more is an error.
    public var eventBudget: Int
    /// How many output spike times per output neuron are returned (the first K).
    public var outputSlots: Int
    /// Whether missing output spikes are filled by pseudospikes (when the neuron has them).
    public var pseudospikes: Bool
    /// α of softplus_α(x) = α ln(1 + e^{x/α}), the pseudospike drive.
    public var softplusSharpness: Double
    /// How hidden neurons drive the next layer's pseudodynamics (inputs have rate 0).
    public var pseudoRate: PseudoRate
    /// Time constant of the leaky integrator whose max over time is the `leakyLogits` readout.
    public var readoutTau: Double

    public init(
        layerSizes: [Int], duration: Double, eventBudget: Int = 100_000, outputSlots: Int = 1,
        pseudospikes: Bool = true, softplusSharpness: Double = 10, pseudoRate: PseudoRate = .phase,
        readoutTau: Double = 1
    ) {
        precondition(
            layerSizes.count >= 2 && layerSizes.allSatisfy { $0 > 0 },
            "EventNetworkConfig: need at least input and output sizes, all positive; got \(layerSizes)")
        precondition(
            duration > 0 && eventBudget > 0 && outputSlots > 0 && readoutTau > 0 && softplusSharpness > 0,
            "EventNetworkConfig: duration, eventBudget, outputSlots, readoutTau and softplusSharpness must be positive")
        self.layerSizes = layerSizes
        self.duration = duration
        self.eventBudget = eventBudget
        self.outputSlots = outputSlots
        self.pseudospikes = pseudospikes
        self.softplusSharpness = softplusSharpness
        self.pseudoRate = pseudoRate
        self.readoutTau = readoutTau
    }

    var layerCount: Int { layerSizes.count - 1 }
}

/// Everything the reverse pass needs from one sample's forward, in flat Float64/Int32 arrays.
///
/// Events are numbered in time order. An event is an input spike (`source` 0) or a spike of
/// neuron `unit` in layer `source` ≥ 1; only the latter's time depends on the weights. Every
/// event that reaches a layer "touches" all its neurons (dense fan-out); a touch block stores,
/// per neuron, the state after its previous touch and which event that was, so the reverse pass
/// can recompute each flow and its Jacobian instead of storing them.
///
/// Records are reused through `RecordPool`, so their arrays keep their capacity across batches.
final class SampleRecord {
    let sizes: [Int]
    /// Moved out into a local while simulating, so the hot loops pay no exclusivity checks.
    var log: EventLog
    /// Per layer: the live state of its neurons.
    let layers: [LayerState]
    var budgetExceeded = false

    init(sizes: [Int]) {
        self.sizes = sizes
        log = EventLog(sizes: sizes)
        layers = sizes.dropFirst().map(LayerState.init)
    }

    var eventCount: Int { log.eventTime.count }
}

/// The recorded events of one sample (see `SampleRecord`).
struct EventLog {
    var eventTime: [Double] = []
    var eventSource: [Int32] = []
    var eventUnit: [Int32] = []

    /// Per layer (index l − 1): the touch blocks, `size` entries each.
    var blockPrevV: [[Double]]
    var blockPrevI: [[Double]]
    var blockPrevEvent: [[Int32]]
    var blockRow: [[Int32]]

    /// Per network spike, in event order: the spiking neuron's state after its previous touch.
    var spikePrevV: [Double] = []
    var spikePrevI: [Double] = []
    var spikePrevEvent: [Int32] = []

    /// Per output neuron: its spike events in time order.
    var outputSpikes: [[Int32]]

    init(sizes: [Int]) {
        let layers = Swift.max(0, sizes.count - 1)
        blockPrevV = Array(repeating: [], count: layers)
        blockPrevI = blockPrevV
        blockPrevEvent = Array(repeating: [], count: layers)
        blockRow = blockPrevEvent
        outputSpikes = Array(repeating: [], count: sizes.last ?? 0)
    }

    /// Empties the log for a new sample, keeping capacity; reserves room for the input events
    /// and the first layer's touch blocks, the bulk of the record.
    mutating func reset(inputSpikes: Int, firstLayer: Int) {
        eventTime.removeAll(keepingCapacity: true)
        eventSource.removeAll(keepingCapacity: true)
        eventUnit.removeAll(keepingCapacity: true)
        for l in blockRow.indices {
            blockPrevV[l].removeAll(keepingCapacity: true)
            blockPrevI[l].removeAll(keepingCapacity: true)
            blockPrevEvent[l].removeAll(keepingCapacity: true)
            blockRow[l].removeAll(keepingCapacity: true)
        }
        spikePrevV.removeAll(keepingCapacity: true)
        spikePrevI.removeAll(keepingCapacity: true)
        spikePrevEvent.removeAll(keepingCapacity: true)
        for n in outputSpikes.indices { outputSpikes[n].removeAll(keepingCapacity: true) }
        let events = 2 * inputSpikes
        eventTime.reserveCapacity(events)
        eventSource.reserveCapacity(events)
        eventUnit.reserveCapacity(events)
        blockPrevV[0].reserveCapacity(inputSpikes * firstLayer)
        blockPrevI[0].reserveCapacity(inputSpikes * firstLayer)
        blockPrevEvent[0].reserveCapacity(inputSpikes * firstLayer)
        blockRow[0].reserveCapacity(inputSpikes)
    }
}

/// One layer's per-neuron state: after the last touch, its time and event (−1: t = 0), the key
/// e^{−t/τ} of the pending spike (0: none) and the spike count. Raw buffers, allocated once, so
/// the hot loops pay no copy-on-write or exclusivity checks.
///
/// The keys' maximum is kept per block of `blockSize` neurons, so that finding the soonest spike
/// after one key changed (a spike, a bound made exact) reads a block and the block maxima
/// instead of the whole layer.
final class LayerState {
    /// A multiple of four, the touch's packed width, so that its packed steps fill whole blocks.
    static let blockSize = 16
    let count: Int
    let blockCount: Int
    /// Per block: its largest key, NaN keys ignored (0 if none is positive).
    let blockMax: UnsafeMutablePointer<Double>
    let v: UnsafeMutablePointer<Double>
    let i: UnsafeMutablePointer<Double>
    let lastTime: UnsafeMutablePointer<Double>
    let key: UnsafeMutablePointer<Double>
    /// Whether `key` is exact or only an upper bound (see `spikeDecayBound`), and e^{−t/τ} at the
    /// last touch, to make it exact.
    let exact: UnsafeMutablePointer<Bool>
    let anchor: UnsafeMutablePointer<Double>
    let lastEvent: UnsafeMutablePointer<Int32>
    let spikeCount: UnsafeMutablePointer<Int32>

    init(count: Int) {
        self.count = count
        blockCount = (count + Self.blockSize - 1) / Self.blockSize
        blockMax = .allocate(capacity: blockCount)
        v = .allocate(capacity: count)
        i = .allocate(capacity: count)
        lastTime = .allocate(capacity: count)
        key = .allocate(capacity: count)
        exact = .allocate(capacity: count)
        anchor = .allocate(capacity: count)
        lastEvent = .allocate(capacity: count)
        spikeCount = .allocate(capacity: count)
    }

    deinit {
        for p in [v, i, lastTime, key, anchor, blockMax] { p.deallocate() }
        exact.deallocate()
        lastEvent.deallocate()
        spikeCount.deallocate()
    }

    func reset(restKey: Double) {
        v.update(repeating: 0, count: count)
        i.update(repeating: 0, count: count)
        lastTime.update(repeating: 0, count: count)
        key.update(repeating: restKey, count: count)
        exact.update(repeating: true, count: count)
        anchor.update(repeating: 1, count: count)
        lastEvent.update(repeating: -1, count: count)
        spikeCount.update(repeating: 0, count: count)
        for b in 0..<blockCount { updateBlock(b) }
    }

    var spikes: [Int32] { Array(UnsafeBufferPointer(start: spikeCount, count: count)) }

    /// Recomputes the maximum of block `b` after its keys changed.
    @inline(__always)
    func updateBlock(_ b: Int) {
        var m = 0.0
        for k in b * Self.blockSize..<Swift.min(count, (b + 1) * Self.blockSize) where key[k] > m { m = key[k] }
        blockMax[b] = m
    }

    /// The neuron with the largest key (the soonest spike), exact or not; the first such neuron
    /// on a tie, and (0, 0) if no key is positive.
    func best() -> (key: Double, index: Int) {
        var best = (key: 0.0, block: 0)
        for b in 0..<blockCount where blockMax[b] > best.key { best = (blockMax[b], b) }
        guard best.key > 0 else { return (0, 0) }
        var k = best.block * Self.blockSize
        while key[k] != best.key { k += 1 }
        return (best.key, k)
    }
}

/// Keeps sample records between batches so that their memory is not faulted in anew each time.
final class RecordPool: @unchecked Sendable {
    static let shared = RecordPool()
    /// Records kept at most (a few batches' worth).
    private static let capacity = 128
    private let lock = NSLock()
    private var free: [SampleRecord] = []

    func take(_ count: Int, sizes: [Int]) -> [SampleRecord] {
        lock.lock()
        var taken: [SampleRecord] = []
        while taken.count < count, let r = free.popLast() {
            if r.sizes == sizes { taken.append(r) }
        }
        lock.unlock()
        while taken.count < count { taken.append(SampleRecord(sizes: sizes)) }
        return taken
    }

    func give(_ records: [SampleRecord]) {
        lock.lock()
        free.append(contentsOf: records.prefix(Swift.max(0, Self.capacity - free.count)))
        lock.unlock()
    }
}

/// A batch's records, returned to the pool when the last user (the pullback) lets go.
final class RecordLease {
    let records: [SampleRecord]
    init(_ records: [SampleRecord]) { self.records = records }
    deinit { RecordPool.shared.give(records) }
}

/// Every layer's weights in one buffer, allocated once per batch.
final class WeightBuffer: @unchecked Sendable {
    private let values: UnsafeMutablePointer<Double>
    private let starts: UnsafeMutablePointer<Int>

    init(_ weights: [[Double]]) {
        values = .allocate(capacity: weights.reduce(0) { $0 + $1.count })
        starts = .allocate(capacity: weights.count)
        var start = 0
        for (l, w) in weights.enumerated() {
            starts[l] = start
            (values + start).initialize(from: w, count: w.count)
            start += w.count
        }
    }

    deinit {
        values.deallocate()
        starts.deallocate()
    }

    /// Layer `l`'s weights (read only).
    @inline(__always)
    func layer(_ l: Int) -> UnsafePointer<Double> { UnsafePointer(values + starts[l]) }
}

/// Simulates one sample exactly, event by event, and runs the adjoint pass over its record.
struct EventSimulator<Neuron: EventDrivenNeuron> {
    let neuron: Neuron
    let config: EventNetworkConfig
    /// Row-major [n_{l−1}, n_l] weights per layer.
    let weights: [[Double]]
    /// The same weights in one buffer for the event loop: reading a layer's array there retains
    /// it per event, and the threads simulating other samples contend for its reference count.
    private let weightBuffer: WeightBuffer

    init(neuron: Neuron, config: EventNetworkConfig, weights: [[Double]]) {
        (self.neuron, self.config, self.weights) = (neuron, config, weights)
        weightBuffer = WeightBuffer(weights)
    }

    // MARK: Forward

    /// Runs the sample from t = 0 to T, event by event: the next event is the earlier of the next
    /// input spike and the earliest pending network spike.
    ///
    /// Pending spikes are kept per neuron as keys e^{−t_spike/τ} (larger is sooner, 0 is never),
    /// with each layer's best cached. Every event reaching a layer touches all its neurons (dense
    /// fan-out), so their keys are recomputed anyway and the block maxima (`LayerState`) with
    /// them; a heap would only add work.
    @_specialize(where Neuron == ExactLIF)
    @_specialize(where Neuron == ExactQIF)
    func simulate(_ input: SpikeTrain, into r: SampleRecord) {
        let layers = config.layerCount
        let sizes = config.layerSizes
        let tau = neuron.tau
        precondition(
            config.duration / tau <= 500, "EventSimulator: duration/tau must be at most 500 (spike keys e^{-t/tau})")
        let restKey = neuron.spikeDecay(NeuronState(v: 0, i: 0))
        for layer in r.layers { layer.reset(restKey: restKey) }
        r.budgetExceeded = false
        var log = EventLog(sizes: sizes)
        swap(&log, &r.log)
        defer { swap(&log, &r.log) }
        log.reset(inputSpikes: input.times.count, firstLayer: sizes[1])
        // One local array for the loop: reading `r.layers` per event retains and releases.
        let states = r.layers
        var layerBest = states.map { resolvedBest($0) }
        var nextInput = 0
        let inputCount = input.times.count
        let endKey = Foundation.exp(-config.duration / tau)
        var lastTime = 0.0
        while true {
            let tIn = nextInput < inputCount ? input.times[nextInput] : .infinity
            var layer = -1
            var key = 0.0
            for l in 0..<layers where layerBest[l].key > key {
                key = layerBest[l].key
                layer = l
            }
            // The key's logarithm may round below the last event time; event times stay monotone.
            let tNet = key >= endKey ? Swift.max(-tau * Foundation.log(key), lastTime) : .infinity
            let t = Swift.min(tIn, tNet)
            if t > config.duration { break }
            if log.eventTime.count >= config.eventBudget {
                r.budgetExceeded = true
                break
            }
            lastTime = t
            let e = Int32(log.eventTime.count)
            if tNet < tIn {
                let j = layerBest[layer].index
                log.eventTime.append(t)
                log.eventSource.append(Int32(layer + 1))
                log.eventUnit.append(Int32(j))
                fire(states[layer], neuron: j, at: t, event: e, log: &log)
                layerBest[layer] = resolvedBest(states[layer])
                if layer + 1 < layers {
                    layerBest[layer + 1] = touch(
                        states[layer + 1], layer: layer + 1, row: j, at: t, event: e, log: &log)
                } else {
                    log.outputSpikes[j].append(e)
                }
            } else {
                let channel = Int(input.channels[nextInput])
                precondition(
                    channel >= 0 && channel < sizes[0],
                    "EventSimulator: input channel \(channel) outside 0..<\(sizes[0])")
                nextInput += 1
                log.eventTime.append(t)
                log.eventSource.append(0)
                log.eventUnit.append(Int32(channel))
                layerBest[0] = touch(states[0], layer: 0, row: channel, at: t, event: e, log: &log)
            }
        }
    }

    /// Resets neuron `j` at its spike time.
    @inline(__always)
    private func fire(_ s: LayerState, neuron j: Int, at t: Double, event e: Int32, log: inout EventLog) {
        log.spikePrevV.append(s.v[j])
        log.spikePrevI.append(s.i[j])
        log.spikePrevEvent.append(s.lastEvent[j])
        let x = Foundation.exp(-(t - s.lastTime[j]) / neuron.tau)
        let state = NeuronState(v: neuron.resetPotential, i: s.i[j] * x * x)
        s.v[j] = state.v
        s.i[j] = state.i
        s.lastTime[j] = t
        s.lastEvent[j] = e
        s.anchor[j] = Foundation.exp(-t / neuron.tau)
        s.key[j] = s.anchor[j] * neuron.spikeDecay(state)
        s.exact[j] = true
        s.updateBlock(j / LayerState.blockSize)
        s.spikeCount[j] += 1
    }

    /// Advances every neuron of `layer` to `t`, adds row `row` of its weights to the currents and
    /// recomputes the spike keys; returns the layer's best.
    ///
    /// Four neurons per step through the plugin's packed `flow` and `spikeDecayBound`, each lane
    /// as the scalar functions compute it; a layer size that is not a multiple of four ends with
    /// a scalar step per neuron.
    @inline(__always)
    private func touch(_ s: LayerState, layer l: Int, row: Int, at t: Double, event e: Int32, log: inout EventLog)
        -> (key: Double, index: Int)
    {
        let n = s.count
        log.blockRow[l].append(Int32(row))
        log.blockPrevV[l].append(contentsOf: UnsafeBufferPointer(start: s.v, count: n))
        log.blockPrevI[l].append(contentsOf: UnsafeBufferPointer(start: s.i, count: n))
        log.blockPrevEvent[l].append(contentsOf: UnsafeBufferPointer(start: s.lastEvent, count: n))
        let tau = neuron.tau
        let now = Foundation.exp(-t / tau)
        let w = weightBuffer.layer(l) + row * n
        // Neurons last touched together share one interval (one exponential).
        var cachedDelta = -1.0
        var interval = Interval(0, tau: tau)
        // The running maximum of the current block's keys, lane by lane (NaN keys ignored).
        var blockKeys = SIMD4<Double>()
        var k = 0
        while k + 4 <= n {
            let delta = t - load4(s.lastTime + k)
            var intervals = Intervals4(interval)
            if delta != SIMD4(repeating: cachedDelta) {
                func since(_ delta: Double) -> Interval {
                    if delta != cachedDelta {
                        cachedDelta = delta
                        interval = Interval(delta, tau: tau)
                    }
                    return interval
                }
                intervals = Intervals4(since(delta[0]), since(delta[1]), since(delta[2]), since(delta[3]))
            }
            var state = neuron.flow(NeuronStates4(v: load4(s.v + k), i: load4(s.i + k)), over: intervals)
            state.i += load4(w + k)
            store4(state.v, s.v + k)
            store4(state.i, s.i + k)
            store4(SIMD4(repeating: t), s.lastTime + k)
            let (bound, exact) = neuron.spikeDecayBound(state)
            let keys = now * bound
            store4(keys, s.key + k)
            for lane in 0..<4 { s.exact[k + lane] = exact[lane] }
            blockKeys = blockKeys.replacing(with: keys, where: keys .> blockKeys)
            k += 4
            if k % LayerState.blockSize == 0 {
                var m = 0.0
                for lane in 0..<4 where blockKeys[lane] > m { m = blockKeys[lane] }
                s.blockMax[k / LayerState.blockSize - 1] = m
                blockKeys = SIMD4()
            }
        }
        for k in k..<n {
            let delta = t - s.lastTime[k]
            if delta != cachedDelta {
                cachedDelta = delta
                interval = Interval(delta, tau: tau)
            }
            var state = neuron.flow(NeuronState(v: s.v[k], i: s.i[k]), over: interval)
            state.i += w[k]
            s.v[k] = state.v
            s.i[k] = state.i
            s.lastTime[k] = t
            let (bound, exact) = neuron.spikeDecayBound(state)
            s.key[k] = now * bound
            s.exact[k] = exact
        }
        s.lastEvent.update(repeating: e, count: n)
        s.anchor.update(repeating: now, count: n)
        // The packed steps filled every whole block's maximum.
        if n % LayerState.blockSize != 0 { s.updateBlock(s.blockCount - 1) }
        return resolvedBest(s)
    }

    /// The layer's soonest spike, making bounded keys exact until the largest key is exact (an
    /// exact key never exceeds its bound, so no other neuron can be sooner).
    private func resolvedBest(_ s: LayerState) -> (key: Double, index: Int) {
        while true {
            let best = s.best()
            let k = best.index
            if best.key == 0 || s.exact[k] { return best }
            s.key[k] = s.anchor[k] * neuron.spikeDecay(NeuronState(v: s.v[k], i: s.i[k]))
            s.exact[k] = true
            s.updateBlock(k / LayerState.blockSize)
        }
    }

    // MARK: Reverse

    /// Accumulates dL/dW into `gradients` (per layer, row-major like the weights).
    ///
    /// - Parameters:
    ///   - timeAdjoint: dL/d(time of event e) for the output spike events (others zero); consumed.
    ///   - finalAdjoint: dL/d(V, I) at T per layer and neuron.
    @_specialize(where Neuron == ExactLIF)
    @_specialize(where Neuron == ExactQIF)
    func reverse(
        _ r: SampleRecord, timeAdjoint ta: inout [Double], finalAdjoint: [[NeuronState]],
        gradients: inout [[Double]]
    ) {
        let layers = config.layerCount
        let tau = neuron.tau
        let log = r.log
        let eventTime = log.eventTime
        let eventSource = log.eventSource
        /// The time of event `e`, −1 being the start of the trial, and whether it is a network
        /// spike (whose time depends on the weights).
        func time(_ e: Int32) -> Double { e < 0 ? 0 : eventTime[Int(e)] }
        func isVariable(_ e: Int32) -> Bool { e >= 0 && eventSource[Int(e)] > 0 }
        var lambda = finalAdjoint
        // The flow from each neuron's last touch to T.
        for l in 0..<layers {
            let s = r.layers[l]
            for n in 0..<s.count {
                let a = lambda[l][n]
                guard a.v != 0 || a.i != 0 else { continue }
                let start = NeuronState(v: s.v[n], i: s.i[n])
                let f = neuron.flowWithJacobian(start, over: Interval(config.duration - s.lastTime[n], tau: tau))
                let pe = s.lastEvent[n]
                if isVariable(pe) {
                    let vel = neuron.velocity(f.state)
                    ta[Int(pe)] -= a.v * vel.v + a.i * vel.i
                }
                lambda[l][n] = NeuronState(v: f.dVdV * a.v, i: f.dVdI * a.v + f.dIdI * a.i)
            }
        }
        var blockCursor = log.blockRow.map(\.count)
        var spikeCursor = log.spikePrevV.count
        ta.withUnsafeMutableBufferPointer { ta in
            for e in stride(from: eventTime.count - 1, through: 0, by: -1) {
                let source = Int(eventSource[e])
                let t = eventTime[e]
                if source < layers {
                    let l = source
                    let n = r.layers[l].count
                    blockCursor[l] -= 1
                    let b = blockCursor[l]
                    let row = Int(log.blockRow[l][b])
                    let variable = source > 0
                    var timeAdjoint = 0.0
                    gradients[l].withUnsafeMutableBufferPointer { g in
                        let g = g.baseAddress! + row * n
                        lambda[l].withUnsafeMutableBufferPointer { lam in
                            log.blockPrevV[l].withUnsafeBufferPointer { pv in
                                log.blockPrevI[l].withUnsafeBufferPointer { pi in
                                    log.blockPrevEvent[l].withUnsafeBufferPointer { pev in
                                        let pv = pv.baseAddress! + b * n
                                        let pi = pi.baseAddress! + b * n
                                        let pev = pev.baseAddress! + b * n
                                        var cachedEvent: Int32 = -2
                                        var prevVariable = false
                                        var interval = Interval(0, tau: tau)
                                        // Four flows per step as the forward's touch; the sums
                                        // stay in neuron order.
                                        var k = 0
                                        while k + 4 <= n {
                                            defer { k += 4 }
                                            let av = SIMD4(lam[k].v, lam[k + 1].v, lam[k + 2].v, lam[k + 3].v)
                                            let ai = SIMD4(lam[k].i, lam[k + 1].i, lam[k + 2].i, lam[k + 3].i)
                                            let active = (av .!= 0) .| (ai .!= 0)
                                            guard any(active) else { continue }
                                            let events = SIMD4(pev[k], pev[k + 1], pev[k + 2], pev[k + 3])
                                            var intervals = Intervals4(interval)
                                            var previous = SIMDMask<SIMD4<Int64>>(repeating: prevVariable)
                                            if events != SIMD4(repeating: cachedEvent) {
                                                func since(_ pe: Int32) -> (Interval, Int64) {
                                                    if pe != cachedEvent {
                                                        cachedEvent = pe
                                                        interval = Interval(t - time(pe), tau: tau)
                                                        prevVariable = isVariable(pe)
                                                    }
                                                    return (interval, prevVariable ? 1 : 0)
                                                }
                                                let (i0, p0) = since(events[0])
                                                let (i1, p1) = since(events[1])
                                                let (i2, p2) = since(events[2])
                                                let (i3, p3) = since(events[3])
                                                intervals = Intervals4(i0, i1, i2, i3)
                                                previous = (SIMD4(p0, p1, p2, p3) .!= 0)
                                            }
                                            let f = neuron.flowWithJacobian(
                                                NeuronStates4(v: load4(pv + k), i: load4(pi + k)), over: intervals)
                                            for lane in 0..<4 where active[lane] {
                                                let a = NeuronState(v: av[lane], i: ai[lane])
                                                g[k + lane] += a.i
                                                let f = f[lane]
                                                if variable || previous[lane] {
                                                    let vel = neuron.velocity(f.state)
                                                    let dt = a.v * vel.v + a.i * vel.i
                                                    timeAdjoint += dt
                                                    if previous[lane] { ta[Int(pev[k + lane])] -= dt }
                                                }
                                                lam[k + lane] = NeuronState(
                                                    v: f.dVdV * a.v, i: f.dVdI * a.v + f.dIdI * a.i)
                                            }
                                        }
                                        for k in k..<n {
                                            let a = lam[k]
                                            guard a.v != 0 || a.i != 0 else { continue }
                                            g[k] += a.i
                                            let pe = pev[k]
                                            if pe != cachedEvent {
                                                cachedEvent = pe
                                                interval = Interval(t - time(pe), tau: tau)
                                                prevVariable = isVariable(pe)
                                            }
                                            let f = neuron.flowWithJacobian(
                                                NeuronState(v: pv[k], i: pi[k]), over: interval)
                                            if variable || prevVariable {
                                                let vel = neuron.velocity(f.state)
                                                let dt = a.v * vel.v + a.i * vel.i
                                                timeAdjoint += dt
                                                if prevVariable { ta[Int(pe)] -= dt }
                                            }
                                            lam[k] = NeuronState(v: f.dVdV * a.v, i: f.dVdI * a.v + f.dIdI * a.i)
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if variable { ta[e] += timeAdjoint }
                }
                if source > 0 {
                    let l = source - 1
                    let j = Int(log.eventUnit[e])
                    spikeCursor -= 1
                    let start = NeuronState(v: log.spikePrevV[spikeCursor], i: log.spikePrevI[spikeCursor])
                    let pe = log.spikePrevEvent[spikeCursor]
                    let x = Foundation.exp(-(t - time(pe)) / tau)
                    let a = lambda[l][j]
                    let dtAfter = a.i * 2 * start.i * x * x / tau
                    ta[e] -= dtAfter
                    let total = ta[e]
                    let grad = neuron.timeToSpikeGradient(start)
                    if isVariable(pe) { ta[Int(pe)] += dtAfter + total }
                    lambda[l][j] = NeuronState(v: total * grad.v, i: a.i * x * x + total * grad.i)
                }
            }
        }
    }
}

@inline(__always)
private func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
}

@inline(__always)
private func load4(_ p: UnsafeMutablePointer<Double>) -> SIMD4<Double> { load4(UnsafePointer(p)) }

@inline(__always)
private func store4(_ x: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD4<Double>.self)
}

import TensorRuntime

/// One spike of a network neuron (inputs are not included).
public struct NetworkSpike: Sendable, Equatable {
    public var time: Double
    /// 1 for the first hidden layer, …, `layerSizes.count − 1` for the outputs (0 would be the
    /// input, as in `EventNetworkConfig.layerSizes`).
    public var layer: Int
    public var unit: Int

    public init(time: Double, layer: Int, unit: Int) {
        (self.time, self.layer, self.unit) = (time, layer, unit)
    }
}

extension EventNetwork {
    /// Forward-only simulation of one sample; every network spike in [0, T] in time order (the
    /// simulator's event order, which also orders simultaneous spikes).
    ///
    /// For single-sample landscapes (claim 4 of Wenig et al. 2026): comparing rasters at nearby
    /// parameters shows whether the loss changed through spike times alone or through spikes
    /// (dis)appearing after a change of spike order.
    ///
    /// - Throws: `EventBudgetExceeded` (batch index 0) like `callAsFunction`, rather than
    ///   returning a truncated raster.
    public func spikeRaster(weights: [Tensor], input: SpikeTrain) throws(EventBudgetExceeded) -> [NetworkSpike] {
        precondition(
            weights.map(\.shape) == weightShapes,
            "spikeRaster: weight shapes \(weights.map(\.shape)) do not match \(weightShapes)")
        let simulator = EventSimulator(neuron: neuron, config: config, weights: weights.map(\.doubles))
        let lease = RecordLease(RecordPool.shared.take(1, sizes: config.layerSizes))
        let record = lease.records[0]
        simulator.simulate(input, into: record)
        guard !record.budgetExceeded else { throw EventBudgetExceeded(samples: [0], budget: config.eventBudget) }
        return record.log.networkSpikes
    }
}

extension EventLog {
    /// The network spikes among the events, in event (time) order.
    var networkSpikes: [NetworkSpike] {
        eventTime.indices.compactMap { e in
            guard eventSource[e] > 0 else { return nil }
            return NetworkSpike(time: eventTime[e], layer: Int(eventSource[e]), unit: Int(eventUnit[e]))
        }
    }
}

/// How a raster changed between two nearby parameter points.
///
/// Neurons are matched by (layer, unit) and their spikes by rank k (the k-th spike of a neuron
/// before is the k-th after), the same identification the exact gradient makes: spike times
/// move, but a neuron's spike count, and with it the k-th spikes beyond the common count, change
/// discontinuously.
public struct RasterChange: Sendable, Equatable {
    /// Per neuron max(0, count_after − count_before), summed.
    public var appeared: Int
    /// Per neuron max(0, count_before − count_after), summed.
    public var vanished: Int
    /// Whether the order of the spikes common to both (the first min(count) spikes of each
    /// neuron), as a sequence of (layer, unit, k), differs.
    public var orderChanged: Bool

    public init(appeared: Int, vanished: Int, orderChanged: Bool) {
        (self.appeared, self.vanished, self.orderChanged) = (appeared, vanished, orderChanged)
    }

    /// - Precondition: both rasters are in time order (as `spikeRaster` returns them).
    public static func between(_ before: [NetworkSpike], _ after: [NetworkSpike]) -> RasterChange {
        for raster in [before, after] {
            precondition(
                zip(raster, raster.dropFirst()).allSatisfy { $0.time <= $1.time },
                "RasterChange: rasters must be in time order")
        }
        let countsBefore = counts(before)
        let countsAfter = counts(after)
        var appeared = 0
        var vanished = 0
        for neuron in Set(countsBefore.keys).union(countsAfter.keys) {
            let difference = countsAfter[neuron, default: 0] - countsBefore[neuron, default: 0]
            appeared += Swift.max(0, difference)
            vanished += Swift.max(0, -difference)
        }
        let common = { (n: NeuronID) in Swift.min(countsBefore[n, default: 0], countsAfter[n, default: 0]) }
        return RasterChange(
            appeared: appeared, vanished: vanished,
            orderChanged: commonSpikes(before, common) != commonSpikes(after, common))
    }

    /// A raster's spikes as (neuron, k), keeping the first `common(neuron)` of each neuron.
    private static func commonSpikes(_ raster: [NetworkSpike], _ common: (NeuronID) -> Int) -> [RankedSpike] {
        var seen: [NeuronID: Int] = [:]
        return raster.compactMap { spike in
            let neuron = NeuronID(layer: spike.layer, unit: spike.unit)
            let k = seen[neuron, default: 0]
            seen[neuron] = k + 1
            return k < common(neuron) ? RankedSpike(neuron: neuron, rank: k) : nil
        }
    }

    private static func counts(_ raster: [NetworkSpike]) -> [NeuronID: Int] {
        raster.reduce(into: [:]) { $0[NeuronID(layer: $1.layer, unit: $1.unit), default: 0] += 1 }
    }

    private struct NeuronID: Hashable {
        var layer: Int
        var unit: Int
    }

    private struct RankedSpike: Equatable {
        var neuron: NeuronID
        var rank: Int
    }
}

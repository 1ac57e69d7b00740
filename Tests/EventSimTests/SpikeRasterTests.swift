import Foundation
import TensorRuntime
import XCTest

@testable import EventSim

final class SpikeRasterTests: XCTestCase {
    func checkRasterMatchesOutputs<N: EventDrivenNeuron>(_ neuron: N, means: [Double], seed: UInt64) throws {
        let config = EventNetworkConfig(layerSizes: [6, 5, 3], duration: 2, outputSlots: 4, pseudospikes: false)
        let net = EventNetwork(neuron: neuron, config: config)
        let weights = Fixture.weights(net.weightShapes, means: means, spread: 1.5, seed: seed)
        var total = [0, 0]
        for input in Fixture.trains(samples: 3, channels: 6, spikesPerChannel: 4, duration: 2, seed: seed + 1) {
            let out = try net(weights: weights, inputs: [input])
            let raster = try net.spikeRaster(weights: weights, input: input)
            XCTAssertTrue(zip(raster, raster.dropFirst()).allSatisfy { $0.time <= $1.time }, "raster not in time order")
            XCTAssertTrue(raster.allSatisfy { $0.time >= 0 && $0.time <= 2 })
            XCTAssertTrue(
                raster.allSatisfy {
                    (1...2).contains($0.layer) && $0.unit >= 0 && $0.unit < config.layerSizes[$0.layer]
                })
            let perLayer = [1, 2].map { l in raster.filter { $0.layer == l }.count }
            XCTAssertEqual(perLayer, out.statistics.spikesPerLayer)
            let outputTimes = (0..<3).map { u in raster.filter { $0.layer == 2 && $0.unit == u }.map(\.time) }
            XCTAssertEqual(outputTimes.map { Double($0.count) }, out.spikeCounts.doubles)
            let slots = out.spikeTimes.doubles
            for (u, times) in outputTimes.enumerated() {
                for (k, t) in times.prefix(4).enumerated() {
                    XCTAssertEqual(t, slots[u * 4 + k], "output \(u) spike \(k)")
                }
            }
            total = zip(total, perLayer).map(+)
        }
        // Only meaningful if both layers spike.
        XCTAssertGreaterThan(total[0], 5)
        XCTAssertGreaterThan(total[1], 2)
    }

    func testLIFRasterMatchesNetworkOutput() throws {
        try checkRasterMatchesOutputs(ExactLIF(), means: [2.5, 3], seed: 40)
    }

    func testQIFRasterMatchesNetworkOutput() throws {
        try checkRasterMatchesOutputs(ExactQIF(), means: [3, 4], seed: 50)
    }

    func testRasterRespectsEventBudget() {
        let net = EventNetwork(
            neuron: ExactQIF(), config: EventNetworkConfig(layerSizes: [2, 2], duration: 1, eventBudget: 5))
        let input = Fixture.trains(samples: 1, channels: 2, spikesPerChannel: 5, duration: 1, seed: 2)[0]
        XCTAssertThrowsError(
            try net.spikeRaster(
                weights: Fixture.weights(net.weightShapes, means: [0], spread: 1, seed: 3),
                input: input)
        ) {
            XCTAssertEqual(($0 as? EventBudgetExceeded)?.samples, [0])
        }
    }
}

final class RasterChangeTests: XCTestCase {
    func s(_ time: Double, _ layer: Int, _ unit: Int) -> NetworkSpike {
        NetworkSpike(time: time, layer: layer, unit: unit)
    }

    func testIdenticalOrShiftedRastersDoNotChange() {
        let raster = [s(0.1, 1, 0), s(0.2, 1, 1), s(0.3, 2, 0)]
        let none = RasterChange(appeared: 0, vanished: 0, orderChanged: false)
        XCTAssertEqual(RasterChange.between(raster, raster), none)
        XCTAssertEqual(RasterChange.between(raster, [s(0.12, 1, 0), s(0.25, 1, 1), s(0.26, 2, 0)]), none)
        XCTAssertEqual(RasterChange.between([], []), none)
    }

    func testSwappedSpikesChangeOrder() {
        let before = [s(0.1, 1, 0), s(0.2, 1, 1)]
        let after = [s(0.15, 1, 1), s(0.18, 1, 0)]
        XCTAssertEqual(RasterChange.between(before, after), RasterChange(appeared: 0, vanished: 0, orderChanged: true))
        // A neuron's second spike overtaking another neuron's first.
        XCTAssertTrue(
            RasterChange.between(
                [s(0.1, 1, 0), s(0.2, 1, 1), s(0.3, 1, 0)],
                [s(0.1, 1, 0), s(0.25, 1, 0), s(0.3, 1, 1)]
            ).orderChanged)
    }

    func testAppearingAndVanishingSpikesAreCountedPerNeuron() {
        let raster = [s(0.1, 1, 0), s(0.2, 1, 1), s(0.3, 2, 0)]
        XCTAssertEqual(
            RasterChange.between(raster, raster + [s(0.4, 1, 0)]),
            RasterChange(appeared: 1, vanished: 0, orderChanged: false))
        XCTAssertEqual(
            RasterChange.between(raster, [s(0.1, 1, 0), s(0.3, 2, 0)]),
            RasterChange(appeared: 0, vanished: 1, orderChanged: false))
        // A spike moving from one neuron to another is one vanished and one appeared, not a shift.
        XCTAssertEqual(
            RasterChange.between(raster, [s(0.1, 1, 0), s(0.2, 1, 2), s(0.3, 2, 0)]),
            RasterChange(appeared: 1, vanished: 1, orderChanged: false))
        // The vanished spike is the neuron's last (k-th spikes match by rank); what stays swapped order.
        XCTAssertEqual(
            RasterChange.between([s(0.1, 1, 0), s(0.2, 1, 1), s(0.35, 1, 0)], [s(0.2, 1, 1), s(0.3, 1, 0)]),
            RasterChange(appeared: 0, vanished: 1, orderChanged: true))
        // An early spike appearing in front of everything keeps the common spikes' order.
        XCTAssertEqual(
            RasterChange.between(raster, [s(0.05, 2, 1)] + raster),
            RasterChange(appeared: 1, vanished: 0, orderChanged: false))
    }
}

/// Claim 4 of Wenig et al. 2026 in the smallest network: an input spike at t = 0 drives hidden
/// neuron 0 through the swept weight w and hidden neuron 1 through a fixed weight; the output
/// listens to hidden neuron 0 only. Lowering w delays neuron 0's spike past neuron 1's (an order
/// change) until it vanishes: mid-trial at the tangential threshold w = 4 for LIF, continuously
/// through the trial end for QIF, taking the output spike with it.
final class RasterSweepTests: XCTestCase {
    struct Step {
        var weight: Double
        var before: [NetworkSpike]
        var change: RasterChange
    }

    /// The raster changes between consecutive weights from `from` down to `to`.
    func sweep<N: EventDrivenNeuron>(_ neuron: N, from: Double, to: Double, fixed: Double, steps: Int) throws -> [Step]
    {
        let net = EventNetwork(neuron: neuron, config: EventNetworkConfig(layerSizes: [1, 2, 1], duration: 2))
        let input = SpikeTrain(times: [0], channels: [0])
        let rasters = try (0...steps).map { k in
            let w = from + (to - from) * Double(k) / Double(steps)
            return (
                w,
                try net.spikeRaster(
                    weights: [
                        Tensor(shape: [1, 2], scalars: [w, fixed]),
                        Tensor(shape: [2, 1], scalars: [6.0, 0]),
                    ], input: input)
            )
        }
        XCTAssertEqual(
            rasters[0].1.map { [$0.layer, $0.unit] }, [[1, 0], [1, 1], [2, 0]], "start: 0 before 1, output fires")
        return zip(rasters, rasters.dropFirst()).map { Step(weight: $1.0, before: $0.1, change: .between($0.1, $1.1)) }
    }

    func testLIFSpikeVanishesMidTrialAfterAnOrderChange() throws {
        // t₀(w) = −ln[(w + √(w² − 4w))/(2w)]: 0.24 at w = 6, ln 2 at w = 4; neuron 1 (w = 4.5) at 0.405.
        let steps = try sweep(ExactLIF(), from: 6, to: 3.9, fixed: 4.5, steps: 420)
        let reorders = steps.filter { $0.change.orderChanged }
        XCTAssertEqual(reorders.count, 1)
        XCTAssertEqual(reorders.first?.weight ?? 0, 4.5, accuracy: 0.01)
        let losses = steps.filter { $0.change.appeared + $0.change.vanished > 0 }
        XCTAssertEqual(losses.count, 1, "one step changes spike counts")
        guard let vanish = losses.first else { return }
        XCTAssertEqual(
            vanish.change, RasterChange(appeared: 0, vanished: 2, orderChanged: false), "hidden 0 and the output")
        XCTAssertEqual(vanish.weight, 4, accuracy: 0.01)
        let hidden = vanish.before.first { $0.layer == 1 && $0.unit == 0 }!
        let output = vanish.before.first { $0.layer == 2 }!
        XCTAssertEqual(hidden.time, Foundation.log(2), accuracy: 0.05, "vanishes at the tangential touch, mid-trial")
        XCTAssertLessThan(output.time, 1.5, "the output spike goes with it, far from T = 2")
    }

    func testQIFSpikesOnlyLeaveThroughTheTrialEnd() throws {
        // t₀(w) = −ln(1 − π/(2√w)): 0.81 at w = 8, reaches T = 2 at w ≈ 3.30; neuron 1 (w = 4) at 1.54;
        // the output fires ≈ 1.02 after neuron 0, so it leaves first (w ≈ 6.3).
        let steps = try sweep(ExactQIF(), from: 8, to: 3.1, fixed: 4, steps: 490)
        let reorders = steps.filter { $0.change.orderChanged }
        XCTAssertEqual(reorders.count, 1)
        XCTAssertEqual(reorders.first?.weight ?? 0, 4, accuracy: 0.02)
        XCTAssertTrue(steps.allSatisfy { $0.change.appeared == 0 })
        let vanishes = steps.enumerated().filter { $0.element.change.vanished > 0 }
        XCTAssertEqual(vanishes.map(\.element.change.vanished), [1, 1], "the output spike, then hidden neuron 0's")
        for ((index, step), layer) in zip(vanishes, [2, 1]) {
            // The spike's time over the steps before it vanished: rising to T.
            let times = steps[..<(index + 1)].suffix(10).map {
                $0.before.first { $0.layer == layer && $0.unit == 0 }!.time
            }
            XCTAssertTrue(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "layer \(layer): \(times)")
            XCTAssertEqual(
                times.last!, 2, accuracy: 0.03,
                "layer \(layer) spike vanished at \(times.last!), not at T (w = \(step.weight))")
        }
    }
}

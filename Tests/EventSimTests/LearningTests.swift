import Foundation
import TensorRuntime
import XCTest

@testable import EventSim

/// A tiny QIF network learns a spike-timing task with exact gradients: which of two channel
/// pairs fires first decides the class.
final class LearningTests: XCTestCase {
    func testTinyQIFNetworkLearnsSpikeOrder() throws {
        var rng = SeededRNG(seed: 42)
        var inputs: [SpikeTrain] = []
        var labels: [Int] = []
        for sample in 0..<16 {
            let label = sample % 2
            let early: [Int32] = label == 0 ? [0, 1] : [2, 3]
            let late: [Int32] = label == 0 ? [2, 3] : [0, 1]
            var events =
                early.map { (0.2 + Double.random(in: -0.05...0.05, using: &rng), $0) }
                + late.map { (1.0 + Double.random(in: -0.05...0.05, using: &rng), $0) }
            events.sort { $0.0 < $1.0 }
            inputs.append(SpikeTrain(times: events.map(\.0), channels: events.map(\.1)))
            labels.append(label)
        }
        let net = EventNetwork(neuron: ExactQIF(), config: EventNetworkConfig(layerSizes: [4, 10, 2], duration: 2))
        var weights = Fixture.weights(net.weightShapes, means: [3, 0.5], spread: 2, seed: 43).map { $0.requiringGrad() }
        func step() throws -> (loss: Double, accuracy: Double) {
            let out = try net(weights: weights, inputs: inputs)
            let loss = EventLosses.firstSpikeCrossEntropy(spikeTimes: out.spikeTimes, labels: labels, duration: 2)
            let predicted = EventLosses.firstSpikePrediction(out.spikeTimes)
            let accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
            loss.backward()
            for l in weights.indices {
                let g = weights[l].grad!.doubles
                weights[l].withUnsafeMutableBuffer(as: Double.self) { w in
                    for k in w.indices { w[k] -= 2 * g[k] }
                }
                weights[l].zeroGrad()
            }
            return (loss.item, accuracy)
        }
        let initial = try step()
        var last = initial
        for _ in 0..<200 { last = try step() }
        XCTAssertLessThan(last.loss, 0.5 * initial.loss, "initial \(initial), final \(last)")
        XCTAssertEqual(last.accuracy, 1, "initial \(initial), final \(last)")
    }
}

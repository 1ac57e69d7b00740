import ExperimentKit
import Foundation
import XCTest

@testable import Registry

final class TrialSamplerTests: XCTestCase {
    private let space = SearchSpace([
        "x": .uniform(lo: -1, hi: 2),
        "lr": .logUniform(lo: 1e-4, hi: 1e-1),
        "layers": .intUniform(lo: 3, hi: 5),
        "window": .logIntUniform(lo: 1, hi: 1000),
        "neuron": .choice([.string("lif"), .string("qif"), .bool(true), .double(0.5)]),
    ])

    func testRandomSamplerStaysInBoundsAndCoversTheSpace() throws {
        let sampler = RandomSampler(seed: 3)
        let proposals = (0..<4000).map { sampler.propose(number: $0, history: [], space: space, direction: .minimize) }
        XCTAssertTrue(proposals.allSatisfy { Set($0.keys) == Set(space.paths) })

        let x = proposals.map { $0["x"]!.doubleValue! }
        XCTAssertTrue(x.allSatisfy { (-1...2).contains($0) })
        XCTAssertEqual(median(x), 0.5, accuracy: 0.1, "uniform: the median is the midpoint")

        let lr = proposals.map { $0["lr"]!.doubleValue! }
        XCTAssertTrue(lr.allSatisfy { (1e-4...1e-1).contains($0) })
        XCTAssertEqual(log10(median(lr)), -2.5, accuracy: 0.1, "log-uniform: the median is the geometric mean")
        XCTAssertEqual(Double(lr.count { $0 < 1e-3 }) / Double(lr.count), 1 / 3, accuracy: 0.03, "one decade of three")

        let layers = proposals.map { $0["layers"]! }
        for value in 3...5 {
            XCTAssertEqual(
                Double(layers.count { $0 == .int(value) }) / 4000, 1 / 3, accuracy: 0.03, "layers = \(value)")
        }
        XCTAssertEqual(Set(layers), [.int(3), .int(4), .int(5)], "integers only, inside the bounds")

        let window = proposals.map { $0["window"]! }
        XCTAssertTrue(window.allSatisfy { if case .int(let w) = $0 { (1...1000).contains(w) } else { false } })
        XCTAssertTrue(window.contains(.int(1)) && window.contains(.int(1000)), "both ends are reachable")
        XCTAssertEqual(log10(median(window.map { $0.doubleValue! })), log10(500.25) / 2, accuracy: 0.1)

        let neurons = proposals.map { $0["neuron"]! }
        for choice in [ParameterValue.string("lif"), .string("qif"), .bool(true), .double(0.5)] {
            XCTAssertEqual(Double(neurons.count { $0 == choice }) / 4000, 0.25, accuracy: 0.03, "\(choice)")
        }
    }

    func testProposalsDependOnlyOnSeedAndNumber() {
        let sampler = RandomSampler(seed: 3)
        let first = sampler.propose(number: 5, history: [], space: space, direction: .minimize)
        _ = sampler.propose(number: 4, history: [], space: space, direction: .minimize)
        XCTAssertEqual(sampler.propose(number: 5, history: [], space: space, direction: .minimize), first)
        XCTAssertNotEqual(sampler.propose(number: 6, history: [], space: space, direction: .minimize), first)
        XCTAssertNotEqual(
            RandomSampler(seed: 4).propose(number: 5, history: [], space: space, direction: .minimize), first)
    }

    func testTPEIsRandomUntilEnoughTrialsCompletedAndIgnoresFailures() {
        let tpe = TPESampler(seed: 3, startupTrials: 4)
        let random = RandomSampler(seed: 3)
        var history = (0..<3).map {
            trial($0, random.propose(number: $0, history: [], space: space, direction: .minimize), 1.0)
        }
        history += (3..<20).map {
            trial($0, random.propose(number: $0, history: [], space: space, direction: .minimize), nil)
        }
        XCTAssertEqual(
            tpe.propose(number: 20, history: history, space: space, direction: .minimize),
            random.propose(number: 20, history: [], space: space, direction: .minimize),
            "3 completed trials (17 failed) are fewer than 4 startup trials")
        history.append(trial(20, random.propose(number: 20, history: [], space: space, direction: .minimize), 0.5))
        XCTAssertNotEqual(
            tpe.propose(number: 21, history: history, space: space, direction: .minimize),
            random.propose(number: 21, history: [], space: space, direction: .minimize))
    }

    func testTPEProposesNearTheGoodTrialsAndRespectsTheDirection() {
        // The objective is x on [0, 1]: the good trials sit at small x when minimizing and at
        // large x when maximizing, and TPE should propose there.
        let space = SearchSpace(["x": .uniform(lo: 0, hi: 1), "neuron": .choice([.string("lif"), .string("qif")])])
        let history = (0..<40).map { number -> Trial in
            let x = Double(number) / 39
            return trial(number, ["x": .double(x), "neuron": .string(x < 0.5 ? "qif" : "lif")], x)
        }
        for (direction, good) in [(OptimizationDirection.minimize, 0.0...0.3), (.maximize, 0.7...1.0)] {
            let proposals = (40..<80).map {
                TPESampler(seed: 1, startupTrials: 10).propose(
                    number: $0, history: history, space: space, direction: direction)
            }
            let inside = proposals.count { good.contains($0["x"]!.doubleValue!) }
            XCTAssertGreaterThan(inside, 32, "\(direction): \(proposals.map { $0["x"]!.doubleValue! })")
            let neuron = direction == .minimize ? ParameterValue.string("qif") : .string("lif")
            XCTAssertGreaterThan(proposals.count { $0["neuron"] == neuron }, 32, "\(direction)")
            XCTAssertTrue(proposals.allSatisfy { (0...1).contains($0["x"]!.doubleValue!) })
        }
    }

    func testTPESpreadsProposalsAwayFromOpenTrials() {
        // The best trials sit around x = 0.5; trials queued there already make TPE look elsewhere,
        // so the proposals of one round do not all land on the same spot.
        let space = SearchSpace(["x": .uniform(lo: 0, hi: 1)])
        let finished = (0..<20).map { trial($0, ["x": .double(Double($0) / 19)], abs(Double($0) / 19 - 0.5)) }
        let queued = (20..<24).map { trial($0, ["x": .double(0.5)], nil, state: .queued) }
        func nearCentre(_ history: [Trial]) -> Int {
            (24..<124).count {
                let x = TPESampler(seed: 1, startupTrials: 10).propose(
                    number: $0, history: history, space: space, direction: .minimize)["x"]!.doubleValue!
                return abs(x - 0.5) < 0.05
            }
        }
        let alone = nearCentre(finished)
        let crowded = nearCentre(finished + queued)
        XCTAssertLessThan(
            crowded, alone / 2, "proposals within 0.05 of the queued trials: \(crowded), without them \(alone)")
    }

    private func trial(_ number: Int, _ parameters: TrialParameters, _ result: Double?, state: TrialState? = nil)
        -> Trial
    {
        Trial(
            id: TrialID(Int64(number + 1)), studyID: StudyID(1), number: number, parameters: parameters,
            state: state ?? (result == nil ? .failed : .completed), worker: nil, attempts: 1, claimedAt: nil,
            heartbeatAt: nil, finishedAt: nil, result: result, runID: nil, lastError: nil)
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

import Foundation
import Registry
import TestSupport
import XCTest

@testable import ClassificationExperiment

/// Same seed, same bits: every experiment of papers 2 and 3 — the CIFAR networks, CIFAR10-DVS
/// frames, the image Spikformer and the SST-2 text Spikformer — trained twice from the same
/// config logs the same metrics, bit for bit (every split, name, epoch and step). Each case
/// switches on what draws random numbers or keeps state: augmentation, learnable surrogates, the
/// PNB term, the analytic window.
final class DeterminismTests: XCTestCase {
    /// Small enough for seconds: one epoch on a few dozen samples.
    private let small = ["training.epochs=1", "data.trainSubset=48", "data.validationSubset=16", "data.testSubset=40"]

    /// The overrides of `paper`'s smoke protocol variant `name`.
    private func variant(_ paper: ImagePaper, _ name: String) throws -> [String] {
        let plan = try checkedOut(paper).plan(preset: "smoke")
        let variant = try XCTUnwrap(plan.variants.first { $0.name == name }, "no smoke variant \(name)")
        return ["variant=\(name)"] + variant.set.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.description)" }
    }

    /// Trains `overrides` twice and compares every logged metric bit for bit.
    private func assertSameBits(
        _ paper: ImagePaper, _ overrides: [String], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let directory = try temporaryDirectory(self)
        let registry = try RunRegistry.open(path: directory.appendingPathComponent("registry.sqlite").path)
        func logged() throws -> [String] {
            let summary = try trainSmoke(paper, overrides + small, registry: registry, directory: directory)
            return try registry.metrics(of: summary.run).map { point in
                "\(point.split)/\(point.name) epoch \(point.epoch ?? -1) step \(point.step ?? -1): "
                    + "\(point.value.bitPattern)"
            }
        }
        let first = try logged()
        XCTAssertTrue(
            first.contains { $0.hasPrefix("test/accuracy") }, "no test accuracy logged",
            file: file, line: line)
        XCTAssertEqual(first, try logged(), file: file, line: line)
    }

    func testPaper2CIFARWithTheAnalyticWindowAndAugmentation() throws {
        let augmented = ["data.cropPadding=2", "data.flip=true"]
        try assertSameBits(DQIFPaper.paper, try variant(DQIFPaper.paper, "dqif-c10-t2") + augmented)
    }

    func testPaper2CIFAR10DVS() throws {
        try assertSameBits(
            DQIFPaper.paper,
            [
                "variant=dqif-dvs-t10", "neuron.name=dqif", "neuron.sharpnessMode=analytic",
                "data.dataset=synthetic-cifar10-dvs", "data.frameSize=16", "timesteps=3",
            ])
    }

    func testPaper3CIFARWithLearnableSurrogateAndPNB() throws {
        let augmented = ["data.cropPadding=2", "data.flip=true"]
        try assertSameBits(CircFirePaper.paper, try variant(CircFirePaper.paper, "cf-learnable-pnb") + augmented)
    }

    func testPaper3CIFAR10DVS() throws {
        let overrides = try variant(CircFirePaper.paper, "dvs-cf-learnable-pnb") + ["timesteps=3"]
        try assertSameBits(CircFirePaper.paper, overrides)
    }

    func testPaper3Spikformer() throws {
        try assertSameBits(CircFirePaper.paper, try variant(CircFirePaper.paper, "spikformer-cf-full"))
    }

    func testPaper3SST2TextSpikformer() throws {
        try assertSameBits(CircFirePaper.paper, try variant(CircFirePaper.paper, "sst2-cf-learnable-pnb"))
    }
}

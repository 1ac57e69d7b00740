import Datasets
import ExperimentKit
import Foundation
import Registry
import TestSupport
import XCTest

@testable import ClassificationExperiment

final class ConfigTests: XCTestCase {
    /// Every checked-in preset and protocol loads, and every protocol variant resolves against its preset.
    func testEveryPresetAndProtocolVariantLoads() throws {
        for paper in [DQIFPaper.paper, CircFirePaper.paper].map(checkedOut) {
            for preset in ["smoke", "cpu", "paper"] {
                let plan = try paper.plan(preset: preset)
                XCTAssertGreaterThanOrEqual(plan.seeds.count, preset == "smoke" ? 1 : 3, "\(paper.id) \(preset)")
                let options = try ExperimentOptions.parse(["--preset", preset])
                for trial in plan.trials {
                    let config = try paper.runner.trialConfig(trial, options: options)
                    XCTAssertEqual(ParameterValue.string(config.value.variant), trial["variant"])
                    _ = try ImageExperiment.neuronFactory(config.value)
                }
            }
        }
    }

    func testBadFieldsAreNamedWithWhatIsExpected() {
        let cases: [(String, String)] = [
            ("neuron.name=izhikevich", "neuron.name must be a registered neuron"),
            ("model.architecture=resnet50", "model.architecture must be one of resnet19"),
            (
                "neuron.sharpnessMode=analytic",
                "neuron.sharpnessMode must be fixed or learnable unless neuron.name is dqif"
            ),
            ("training.loss=mse", "training.loss must be one of tet, mean-output"),
            ("timesteps=0", "timesteps must be an integer ≥ 1"),
            (
                "model.initialization=xavier",
                "model.initialization must be one of torch, kaiming-normal, kaiming-normal-fan-out"
            ),
            ("training.pnbForm=log", "training.pnbForm must be one of raw, relative"),
        ]
        for (override, message) in cases {
            XCTAssertThrowsError(try smokeConfig(DQIFPaper.paper, [override])) { error in
                XCTAssertTrue("\(error)".contains("cifar.smoke.json: \(message)"), "\(override): \(error)")
            }
        }
    }

    func testAnUnknownNeuronFieldIsReportedWithThePluginsFields() throws {
        let config = try smokeConfig(CircFirePaper.paper, ["neuron.name=cf"])
        var broken = config.value
        broken.neuron.parameters["cf"]?["leak"] = .double(0.3)
        XCTAssertThrowsError(try ImageExperiment.neuronFactory(broken)) { error in
            XCTAssertTrue("\(error)".contains("neuron.parameters.cf: neuron 'cf': unknown field 'leak'"), "\(error)")
        }
    }

    func testMissingCIFAROfflineSaysWhatToPlaceWhere() throws {
        let root = try temporaryDirectory(self)
        let offline = DatasetError.downloadFailed(
            url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
            destination: root.appendingPathComponent("cifar10/cifar-10-binary.tar.gz").path,
            reason: "Could not resolve host")
        XCTAssertThrowsError(try ImageData.official(.cifar10, in: root, fetch: { _ in throw offline })) { error in
            let text = "\(error)"
            XCTAssertTrue(
                text.contains("cifar10 is not in \(root.appendingPathComponent("cifar10/cifar-10-batches-bin").path)"),
                text)
            XCTAssertTrue(
                text.contains("put it at \(root.appendingPathComponent("cifar10/cifar-10-binary.tar.gz").path)"), text)
            XCTAssertTrue(text.contains("--data-dir / DATA_DIR"), text)
        }
    }

    func testTheAnalyticWindowNeedsAndUsesTheDQIFFields() throws {
        let config = try smokeConfig(
            DQIFPaper.paper, ["neuron.name=dqif", "neuron.sharpnessMode=analytic", "timesteps=4"])
        let factory = try ImageExperiment.neuronFactory(config.value)
        guard case .perStep(let alphas) = factory.sharpness else {
            return XCTFail("expected per-step sharpness, got \(factory.sharpness)")
        }
        XCTAssertEqual(alphas.count, 4)
        XCTAssertEqual(alphas[0], 0.5, accuracy: 1e-12)  // H[0] = u1 + X, std 1 → width 2
    }
}

import ArgumentParser
import ExperimentKit
import Foundation
import XCTest

final class ExperimentOptionsTests: XCTestCase {
    func testDefaultsComeFromTheEnvironmentThenTheConventions() throws {
        let options = try ExperimentOptions.parse([])
        XCTAssertEqual(options.registryPath(environment: [:]), "runs/registry.sqlite")
        XCTAssertEqual(options.registryPath(environment: ["SNN_REGISTRY": "/tmp/r.sqlite"]), "/tmp/r.sqlite")
        XCTAssertNil(options.dataDirectory(environment: [:]))
        XCTAssertEqual(options.dataDirectory(environment: ["SNN_DATA_DIR": "/data"])?.path, "/data")
        let presets = URL(fileURLWithPath: "/presets")
        XCTAssertEqual(
            options.configSource(experiment: "toy", presets: presets),
            .preset(name: "cpu", experiment: "toy", directory: presets))
    }

    func testFlagsWinAndSeedIsAnOverride() throws {
        let options = try ExperimentOptions.parse([
            "--preset", "smoke", "--set", "training.epochs=2", "--set", "tag=x", "--seed", "5",
            "--registry", "r.sqlite", "--data-dir", "d", "--output-dir", "out", "--quiet",
        ])
        XCTAssertEqual(options.registryPath(environment: ["SNN_REGISTRY": "ignored"]), "r.sqlite")
        XCTAssertEqual(options.dataDirectory(environment: ["SNN_DATA_DIR": "ignored"])?.lastPathComponent, "d")
        XCTAssertEqual(options.outputDirectory.lastPathComponent, "out")
        XCTAssertTrue(options.quiet)
        let overrides = try options.configOverrides(adding: [ConfigOverride(path: ["training", "epochs"], text: "9")])
        XCTAssertEqual(
            overrides.map(\.description),
            [
                "--set training.epochs=2", "--set tag=x", "--set seed=5", "--set training.epochs=9",
            ])
    }

    func testConflictingOptionsAreRejected() {
        XCTAssertThrowsError(try ExperimentOptions.parse(["--preset", "cpu", "--config", "c.json"])) { error in
            XCTAssertEqual(
                ExperimentOptions.message(for: error), "--preset and --config both choose the config; pass one of them")
        }
        XCTAssertThrowsError(try ExperimentOptions.parse(["--resume", "4", "--set", "a=1", "--seed", "2"])) { error in
            XCTAssertEqual(
                ExperimentOptions.message(for: error),
                "--resume 4 continues with the run's stored config; drop --set, --seed")
        }
        XCTAssertThrowsError(try ExperimentOptions.parse(["--set", "epochs"])) { error in
            XCTAssertEqual(ExperimentOptions.message(for: error), "--set epochs: expected key.path=value")
        }
    }
}

import ExperimentKit
import Foundation
import TestSupport
import XCTest

final class ConfigLoaderTests: XCTestCase {
    private var presets: URL!
    private var cpu: String { presets.appendingPathComponent("toy.cpu.json").path }

    override func setUpWithError() throws {
        presets = try writePresets(in: temporaryDirectory(self))
    }

    private func load(_ sets: [String], preset: String = "cpu") throws -> ResolvedConfig<ToyConfig> {
        let overrides = try sets.map { try ConfigOverride(parsing: $0) }
        return try ConfigLoader.load(
            ToyConfig.self, from: .preset(name: preset, experiment: "toy", directory: presets), overrides: overrides)
    }

    /// The message `load` fails with.
    private func failure(_ sets: [String], preset: String = "cpu", file: StaticString = #filePath, line: UInt = #line)
        -> String
    {
        do {
            _ = try load(sets, preset: preset)
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    private func failure(file contents: String) throws -> String {
        try contents.write(toFile: cpu, atomically: true, encoding: .utf8)
        return failure([])
    }

    func testLoadsPresetAndAppliesOverrides() throws {
        let smoke = try load([], preset: "smoke")
        XCTAssertEqual(smoke.value.training.epochs, 1)
        XCTAssertEqual(smoke.preset, "smoke")

        let config = try load([
            "training.epochs=7", "training.learningRate=0.5", "tag=2024", "seed=3", "nanAtEpoch=2",
        ])
        XCTAssertEqual(
            config.value,
            ToyConfig(seed: 3, tag: "2024", training: .init(epochs: 7, learningRate: 0.5, batchSize: 8), nanAtEpoch: 2))
        XCTAssertEqual(config.preset, "cpu")
        XCTAssertEqual(config.source, cpu)
        XCTAssertEqual(
            config.json,
            #"{"nanAtEpoch":2,"seed":3,"tag":"2024","training":{"batchSize":8,"epochs":7,"learningRate":0.5}}"#,
            "the stored config is the decoded struct with sorted keys")
    }

    func testStringOverridesNeedNoQuotesAndQuotedJSONStringsWork() throws {
        XCTAssertEqual(try load(["tag=lif"]).value.tag, "lif")
        XCTAssertEqual(try load([#"tag="with spaces""#]).value.tag, "with spaces")
        XCTAssertEqual(try load(["tag=a=b"]).value.tag, "a=b", "only the first = splits")
    }

    func testConfigFileInsteadOfPreset() throws {
        let resolved = try ConfigLoader.load(ToyConfig.self, from: .file(URL(fileURLWithPath: cpu)))
        XCTAssertNil(resolved.preset)
        XCTAssertEqual(resolved.value.training.epochs, 4)
    }

    func testOverrideOfUnknownPathListsTheKeysAtThatLevel() {
        XCTAssertEqual(
            failure(["training.epoch=3"]),
            "\(cpu): training.epoch does not exist (--set training.epoch=3); "
                + "the keys at training are: batchSize, epochs, learningRate")
        XCTAssertEqual(
            failure(["seeds=3"]),
            "\(cpu): seeds does not exist (--set seeds=3); "
                + "the keys at the top level are: nanAtEpoch, seed, stepPauseMilliseconds, tag, training")
        XCTAssertEqual(
            failure(["training.epochs.max=3"]),
            "\(cpu): training.epochs.max does not exist (--set training.epochs.max=3); training.epochs is a number, not an object"
        )
    }

    func testMalformedOverrides() {
        XCTAssertEqual(failure(["training.epochs"]), "--set training.epochs: expected key.path=value")
        XCTAssertEqual(
            failure(["training..epochs=3"]), "--set training..epochs=3: 'training..epochs' is not a dotted key path")
    }

    func testWrongTypeNamesFieldExpectationAndValue() {
        XCTAssertEqual(failure(["training.epochs=ten"]), "\(cpu): training.epochs must be an integer, got \"ten\"")
        XCTAssertEqual(
            failure(["training.learningRate=fast"]), "\(cpu): training.learningRate must be a number, got \"fast\"")
        XCTAssertEqual(failure(["training.epochs=null"]), "\(cpu): training.epochs must be an integer, got null")
        XCTAssertEqual(failure(["training={\"epochs\": 2}"]), "\(cpu): training.learningRate is missing")
        XCTAssertEqual(failure(["training=5"]), "\(cpu): training must be an object, got 5")
    }

    func testFractionForAnIntegerField() {
        XCTAssertEqual(failure(["training.epochs=2.5"]), "\(cpu): training.epochs must be an integer, got 2.5")
        XCTAssertEqual(
            failure(["training.learningRate=0.5", "seed=1.5"]), "\(cpu): seed must be an integer, got 1.5",
            "a fraction in a floating-point field is not blamed")
    }

    func testRangeRulesOfTheConfig() {
        XCTAssertEqual(failure(["training.epochs=0"]), "\(cpu): training.epochs must be an integer ≥ 1, got 0")
        XCTAssertEqual(failure(["training.batchSize=-4"]), "\(cpu): training.batchSize must be an integer ≥ 1, got -4")
    }

    func testFileErrors() throws {
        XCTAssertEqual(
            failure([], preset: "fast"),
            "\(presets.appendingPathComponent("toy.fast.json").path): no preset 'fast' for toy; presets are: cpu, smoke"
        )
        let missing = presets.appendingPathComponent("nope.json")
        XCTAssertThrowsError(try ConfigLoader.load(ToyConfig.self, from: .file(missing))) { error in
            XCTAssertEqual("\(error)", "\(missing.path): no such config file")
        }
        XCTAssertEqual(try failure(file: "[1, 2]"), "\(cpu): the top level must be a JSON object, got an array")
        XCTAssertEqual(
            try failure(file: #"{"seed": 7,"#), "\(cpu): not valid JSON: Unexpected end of file during JSON parse")
        XCTAssertEqual(
            try failure(file: "{\n \"a\": 1,\n \"b\": tru\n}"),
            "\(cpu): not valid JSON: Invalid value around character 20 (line 3, column 10)")
    }

    func testFieldsTheStructDoesNotHaveAreErrors() throws {
        let typo = toyPreset.replacingOccurrences(of: "\"learningRate\"", with: "\"learningrate\"")
        XCTAssertEqual(try failure(file: typo), "\(cpu): training.learningRate is missing")
        let extra = toyPreset.replacingOccurrences(of: "\"tag\"", with: "\"momentum\": 0.9, \"tag\"")
        XCTAssertEqual(
            try failure(file: extra),
            "\(cpu): momentum is not a field of this config; the fields at the top level are: seed, tag, training")
    }
}

import ExperimentKit
import Foundation
import Registry
import XCTest

/// A preset with a search section, the way an experiment's config holds one.
private struct SearchPreset: Codable, Equatable {
    var search: SearchPlan
}

final class SearchPlanTests: XCTestCase {
    private let everyForm = """
        {"search": {
          "space": {
            "training.learningRate": {"logUniform": [1e-4, 1e-2]},
            "training.dropout": {"uniform": [0, 0.5]},
            "model.hidden": {"intUniform": [32, 256]},
            "data.window": {"logIntUniform": [1, 1000]},
            "model.neuron": {"choice": ["lif", "qif", 2, 0.5, true]}
          },
          "trials": 64, "sampler": "tpe", "startupTrials": 16, "workers": 2, "seed": 7
        }}
        """

    private func decode(_ text: String) throws -> SearchPlan {
        try ConfigLoader.decode(SearchPreset.self, from: JSONValue.parse(Data(text.utf8)), source: "shd.search.json").0
            .search
    }

    /// The message decoding `text` fails with.
    private func failure(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try decode(text)
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// `everyForm` with one dimension replaced.
    private func failure(learningRate: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        failure(
            everyForm.replacingOccurrences(of: #"{"logUniform": [1e-4, 1e-2]}"#, with: learningRate), file: file,
            line: line)
    }

    func testDecodesEveryDimensionForm() throws {
        let plan = try decode(everyForm)
        XCTAssertEqual(
            plan.space,
            SearchSpace([
                "training.learningRate": .logUniform(lo: 1e-4, hi: 1e-2),
                "training.dropout": .uniform(lo: 0, hi: 0.5),
                "model.hidden": .intUniform(lo: 32, hi: 256),
                "data.window": .logIntUniform(lo: 1, hi: 1000),
                "model.neuron": .choice([.string("lif"), .string("qif"), .int(2), .double(0.5), .bool(true)]),
            ]))
        XCTAssertEqual(
            plan.space.paths,
            ["data.window", "model.hidden", "model.neuron", "training.dropout", "training.learningRate"])
        XCTAssertEqual(
            [plan.trials, plan.startupTrials, plan.workers, plan.seed], [64, 16, 2, 7])
        XCTAssertEqual(plan.sampler, .tpe)
        XCTAssertNoThrow(try plan.validate())

        let encoded = try JSONEncoder().encode(SearchPreset(search: plan))
        XCTAssertEqual(try JSONDecoder().decode(SearchPreset.self, from: encoded).search, plan, "encoding round-trips")
        XCTAssertTrue(plan.canonicalJSON.contains(#""startupTrials":16"#), plan.canonicalJSON)
    }

    func testBadDimensionsNameTheirPath() {
        let path = "shd.search.json: search.space.training.learningRate must be"
        XCTAssertEqual(
            failure(learningRate: #"{"logUniform": [0, 1]}"#),
            #"\#(path) a logUniform range [lo, hi] with 0 < lo ≤ hi, got {"logUniform":[0,1]}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"uniform": [1, 0.5]}"#),
            #"\#(path) a uniform range [lo, hi] with lo ≤ hi, got {"uniform":[1,0.5]}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"intUniform": [1.5, 3]}"#),
            #"\#(path) intUniform [lo, hi] with two integers, got {"intUniform":[1.5,3]}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"logIntUniform": [0, 3]}"#),
            #"\#(path) a logIntUniform range [lo, hi] with 0 < lo ≤ hi, got {"logIntUniform":[0,3]}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"uniform": [0, 1, 2]}"#),
            #"\#(path) uniform [lo, hi] with two numbers, got {"uniform":[0,1,2]}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"uniform": "0..1"}"#),
            #"\#(path) uniform [lo, hi] with two numbers, got {"uniform":"0..1"}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"choice": []}"#), #"\#(path) a choice of at least one value, got {"choice":[]}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"choice": [1, 1.0]}"#),
            #"\#(path) a choice of distinct values, got {"choice":[1,1]}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"choice": [1, null]}"#),
            #"\#(path) a choice [v1, v2, ...] of numbers, strings or booleans, got {"choice":[1,null]}"#)
        let forms =
            #"one of {"uniform": [lo, hi]}, {"logUniform": [lo, hi]}, {"intUniform": [lo, hi]}, "#
            + #"{"logIntUniform": [lo, hi]}, {"choice": [v1, v2, ...]}"#
        XCTAssertEqual(failure(learningRate: #"{"normal": [0, 1]}"#), #"\#(path) \#(forms), got {"normal":[0,1]}"#)
        XCTAssertEqual(
            failure(learningRate: #"{"uniform": [0, 1], "choice": [1]}"#),
            #"\#(path) \#(forms), got {"choice":[1],"uniform":[0,1]}"#)
        XCTAssertEqual(failure(learningRate: "0.001"), #"\#(path) \#(forms), got 0.001"#)

        XCTAssertThrowsError(try JSONDecoder().decode(SearchSpace.self, from: Data(#"{"lr": {"choice": []}}"#.utf8))) {
            XCTAssertEqual(
                "\($0)", #"lr must be a choice of at least one value, got {"choice":[]}"#, "a space of its own")
        }
    }

    func testBadPlanFieldsNameTheirPath() {
        XCTAssertEqual(
            failure(everyForm.replacingOccurrences(of: #""trials": 64"#, with: #""trials": 0"#)),
            "shd.search.json: search.trials must be an integer ≥ 1, got 0")
        XCTAssertEqual(
            failure(everyForm.replacingOccurrences(of: #""workers": 2"#, with: #""workers": 0"#)),
            "shd.search.json: search.workers must be an integer ≥ 1, got 0")
        XCTAssertEqual(
            failure(everyForm.replacingOccurrences(of: #""startupTrials": 16"#, with: #""startupTrials": -1"#)),
            "shd.search.json: search.startupTrials must be an integer ≥ 0, got -1")
        XCTAssertEqual(
            failure(everyForm.replacingOccurrences(of: #", "seed": 7"#, with: "")),
            "shd.search.json: search.seed is missing")
        XCTAssertEqual(
            failure(everyForm.replacingOccurrences(of: #""workers": 2"#, with: #""workers": 2, "parallel": true"#)),
            "shd.search.json: search.parallel is not a field of this config; "
                + "the fields at search are: sampler, seed, space, startupTrials, trials, workers")
        let plan = { (space: String) in
            #"{"search": {"space": \#(space), "trials": 4, "sampler": "random", "startupTrials": 0, "workers": 1, "seed": 1}}"#
        }
        XCTAssertEqual(
            failure(plan("{}")),
            "shd.search.json: search.space must be an object mapping at least one dotted config path to a dimension, got {}"
        )
        XCTAssertEqual(
            failure(plan(#"{"a..b": {"uniform": [0, 1]}}"#)),
            "shd.search.json: search.space.a..b must be keyed by a dotted config path such as training.learningRate,"
                + #" got "a..b""#)

        let invalid = SearchPlan(
            space: SearchSpace(["lr": .logUniform(lo: 0, hi: 1)]), trials: 4, sampler: .random, startupTrials: 0,
            workers: 1,
            seed: 1)
        XCTAssertThrowsError(try invalid.validate()) {
            XCTAssertEqual(
                "\($0)",
                #"search.space.lr must be a logUniform range [lo, hi] with 0 < lo ≤ hi, got {"logUniform":[0,1]}"#)
        }
    }

    func testStudyFingerprintChangesWhenThePlanChanges() throws {
        let plan = try decode(everyForm)
        let name = try StudyFingerprint.of(["search": plan])
        XCTAssertNotNil(name.wholeMatch(of: /[0-9a-f]{16}/), name)
        XCTAssertEqual(try StudyFingerprint.of(["search": try decode(everyForm)]), name, "an unchanged plan resumes")

        var changes: [SearchPlan] = []
        for edit in [\SearchPlan.trials, \.startupTrials, \.workers, \.seed] as [WritableKeyPath<SearchPlan, Int>] {
            var changed = plan
            changed[keyPath: edit] += 1
            changes.append(changed)
        }
        var random = plan
        random.sampler = .random
        var narrower = plan
        narrower.space.dimensions["training.learningRate"] = .logUniform(lo: 1e-4, hi: 1e-3)
        var smaller = plan
        smaller.space.dimensions["data.window"] = nil
        changes += [random, narrower, smaller]
        let names = try changes.map { try StudyFingerprint.of(["search": $0]) }
        XCTAssertEqual(Set(names + [name]).count, changes.count + 1, "every change gives a new name: \(names)")
    }
}

import ExperimentKit
import Foundation
import Registry

/// A paper's protocol at one scale (`papers/<paper>/configs/protocol.<preset>.json`): the
/// variants to compare, each a set of overrides of the same `cifar.<preset>.json`, and the seeds
/// every variant runs with.
public struct ReproductionPlan: Codable, Sendable, Equatable, ValidatedConfig {
    public struct Variant: Codable, Sendable, Equatable {
        /// Recorded as the run's `variant` config field; the reports select runs by it.
        public var name: String
        /// Dotted config paths and their values (`"neuron.name": "dqif"`).
        public var set: [String: ParameterValue]
    }

    public var seeds: [Int]
    /// Worker processes that train variants side by side (1 = in this process).
    public var workers: Int
    public var variants: [Variant]

    public func validate() throws(ConfigIssue) {
        try ConfigIssue.require(
            !seeds.isEmpty && Set(seeds).count == seeds.count, "seeds", mustBe: "a non-empty list of distinct integers",
            got: seeds)
        try ConfigIssue.require(workers >= 1, "workers", mustBe: "an integer ≥ 1", got: workers)
        let names = variants.map(\.name)
        try ConfigIssue.require(
            !names.isEmpty && Set(names).count == names.count, "variants",
            mustBe: "a non-empty list with distinct names", got: names)
        for (index, variant) in variants.enumerated() {
            try ConfigIssue.require(
                variant.set["variant"] == nil && variant.set["seed"] == nil, "variants.\(index).set",
                mustBe: "overrides other than variant and seed (the plan sets those)", got: variant.set.keys.sorted())
        }
    }

    /// One trial per variant and seed, variant by variant.
    public var trials: [TrialParameters] {
        variants.flatMap { variant in
            StudyPlan.seeds(seeds, base: variant.set.merging(["variant": .string(variant.name)]) { _, name in name })
        }
    }
}

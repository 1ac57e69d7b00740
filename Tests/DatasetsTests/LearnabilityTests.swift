import Foundation
import TensorRuntime
import XCTest

@testable import Datasets

/// The synthetic generators exist so that smoke runs can check that a network learns; these
/// tests check that the classes are separable by the simplest classifier (nearest class mean),
/// on a test set drawn with a different seed.
final class LearnabilityTests: TemporaryDirectoryTestCase {
    func nearestMeanAccuracy(train: [[Float]], trainLabels: [Int], test: [[Float]], testLabels: [Int], classes: Int)
        -> Double
    {
        let width = train[0].count
        var means = [[Float]](repeating: [Float](repeating: 0, count: width), count: classes)
        var counts = [Float](repeating: 0, count: classes)
        for (features, label) in zip(train, trainLabels) {
            for j in 0..<width { means[label][j] += features[j] }
            counts[label] += 1
        }
        for c in 0..<classes { means[c] = means[c].map { $0 / counts[c] } }
        let correct = zip(test, testLabels).filter { features, label in
            let distances = means.map { mean in
                zip(mean, features).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }
            return distances.firstIndex(of: distances.min()!) == label
        }.count
        return Double(correct) / Double(test.count)
    }

    func testSyntheticSHDClassesAreSeparable() throws {
        try SyntheticSHD.write(to: file("train.h5"), samples: 100, classes: 10, channels: 100, seed: 1)
        try SyntheticSHD.write(to: file("test.h5"), samples: 50, classes: 10, channels: 100, seed: 2)
        let binning = try SpikeBinning(binCount: 10, maxTime: 1)
        func features(_ url: URL) throws -> ([[Float]], [Int]) {
            let data = try SpikeDataset(contentsOf: url, channels: 100).poolingChannels(by: 5)
            return ((0..<data.count).map { binning.frames(data, sample: $0).floats }, data.labels)
        }
        let (train, trainLabels) = try features(file("train.h5"))
        let (test, testLabels) = try features(file("test.h5"))
        XCTAssertGreaterThan(
            nearestMeanAccuracy(
                train: train, trainLabels: trainLabels, test: test, testLabels: testLabels, classes: 10), 0.9)
    }

    func testSyntheticCIFARClassesAreSeparable() throws {
        try SyntheticCIFAR.write(directory: directory, variant: .cifar10, trainCount: 100, testCount: 50, seed: 1)
        var rng = SeededRNG(seed: 0)
        func features(_ split: CIFARDataset.Split) throws -> ([[Float]], [Int]) {
            let data = try CIFARDataset(directory: directory, variant: .cifar10, split: split)
            let images = data.batch(Array(0..<data.count), normalization: .cifar10, rng: &rng).images.floats
            // Per-channel means: the class colour (stripes, at random phases, average out).
            let means = (0..<data.count).map { image in
                (0..<3).map { channel in
                    images[(image * 3072 + channel * 1024)..<(image * 3072 + (channel + 1) * 1024)].reduce(0, +) / 1024
                }
            }
            return (means, data.labels)
        }
        let (train, trainLabels) = try features(.train)
        let (test, testLabels) = try features(.test)
        XCTAssertGreaterThan(
            nearestMeanAccuracy(
                train: train, trainLabels: trainLabels, test: test, testLabels: testLabels, classes: 10), 0.9)
    }

    func testSyntheticDVSClassesAreSeparable() throws {
        try SyntheticDVS.write(directory: directory, samplesPerClass: 6, eventsPerSample: 400, seed: 1)
        let (train, test) = try CIFAR10DVS(directory: directory).split(testFraction: 1.0 / 3, seed: 0)
        let framing = try DVSFraming(frameCount: 4, size: 16)
        func features(_ set: CIFAR10DVS) throws -> ([[Float]], [Int]) {
            (try set.files.map { framing.frames(try AEDATFile.read($0).events).floats }, set.labels)
        }
        let (trainFeatures, trainLabels) = try features(train)
        let (testFeatures, testLabels) = try features(test)
        XCTAssertGreaterThan(
            nearestMeanAccuracy(
                train: trainFeatures, trainLabels: trainLabels, test: testFeatures, testLabels: testLabels, classes: 10),
            0.8)
    }
}

import Foundation
import TensorRuntime
import XCTest

@testable import Datasets

final class CIFARTests: TemporaryDirectoryTestCase {
    func testSyntheticCIFAR10RoundTrip() throws {
        try SyntheticCIFAR.write(directory: directory, variant: .cifar10, trainCount: 23, testCount: 10, seed: 5)
        for name in ["data_batch_1.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: file(name).path), name)
        }
        XCTAssertEqual(try Data(contentsOf: file("data_batch_1.bin")).count, 5 * 3073)
        XCTAssertEqual(try Data(contentsOf: file("data_batch_5.bin")).count, 4 * 3073)
        let train = try CIFARDataset(directory: directory, variant: .cifar10, split: .train)
        XCTAssertEqual(train.count, 23)
        XCTAssertEqual(train.labels, (0..<23).map { $0 % 10 })
        XCTAssertEqual(train.pixels.count, 23 * 3072)
        XCTAssertNil(train.coarseLabels)
        let test = try CIFARDataset(directory: directory, variant: .cifar10, split: .test)
        XCTAssertEqual(test.classHistogram(), [Int](repeating: 1, count: 10))
        // The first record's pixels are the bytes after its label byte.
        let raw = try Data(contentsOf: file("test_batch.bin"))
        XCTAssertEqual(raw[0], 0)
        XCTAssertEqual(Array(test.pixels[0..<3072]), Array(raw[1..<3073]))
    }

    func testSyntheticCIFAR100HasCoarseAndFineLabels() throws {
        try SyntheticCIFAR.write(directory: directory, variant: .cifar100, trainCount: 200, testCount: 100, seed: 5)
        let train = try CIFARDataset(directory: directory, variant: .cifar100, split: .train)
        XCTAssertEqual(train.count, 200)
        XCTAssertEqual(train.classCount, 100)
        XCTAssertEqual(train.labels[37], 37)
        XCTAssertEqual(train.coarseLabels?[37], 7)
        XCTAssertEqual(try Data(contentsOf: file("train.bin")).count, 200 * 3074)
    }

    func testSyntheticClassesDifferInColour() throws {
        try SyntheticCIFAR.write(directory: directory, variant: .cifar10, trainCount: 100, testCount: 10, seed: 1)
        let train = try CIFARDataset(directory: directory, variant: .cifar10, split: .train)
        func meanRed(_ label: Int) -> Double {
            let images = train.labels.indices.filter { train.labels[$0] == label }
            let sum = images.reduce(0.0) { total, i in
                total + train.pixels[(i * 3072)..<(i * 3072 + 1024)].reduce(0.0) { $0 + Double($1) }
            }
            return sum / Double(images.count * 1024)
        }
        XCTAssertGreaterThan(abs(meanRed(0) - meanRed(5)), 50)
    }

    func testTruncatedRecord() throws {
        let url = file("data_batch_1.bin")
        try Data(repeating: 1, count: 2 * 3073 + 100).write(to: url)
        XCTAssertThrowsDatasetError(
            try CIFARDataset(files: [url], variant: .cifar10),
            .truncatedRecords(file: "data_batch_1.bin", size: 6246, recordSize: 3073),
            mentions: ["2 full records and 100 bytes left over"])
    }

    func testLabelOutOfRange() throws {
        let url = file("test_batch.bin")
        var data = Data(repeating: 0, count: 2 * 3073)
        data[3073] = 12
        try data.write(to: url)
        XCTAssertThrowsDatasetError(
            try CIFARDataset(files: [url], variant: .cifar10),
            .labelOutOfRange(file: "test_batch.bin", field: "record", sample: 1, label: 12, classes: 10))
    }

    func testMissingBatchFile() {
        XCTAssertThrowsDatasetError(
            try CIFARDataset(directory: directory, variant: .cifar100, split: .test),
            .fileNotFound(path: file("test.bin").path))
    }

    /// One image whose red plane counts 0, 1, 2, … along each row (value = column), green 255, blue 0.
    func makeRamp() throws -> CIFARDataset {
        var record = [UInt8](repeating: 0, count: 3073)
        record[0] = 3
        for row in 0..<32 {
            for column in 0..<32 {
                record[1 + row * 32 + column] = UInt8(column)
                record[1 + 1024 + row * 32 + column] = 255
            }
        }
        let url = file("ramp.bin")
        try Data(record).write(to: url)
        return try CIFARDataset(files: [url], variant: .cifar10)
    }

    func testNormalisationUsesChannelMeansAndStds() throws {
        var rng = SeededRNG(seed: 0)
        let (images, labels) = try makeRamp().batch([0], normalization: .cifar10, rng: &rng)
        XCTAssertEqual(images.shape, [1, 3, 32, 32])
        XCTAssertEqual(labels, [3])
        let values = images.floats
        XCTAssertEqual(values[5], (5 / 255 - 0.4914) / 0.2470, accuracy: 1e-5)
        XCTAssertEqual(values[1024], (1 - 0.4822) / 0.2435, accuracy: 1e-5)
        XCTAssertEqual(values[2048], -0.4465 / 0.2616, accuracy: 1e-5)
    }

    func testFlipWithoutPaddingMirrorsEveryRow() throws {
        let ramp = try makeRamp()
        let identity = ChannelNormalization(mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255])
        var sawFlip = false
        var sawPlain = false
        for seed in 0..<8 {
            var rng = SeededRNG(seed: UInt64(seed))
            let red = Array(
                ramp.batch([0], normalization: identity, augmentation: .init(padding: 0), rng: &rng).images.floats[
                    0..<32])
            if red[0] == 31 {
                sawFlip = true
                XCTAssertEqual(red, (0..<32).reversed().map(Float.init))
            } else {
                sawPlain = true
                XCTAssertEqual(red, (0..<32).map(Float.init))
            }
        }
        XCTAssertTrue(sawFlip && sawPlain)
    }

    func testCropShiftsByAtMostThePaddingAndFillsWithBlack() throws {
        let ramp = try makeRamp()
        let identity = ChannelNormalization(mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255])
        for seed in 0..<20 {
            var rng = SeededRNG(seed: UInt64(seed))
            let values = ramp.batch(
                [0], normalization: identity, augmentation: .init(padding: 4, flip: false), rng: &rng
            ).images.floats
            // Green is 255 inside the image and 0 in the padding: count the padded rows and columns.
            let green = Array(values[1024..<2048])
            let blackRows = (0..<32).filter { row in (0..<32).allSatisfy { green[row * 32 + $0] == 0 } }.count
            let blackColumns = (0..<32).filter { column in (0..<32).allSatisfy { green[$0 * 32 + column] == 0 } }.count
            XCTAssertLessThanOrEqual(blackRows, 4)
            XCTAssertLessThanOrEqual(blackColumns, 4)
            // Red inside the image still counts up by one per column.
            let row = (0..<32).first { green[$0 * 32 + 16] != 0 }!
            let red = Array(values[(row * 32)..<(row * 32 + 32)])
            let inside = (0..<32).filter { green[row * 32 + $0] != 0 }
            for (a, b) in zip(inside, inside.dropFirst()) { XCTAssertEqual(red[b] - red[a], 1) }
        }
    }

    func testCutoutZeroesASquareAndAugmentationIsSeeded() throws {
        try SyntheticCIFAR.write(directory: directory, variant: .cifar10, trainCount: 10, testCount: 10, seed: 2)
        let test = try CIFARDataset(directory: directory, variant: .cifar10, split: .test)
        let augmentation = CIFARAugmentation(padding: 4, flip: true, cutout: 8)
        var first = SeededRNG(seed: 11)
        var second = SeededRNG(seed: 11)
        let a = test.batch(Array(0..<10), normalization: .cifar10, augmentation: augmentation, rng: &first).images
            .floats
        let b = test.batch(Array(0..<10), normalization: .cifar10, augmentation: augmentation, rng: &second).images
            .floats
        XCTAssertEqual(a, b)
        for image in 0..<10 {
            let zeros = a[(image * 3072)..<(image * 3072 + 1024)].filter { $0 == 0 }.count
            XCTAssertGreaterThanOrEqual(zeros, 16, "a cut-out square covers at least a 4×4 corner")
            XCTAssertLessThanOrEqual(zeros, 64 + 32)
        }
    }
}

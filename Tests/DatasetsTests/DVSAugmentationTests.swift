import TensorRuntime
import XCTest

@testable import Datasets

/// Translation and flip of event frames: one draw per recording, the same for all its frames.
final class DVSAugmentationTests: XCTestCase {
    /// [T = 3, B = 40, C = 2, 8, 8] with one event at (3, 5) in every frame and polarity.
    func hotPixelFrames() -> Tensor {
        var values = [Float](repeating: 0, count: 3 * 40 * 2 * 64)
        for plane in 0..<(3 * 40 * 2) { values[plane * 64 + 3 * 8 + 5] = 1 }
        return Tensor(shape: [3, 40, 2, 8, 8], scalars: values)
    }

    func hotPixels(_ frames: Tensor) -> [[(Int, Int)]] {
        let values = frames.floats
        return (0..<(3 * 40 * 2)).map { plane in
            (0..<64).filter { values[plane * 64 + $0] != 0 }.map { ($0 / 8, $0 % 8) }
        }
    }

    func testNoAugmentationIsTheIdentity() {
        var rng = SeededRNG(seed: 1)
        let frames = hotPixelFrames()
        XCTAssertEqual(DVSAugmentation.apply(frames, maxShift: 0, flip: false, rng: &rng).floats, frames.floats)
    }

    func testFlipMirrorsSomeRecordingsAndKeepsEveryEvent() {
        var rng = SeededRNG(seed: 2)
        let pixels = hotPixels(DVSAugmentation.apply(hotPixelFrames(), maxShift: 0, flip: true, rng: &rng))
        XCTAssertTrue(pixels.allSatisfy { $0.count == 1 && $0[0].0 == 3 && [5, 2].contains($0[0].1) })
        let flipped = pixels.filter { $0[0].1 == 2 }.count
        XCTAssertGreaterThan(flipped, 30)  // of 240 planes, ~half
        XCTAssertLessThan(flipped, 210)
    }

    func testTranslationIsBoundedAndCoherentAcrossFramesAndPolarities() {
        var rng = SeededRNG(seed: 3)
        let pixels = hotPixels(DVSAugmentation.apply(hotPixelFrames(), maxShift: 2, flip: false, rng: &rng))
        var moved = Set<[Int]>()
        for b in 0..<40 {
            let planes = (0..<3).flatMap { t in (0..<2).map { c in pixels[(t * 40 + b) * 2 + c] } }
            XCTAssertTrue(planes.allSatisfy { $0.count == planes[0].count }, "recording \(b)")
            // Shifted out of the frame cannot happen here: 5 + 2 < 8.
            guard let (y, x) = planes[0].first else { continue }
            XCTAssertTrue(planes.allSatisfy { $0.first! == (y, x) }, "recording \(b): frames moved differently")
            XCTAssertLessThanOrEqual(abs(y - 3), 2)
            XCTAssertLessThanOrEqual(abs(x - 5), 2)
            moved.insert([y - 3, x - 5])
        }
        XCTAssertTrue(pixels.allSatisfy { $0.count == 1 })
        XCTAssertGreaterThan(moved.count, 8, "the shifts vary between recordings")
    }
}

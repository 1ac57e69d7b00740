import Crypto
import Foundation
import XCTest

@testable import Datasets

final class DownloadTests: TemporaryDirectoryTestCase {
    /// 100 kB of varied bytes, so an offset error cannot go unnoticed.
    let payload = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) })

    func md5(_ data: Data) -> String { Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    func testPlainDownload() throws {
        let server = try LoopbackHTTPServer(body: payload)
        defer { server.stop() }
        let target = file("plain.bin")
        try Downloader().download(server.url("plain.bin"), to: target)
        XCTAssertEqual(try Data(contentsOf: target), payload)
        XCTAssertFalse(FileManager.default.fileExists(atPath: Downloader.partURL(for: target).path))
        XCTAssertEqual(server.ranges, [nil])
    }

    func testPartialDownloadIsResumedWithARangeRequest() throws {
        let server = try LoopbackHTTPServer(body: payload)
        defer { server.stop() }
        let target = file("resume.bin")
        try payload.prefix(37_000).write(to: Downloader.partURL(for: target))
        try Downloader().download(server.url("resume.bin"), to: target)
        XCTAssertEqual(server.ranges, ["bytes=37000-"])
        XCTAssertEqual(try Data(contentsOf: target), payload)
        XCTAssertEqual(try FileChecksum.md5(of: target), md5(payload))
    }

    func testInterruptedDownloadKeepsThePartFileAndTheNextRunCompletesIt() throws {
        let server = try LoopbackHTTPServer(body: payload, cutFirstResponseAfter: 40_000)
        defer { server.stop() }
        let target = file("cut.bin")
        XCTAssertThrowsError(try Downloader().download(server.url("cut.bin"), to: target)) { error in
            guard case DatasetError.downloadFailed(let url, let destination, _) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(url, server.url("cut.bin").absoluteString)
            XCTAssertEqual(destination, target.path)
        }
        let partSize = try Data(contentsOf: Downloader.partURL(for: target)).count
        XCTAssertEqual(partSize, 40_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.path))
        try Downloader().download(server.url("cut.bin"), to: target)
        XCTAssertEqual(server.ranges, [nil, "bytes=40000-"])
        XCTAssertEqual(try Data(contentsOf: target), payload)
    }

    func testServerIgnoringRangeRestartsFromTheBeginning() throws {
        let server = try LoopbackHTTPServer(body: payload, honourRange: false)
        defer { server.stop() }
        let target = file("norange.bin")
        try Data(repeating: 0xFF, count: 5_000).write(to: Downloader.partURL(for: target))
        try Downloader().download(server.url("norange.bin"), to: target)
        XCTAssertEqual(server.ranges, ["bytes=5000-"])
        XCTAssertEqual(try Data(contentsOf: target), payload)
    }

    func testCompletePartFileIsAcceptedOn416() throws {
        let server = try LoopbackHTTPServer(body: payload)
        defer { server.stop() }
        let target = file("done.bin")
        try payload.write(to: Downloader.partURL(for: target))
        try Downloader().download(server.url("done.bin"), to: target)
        XCTAssertEqual(try Data(contentsOf: target), payload)
    }

    func testUnreachableServerSaysWhatToDownloadAndWhereToPutIt() throws {
        // Port 9 (discard) on loopback: nothing listens there.
        let dataset = DatasetDescriptor(
            name: "tiny", folder: "tiny",
            files: [
                RemoteFile(
                    name: "tiny.h5.gz",
                    urls: [
                        URL(string: "http://127.0.0.1:9/tiny.h5.gz")!,
                        URL(string: "http://127.0.0.1:9/mirror/tiny.h5.gz")!,
                    ],
                    checksum: .md5(md5(payload)), extraction: .gunzip(to: "tiny.h5"))
            ])
        XCTAssertThrowsError(
            try DatasetFetcher(dataDirectory: directory, downloader: Downloader(timeout: 5)).fetch(dataset)
        ) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("Download it by hand from http://127.0.0.1:9/tiny.h5.gz"), message)
            XCTAssertTrue(message.contains("mirror: http://127.0.0.1:9/mirror/tiny.h5.gz"), message)
            XCTAssertTrue(message.contains("put it at \(self.directory.path)/tiny/tiny.h5.gz"), message)
        }
    }

    func testFetchVerifiesAndUnpacksAGzipArchive() throws {
        let content = file("content.h5")
        try SyntheticSHD.write(to: content, samples: 10, classes: 2, channels: 10, seed: 1)
        let archive = try gzip(content)
        let server = try LoopbackHTTPServer(body: archive)
        defer { server.stop() }
        let dataset = DatasetDescriptor(
            name: "tiny", folder: "tiny",
            files: [
                RemoteFile(
                    name: "tiny.h5.gz", urls: [server.url("tiny.h5.gz")], checksum: .md5(md5(archive)),
                    extraction: .gunzip(to: "tiny.h5"))
            ])
        let lines = LogLines()
        let folder = try DatasetFetcher(dataDirectory: directory, log: { lines.append($0) }).fetch(dataset)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("tiny.h5")), try Data(contentsOf: content))
        XCTAssertEqual(try SpikeDataset(contentsOf: folder.appendingPathComponent("tiny.h5")).count, 10)
        XCTAssertTrue(lines.all.contains { $0.contains("verified") })
        // A second fetch finds the product and downloads nothing.
        try DatasetFetcher(dataDirectory: directory).fetch(dataset)
        XCTAssertEqual(server.ranges.count, 1)
    }

    func testFetchUnpacksATarGzAndChecksAgainstAManifest() throws {
        let source = directory.appendingPathComponent("src/cifar-10-batches-bin")
        try SyntheticCIFAR.write(directory: source, variant: .cifar10, trainCount: 5, testCount: 2, seed: 1)
        let archive = file("cifar.tar.gz")
        try run("tar", ["-czf", archive.path, "-C", source.deletingLastPathComponent().path, "cifar-10-batches-bin"])
        let bytes = try Data(contentsOf: archive)
        let manifest = Data(
            "0123456789abcdef0123456789abcdef  other.tar.gz\n\(md5(bytes))  cifar-10-binary.tar.gz\n".utf8)
        let archiveServer = try LoopbackHTTPServer(body: bytes)
        let manifestServer = try LoopbackHTTPServer(body: manifest)
        defer {
            archiveServer.stop()
            manifestServer.stop()
        }
        let dataset = DatasetDescriptor(
            name: "c10", folder: "c10",
            files: [
                RemoteFile(
                    name: "cifar-10-binary.tar.gz", urls: [archiveServer.url("cifar-10-binary.tar.gz")],
                    checksum: .md5Manifest(manifestServer.url("md5sums.txt")),
                    extraction: .untar(producing: "cifar-10-batches-bin"))
            ])
        let folder = try DatasetFetcher(dataDirectory: directory).fetch(dataset)
        let train = try CIFARDataset(
            directory: folder.appendingPathComponent("cifar-10-batches-bin"), variant: .cifar10, split: .train)
        XCTAssertEqual(train.count, 5)
    }

    func testChecksumMismatchIsReportedAndTheBadArchiveRemoved() throws {
        let server = try LoopbackHTTPServer(body: payload)
        defer { server.stop() }
        let wrong = "00000000000000000000000000000000"
        let dataset = DatasetDescriptor(
            name: "bad", folder: "bad",
            files: [
                RemoteFile(
                    name: "bad.gz", urls: [server.url("bad.gz")], checksum: .md5(wrong), extraction: .gunzip(to: "bad"))
            ])
        let archive = directory.appendingPathComponent("bad/bad.gz").path
        XCTAssertThrowsDatasetError(
            try DatasetFetcher(dataDirectory: directory).fetch(dataset),
            .checksumMismatch(file: archive, expected: wrong, actual: md5(payload)),
            mentions: ["published checksum is \(wrong)"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: archive))
    }

    func testCorruptArchiveFailsExtractionWithTheToolsMessage() throws {
        let server = try LoopbackHTTPServer(body: payload)
        defer { server.stop() }
        let dataset = DatasetDescriptor(
            name: "junk", folder: "junk",
            files: [
                RemoteFile(
                    name: "junk.gz", urls: [server.url("junk.gz")], checksum: .md5(md5(payload)),
                    extraction: .gunzip(to: "junk"))
            ])
        XCTAssertThrowsError(try DatasetFetcher(dataDirectory: directory).fetch(dataset)) { error in
            guard case DatasetError.extractionFailed(_, let command, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(command.hasPrefix("gzip -dc"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("junk/junk").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("junk/junk.part").path))
    }

    func testDataDirectoryPrecedence() {
        let env = ["SNN_DATA_DIR": "/data/snn", "XDG_CACHE_HOME": "/cache", "HOME": "/home/me"]
        XCTAssertEqual(DataDirectory.resolve(explicit: "/explicit", environment: env).path, "/explicit")
        XCTAssertEqual(DataDirectory.resolve(explicit: nil, environment: env).path, "/data/snn")
        XCTAssertEqual(
            DataDirectory.resolve(environment: ["XDG_CACHE_HOME": "/cache", "HOME": "/home/me"]).path,
            "/cache/snn-toolkit")
        XCTAssertEqual(DataDirectory.resolve(environment: ["HOME": "/home/me"]).path, "/home/me/.cache/snn-toolkit")
    }

    func testCatalogKnowsTheOfficialSources() throws {
        XCTAssertEqual(DatasetCatalog.all.map(\.name), ["shd", "ssc", "cifar10", "cifar100", "cifar10-dvs", "sst2"])
        let shd = try DatasetCatalog.named("shd")
        XCTAssertEqual(shd.files[0].urls[0].absoluteString, "https://zenkelab.org/datasets/shd_train.h5.gz")
        XCTAssertEqual(shd.files[0].checksum, .md5("d47c9825dee33347913e8ce0f2be08b0"))
        XCTAssertEqual(try DatasetCatalog.named("cifar10").files[0].checksum, .md5("c32a1d4ab5d03f1284b67883e8d87530"))
        XCTAssertEqual(try DatasetCatalog.named("cifar10-dvs").files.count, 10)
        XCTAssertThrowsError(try DatasetCatalog.named("mnist")) { XCTAssertTrue("\($0)".contains("known: shd, ssc")) }
    }

    private func gzip(_ url: URL) throws -> Data {
        try run("gzip", ["-k", "-f", url.path])
        return try Data(contentsOf: url.appendingPathExtension("gz"))
    }

    private func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }
}

/// Collects log lines from the fetcher's `@Sendable` callback.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

import Foundation

/// Downloads, verifies and unpacks a dataset into the data directory, skipping what is
/// already there.
///
/// For each archive: if its unpacked product exists, nothing happens; otherwise a verified
/// archive is reused, or it is downloaded (resuming a `.part` file, trying mirrors in order),
/// its MD5 checked, and it is unpacked. A corrupt download is deleted so the next run starts
/// over; when every URL fails, the error says which file to download from where and where to
/// put it.
public struct DatasetFetcher: Sendable {
    public let dataDirectory: URL
    public var downloader: Downloader
    /// Receives one line per step (for the CLI's output).
    public var log: @Sendable (String) -> Void

    public init(
        dataDirectory: URL, downloader: Downloader = Downloader(), log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.dataDirectory = dataDirectory
        self.downloader = downloader
        self.log = log
    }

    /// Fetches every archive of `dataset` and returns its folder.
    @discardableResult
    public func fetch(_ dataset: DatasetDescriptor) throws -> URL {
        let folder = dataDirectory.appendingPathComponent(dataset.folder, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in dataset.files { try fetch(file, into: folder) }
        return folder
    }

    func fetch(_ file: RemoteFile, into folder: URL) throws {
        let product = folder.appendingPathComponent(file.extraction.product)
        if FileManager.default.fileExists(atPath: product.path) {
            log("\(product.path): present")
            return
        }
        let archive = folder.appendingPathComponent(file.name)
        if !FileManager.default.fileExists(atPath: archive.path) { try download(file, to: archive) }
        let actual = try FileChecksum.md5(of: archive)
        if let expected = try expectedMD5(file, folder: folder) {
            guard actual == expected else {
                try? FileManager.default.removeItem(at: archive)
                throw DatasetError.checksumMismatch(file: archive.path, expected: expected, actual: actual)
            }
            log("\(archive.path): MD5 \(actual) verified")
        } else {
            log(
                "\(archive.path): MD5 \(actual) NOT verified (no checksum is pinned for \(file.name); compare it with a trusted copy)"
            )
        }
        switch file.extraction {
        case .gunzip(let name): try ArchiveExtractor.gunzip(archive, to: folder.appendingPathComponent(name))
        case .untar: try ArchiveExtractor.untar(archive, into: folder)
        case .unzip: try ArchiveExtractor.unzip(archive, into: folder)
        }
        log("\(product.path): unpacked")
    }

    private func download(_ file: RemoteFile, to archive: URL) throws {
        var reasons: [String] = []
        for url in file.urls {
            log("downloading \(url.absoluteString) → \(archive.path)")
            do {
                try downloader.download(url, to: archive)
                return
            } catch let DatasetError.downloadFailed(_, _, reason) {
                reasons.append("\(url.host ?? url.absoluteString): \(reason)")
            }
        }
        let sources = file.urls.map(\.absoluteString)
        throw DatasetError.downloadFailed(
            url: sources[0]
                + (sources.count > 1 ? " (or a mirror: \(sources.dropFirst().joined(separator: ", ")))" : ""),
            destination: archive.path, reason: reasons.joined(separator: "; "))
    }

    private func expectedMD5(_ file: RemoteFile, folder: URL) throws -> String? {
        switch file.checksum {
        case .md5(let value):
            return value
        case .unpinned:
            return nil
        case .md5Manifest(let url):
            let manifest = folder.appendingPathComponent(url.lastPathComponent)
            if !FileManager.default.fileExists(atPath: manifest.path) { try downloader.download(url, to: manifest) }
            let text = try String(contentsOf: manifest, encoding: .utf8)
            for line in text.split(whereSeparator: \.isNewline) {
                let fields = line.split(whereSeparator: \.isWhitespace)
                if fields.count == 2, fields[1].hasSuffix(file.name) { return String(fields[0]).lowercased() }
            }
            throw DatasetError.missingContent(path: manifest.path, what: "an MD5 line for \(file.name)")
        }
    }
}

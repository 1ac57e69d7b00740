import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Downloads one URL to a file over HTTP(S), streaming to `<destination>.part` and resuming a
/// partial download with a `Range:` request.
///
/// A server that ignores the range (status 200) restarts the file from the beginning; status
/// 416 (range not satisfiable) means the part file is already complete. The part file is
/// renamed to `destination` only when the transfer finished, so an interrupted run leaves a
/// part file that the next run continues.
public struct Downloader: Sendable {
    /// Seconds without any data before the transfer is abandoned.
    public var timeout: TimeInterval
    /// Called with (bytes so far, total bytes if known) as data arrives.
    public var progress: (@Sendable (Int64, Int64?) -> Void)?

    public init(timeout: TimeInterval = 60, progress: (@Sendable (Int64, Int64?) -> Void)? = nil) {
        self.timeout = timeout
        self.progress = progress
    }

    public static func partURL(for destination: URL) -> URL {
        destination.deletingLastPathComponent().appendingPathComponent(destination.lastPathComponent + ".part")
    }

    /// Downloads `url` to `destination`; throws `DatasetError.downloadFailed` with the reason.
    public func download(_ url: URL, to destination: URL) throws {
        let part = Self.partURL(for: destination)
        let manager = FileManager.default
        try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !manager.fileExists(atPath: part.path) { _ = manager.createFile(atPath: part.path, contents: nil) }
        let offset = (try? manager.attributesOfItem(atPath: part.path)[.size] as? Int64) ?? 0

        var request = URLRequest(url: url, timeoutInterval: timeout)
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        let transfer = try Transfer(part: part, offset: offset, progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: transfer, delegateQueue: nil)
        session.dataTask(with: request).resume()
        transfer.finished.wait()
        session.finishTasksAndInvalidate()

        if let failure = transfer.failure {
            throw DatasetError.downloadFailed(url: url.absoluteString, destination: destination.path, reason: failure)
        }
        if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
        try manager.moveItem(at: part, to: destination)
    }
}

/// The state of one transfer, shared between the caller and URLSession's delegate queue.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private let file: FileHandle
    private let offset: Int64
    private let progress: (@Sendable (Int64, Int64?) -> Void)?
    private var written: Int64 = 0
    private var total: Int64?
    private var failureReason: String?

    init(part: URL, offset: Int64, progress: (@Sendable (Int64, Int64?) -> Void)?) throws {
        file = try FileHandle(forWritingTo: part)
        self.offset = offset
        self.progress = progress
    }

    var failure: String? { lock.withLock { failureReason } }

    private func fail(_ reason: String) { lock.withLock { if failureReason == nil { failureReason = reason } } }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 200
        let expected = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
        do {
            switch status {
            case 206:
                let range = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Range") ?? ""
                guard range.hasPrefix("bytes \(offset)-") else {
                    fail("server resumed at \"\(range)\" instead of byte \(offset); delete the .part file and retry")
                    completionHandler(.cancel)
                    return
                }
                try file.seekToEnd()
                lock.withLock {
                    written = offset
                    total = expected.map { $0 + offset }
                }
            case 200:
                try file.truncate(atOffset: 0)
                lock.withLock {
                    written = 0
                    total = expected
                }
            case 416 where offset > 0:
                completionHandler(.cancel)  // the part file already holds the whole file
                return
            default:
                fail("HTTP status \(status)")
                completionHandler(.cancel)
                return
            }
        } catch {
            fail("cannot write the part file: \(error.localizedDescription)")
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        do {
            try file.write(contentsOf: data)
        } catch {
            fail("cannot write the part file: \(error.localizedDescription)")
            dataTask.cancel()
            return
        }
        let (done, expected) = lock.withLock { () -> (Int64, Int64?) in
            written += Int64(data.count)
            return (written, total)
        }
        progress?(done, expected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, (error as? URLError)?.code != .cancelled {
            fail(error.localizedDescription)
        } else if error == nil, let expected = lock.withLock({ total }), lock.withLock({ written }) < expected {
            fail("connection closed after \(lock.withLock { written }) of \(expected) bytes")
        }
        try? file.close()
        finished.signal()
    }
}

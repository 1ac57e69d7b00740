import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 that serves one body for every path, honours (or
/// ignores) `Range: bytes=N-`, and can cut the first response short: enough to test downloads
/// and resume without touching the network.
final class LoopbackHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var body: Data
    private var honourRange: Bool
    private var cutAfter: Int?
    private var requestedRanges: [String?] = []

    init(body: Data, honourRange: Bool = true, cutFirstResponseAfter: Int? = nil) throws {
        self.body = body
        self.honourRange = honourRange
        self.cutAfter = cutFirstResponseAfter
        #if os(Linux)
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let listener = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        self.listener = listener
        guard listener >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(path)")! }

    /// The `Range` header of each request so far (nil when absent).
    var ranges: [String?] { lock.withLock { requestedRanges } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var request = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.contains("\r\n\r\n".data(using: .utf8)!) {
            let n = recv(client, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            request.append(contentsOf: buffer[0..<n])
        }
        let headers = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n")
        let range = headers.first { $0.lowercased().hasPrefix("range:") }
            .map { $0.dropFirst("range:".count).trimmingCharacters(in: .whitespaces) }
        let (body, honour, cut) = lock.withLock { () -> (Data, Bool, Int?) in
            requestedRanges.append(range)
            defer { cutAfter = nil }
            return (self.body, honourRange, cutAfter)
        }
        var start = 0
        if honour, let range, range.hasPrefix("bytes="), let value = Int(range.dropFirst(6).split(separator: "-")[0]) {
            start = value
        }
        var head: String
        if start >= body.count && start > 0 {
            head = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */\(body.count)\r\nContent-Length: 0\r\n"
        } else if start > 0 {
            head =
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\n"
                + "Content-Length: \(body.count - start)\r\n"
        } else {
            head = "HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n"
        }
        head += "Connection: close\r\n\r\n"
        transmit(client, Data(head.utf8))
        if start < body.count {
            let end = cut.map { min(body.count, start + $0) } ?? body.count
            transmit(client, body.subdata(in: start..<end))
        }
    }

    private func transmit(_ client: Int32, _ data: Data) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                #if os(Linux)
                    let flags = Int32(MSG_NOSIGNAL)
                #else
                    let flags: Int32 = 0
                #endif
                let n = send(client, bytes.baseAddress! + offset, bytes.count - offset, flags)
                guard n > 0 else { return }
                offset += n
            }
        }
    }
}

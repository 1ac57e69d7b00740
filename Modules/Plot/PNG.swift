import CPNG
import Foundation

/// Errors of the Plot module, each naming the file or field at fault.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// libpng refused to write or read the file; `message` is libpng's own explanation.
    case png(path: String, message: String)
    /// Two arrays that must be parallel have different lengths.
    case lengthMismatch(field: String, expected: Int, got: Int)
    /// A log axis received no positive value to show.
    case noPositiveValues(axis: String)
    /// The figure has nothing to draw.
    case empty(String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .png(let path, let message): return "libpng on \(path): \(message)"
        case .lengthMismatch(let field, let expected, let got): return "\(field) has \(got) values, expected \(expected)"
        case .noPositiveValues(let axis): return "the \(axis) axis is logarithmic but no value on it is positive"
        case .empty(let what): return "nothing to plot: \(what)"
        case .writeFailed(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// Writes canvases as 8-bit RGB PNG files through libpng's simplified API.
public enum PNGWriter {
    public static func write(_ canvas: Canvas, to path: String) throws {
        var rgb = [UInt8]()
        rgb.reserveCapacity(canvas.width * canvas.height * 3)
        for offset in stride(from: 0, to: canvas.pixels.count, by: 4) {
            rgb.append(contentsOf: canvas.pixels[offset..<offset + 3])
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(canvas.width)
        image.height = png_uint_32(canvas.height)
        image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR)
        let written = rgb.withUnsafeBytes { bytes in
            png_image_write_to_file(&image, path, 0, bytes.baseAddress, 0, nil)
        }
        guard written != 0 else {
            let message = PNGImage.message(of: &image)
            png_image_free(&image)
            throw PlotError.png(path: path, message: message)
        }
    }
}

/// A decoded PNG as RGBA bytes, used to check what a figure drew.
public struct PNGImage: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGBA bytes, top row first.
    public let pixels: [UInt8]

    public init(contentsOf path: String) throws {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw PlotError.png(path: path, message: Self.message(of: &image))
        }
        image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        var buffer = [UInt8](repeating: 0, count: Int(shim_png_image_size(&image)))
        let finished = buffer.withUnsafeMutableBytes { bytes in
            png_image_finish_read(&image, nil, bytes.baseAddress, 0, nil)
        }
        guard finished != 0 else {
            let message = Self.message(of: &image)
            png_image_free(&image)
            throw PlotError.png(path: path, message: message)
        }
        width = Int(image.width)
        height = Int(image.height)
        pixels = buffer
    }

    public subscript(x: Int, y: Int) -> RGBA {
        let offset = (y * width + x) * 4
        return RGBA(pixels[offset], pixels[offset + 1], pixels[offset + 2], pixels[offset + 3])
    }

    /// libpng's error text, a NUL-terminated C string inside the struct.
    static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

// The exported C functions of stylectl.h (Sources/CStylectl): arguments checked, Swift errors turned
// into a status and a message, results copied into buffers the caller frees with the matching function.

import CStylectl
import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

@_cdecl("stylectl_api_version")
public func stylectl_api_version() -> Int32 { STYLECTL_API_VERSION }

@_cdecl("stylectl_stylizer_load")
public func stylectl_stylizer_load(
    _ vgg: UnsafePointer<CChar>?, _ decoder: UnsafePointer<CChar>?, _ model: UnsafePointer<CChar>?,
    _ searchFrom: UnsafePointer<CChar>?, _ stylizer: UnsafeMutablePointer<OpaquePointer?>?,
    _ message: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> stylectl_status {
    reporting(message) { () throws(APIFailure) in
        guard let stylizer else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylizer_load: the stylizer pointer is NULL") }
        stylizer.pointee = nil
        let handle = try StylizerHandle.load(vgg: vgg.map { String(cString: $0) }, decoder: decoder.map { String(cString: $0) },
                                             model: model.map { String(cString: $0) },
                                             searchFrom: searchFrom.map { String(cString: $0) } ?? libraryPath())
        stylizer.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
    }
}

@_cdecl("stylectl_stylizer_info")
public func stylectl_stylizer_info(
    _ stylizer: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ message: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> stylectl_status {
    reporting(message) { () throws(APIFailure) in
        guard let json else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylizer_info: the json pointer is NULL") }
        json.pointee = nil
        let handle = try handle(stylizer, function: "stylectl_stylizer_info")
        // Keys sorted, so the text is the same for the same state.
        let data = (try? JSONSerialization.data(withJSONObject: handle.info, options: [.sortedKeys])) ?? Data("{}".utf8)
        json.pointee = strdup(String(decoding: data, as: UTF8.self))
    }
}

@_cdecl("stylectl_stylizer_free")
public func stylectl_stylizer_free(_ stylizer: OpaquePointer?) {
    guard let stylizer else { return }
    Unmanaged<StylizerHandle>.fromOpaque(UnsafeRawPointer(stylizer)).release()
}

@_cdecl("stylectl_encode")
public func stylectl_encode(
    _ stylizer: OpaquePointer?, _ image: UnsafePointer<CChar>?, _ role: Int32, _ sizing: UnsafePointer<stylectl_sizing>?,
    _ features: UnsafeMutablePointer<UnsafeMutablePointer<stylectl_tensor>?>?,
    _ message: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> stylectl_status {
    reporting(message) { () throws(APIFailure) in
        guard let features else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_encode: the features pointer is NULL") }
        features.pointee = nil
        let handle = try handle(stylizer, function: "stylectl_encode")
        guard let image else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_encode: the image path is NULL") }
        guard role == 0 || role == 1 else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_encode: role must be 0 (content) or 1 (style), got \(role)") }
        handle.lock.lock()
        defer { handle.lock.unlock() }
        let checked = try callSizing(sizing, handle: handle, function: "stylectl_encode")
        let tensor = try handle.encode(String(cString: image), role: role == 1 ? .style : .content, sizing: checked)
        let result = UnsafeMutablePointer<stylectl_tensor>.allocate(capacity: 1)
        result.initialize(to: copied(tensor))
        features.pointee = result
    }
}

@_cdecl("stylectl_tensor_free")
public func stylectl_tensor_free(_ tensor: UnsafeMutablePointer<stylectl_tensor>?) {
    guard let tensor else { return }
    free(tensor.pointee.values)
    tensor.deallocate()
}

@_cdecl("stylectl_stylize")
public func stylectl_stylize(
    _ stylizer: OpaquePointer?, _ content: UnsafePointer<CChar>?, _ controls: UnsafePointer<stylectl_controls>?,
    _ sizing: UnsafePointer<stylectl_sizing>?, _ flags: Int32, _ result: UnsafeMutablePointer<UnsafeMutablePointer<stylectl_result>?>?,
    _ message: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> stylectl_status {
    reporting(message) { () throws(APIFailure) in
        guard let result else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylize: the result pointer is NULL") }
        result.pointee = nil
        let handle = try handle(stylizer, function: "stylectl_stylize")
        guard let content else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylize: the content path is NULL") }
        guard flags & ~(STYLECTL_WANT_TENSORS | STYLECTL_WANT_LOSSES) == 0 else {
            throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylize: unknown flags \(flags): use STYLECTL_WANT_TENSORS (1) and STYLECTL_WANT_LOSSES (2)")
        }
        let typed = try styleControls(controls)
        handle.lock.lock()
        defer { handle.lock.unlock() }
        let checked = try callSizing(sizing, handle: handle, function: "stylectl_stylize")
        let start = DispatchTime.now().uptimeNanoseconds
        let (stylization, losses) = try handle.stylize(content: String(cString: content), controls: typed, sizing: checked,
                                                       measuring: flags & STYLECTL_WANT_LOSSES != 0)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var made = stylectl_result()
        let image = stylization.image
        made.width = Int32(image.width)
        made.height = Int32(image.height)
        made.pixels = copied(RGB8Image(quantizing: image).samples)
        made.image = interleaved(image)
        if flags & STYLECTL_WANT_TENSORS != 0 {
            if let target = stylization.target { made.target = copied(target) }
            if let decoded = stylization.decoded { made.decoded = copied(decoded) }
        }
        if let losses { made.losses_json = strdup(json(losses)) }
        made.seconds = seconds
        let pointer = UnsafeMutablePointer<stylectl_result>.allocate(capacity: 1)
        pointer.initialize(to: made)
        result.pointee = pointer
    }
}

@_cdecl("stylectl_result_free")
public func stylectl_result_free(_ result: UnsafeMutablePointer<stylectl_result>?) {
    guard let result else { return }
    free(result.pointee.pixels)
    free(result.pointee.image)
    free(result.pointee.target.values)
    free(result.pointee.decoded.values)
    free(result.pointee.losses_json)
    result.deallocate()
}

@_cdecl("stylectl_string_free")
public func stylectl_string_free(_ string: UnsafeMutablePointer<CChar>?) {
    free(string)
}

// MARK: - Arguments and results

/// Runs `body`, setting `*message` to NULL on success or to the failure's message (and returning
/// its status) on failure.
private func reporting(_ message: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws(APIFailure) -> Void) -> stylectl_status {
    message?.pointee = nil
    do {
        try body()
        return STYLECTL_OK
    } catch {
        message?.pointee = strdup(error.message)
        return error.status
    }
}

/// The handle behind a `stylectl_stylizer *`, or an argument error for NULL.
private func handle(_ stylizer: OpaquePointer?, function: String) throws(APIFailure) -> StylizerHandle {
    guard let stylizer else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "\(function): the stylizer is NULL") }
    return Unmanaged<StylizerHandle>.fromOpaque(UnsafeRawPointer(stylizer)).takeUnretainedValue()
}

/// The file of this library, where the repository's `Models/` folder is searched from by default
/// (as `stylectl` searches from its executable): the mapping of `/proc/self/maps` that holds this
/// library's header (`#dsohandle`); "" when none does (then only `$STYLECTL_MODELS` and ./Models).
private func libraryPath() -> String {
    let address = UInt(bitPattern: #dsohandle)
    guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return "" }
    for line in maps.split(separator: "\n") {
        // start-end perms offset device inode path
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count == 6, fields[5].hasPrefix("/") else { continue }
        let range = fields[0].split(separator: "-")
        guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) else { continue }
        if start <= address && address < end { return String(fields[5]) }
    }
    return ""
}

/// A checked `stylectl_sizing`; NULL is every default (`stylize` without sizing flags).
private func callSizing(_ sizing: UnsafePointer<stylectl_sizing>?, handle: StylizerHandle, function: String) throws(APIFailure) -> CallSizing {
    let given = sizing?.pointee ?? stylectl_sizing(content_size: -1, style_size: -1, crop: 0, tile: 0, max_memory: nil)
    return try handle.sizing(contentSize: given.content_size, styleSize: given.style_size, crop: given.crop != 0, tile: given.tile,
                             maxMemory: given.max_memory.map { String(cString: $0) })
}

/// The typed controls of a `stylectl_controls`, their counts and pointers checked; the controls
/// themselves are validated by the pipeline (``StyleControls/validate()``), in `stylize`'s words.
private func styleControls(_ controls: UnsafePointer<stylectl_controls>?) throws(APIFailure) -> StyleControls {
    guard let controls = controls?.pointee else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylize: the controls are NULL") }
    // `name` and `countName` are the fields' names in stylectl.h.
    func strings(_ list: UnsafePointer<UnsafePointer<CChar>?>?, count: Int32, name: String, countName: String) throws(APIFailure) -> [String] {
        guard count >= 0 else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylize: \(countName) is negative (\(count))") }
        guard count > 0 else { return [] }
        guard let list else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylize: \(name) is NULL with \(countName) \(count)") }
        var result: [String] = []
        for index in 0 ..< Int(count) {
            guard let item = list[index] else { throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylize: \(name)[\(index)] is NULL") }
            result.append(String(cString: item))
        }
        return result
    }
    let styles = try strings(controls.styles, count: controls.style_count, name: "styles", countName: "style_count")
    let masks = try strings(controls.masks, count: controls.mask_count, name: "masks", countName: "mask_count")
    var weights: [Float]?
    if let given = controls.weights {
        guard controls.weight_count >= 0 else {
            throw APIFailure(STYLECTL_ERROR_ARGUMENT, "stylectl_stylize: weight_count is negative (\(controls.weight_count))")
        }
        // A count other than the styles' is refused by StyleControls.validate(), in stylize's words.
        weights = Array(UnsafeBufferPointer(start: given, count: Int(controls.weight_count)))
    }
    var typed = StyleControls(styles: styles, weights: weights, alpha: controls.alpha)
    do {
        if let mode = controls.preserve_color { typed.preserveColor = try ColorPreservation(parsing: String(cString: mode)) }
        if !masks.isEmpty {
            let mode = try controls.mask_mode.map { text throws(StyleControlError) in try SpatialMask.Mode(parsing: String(cString: text)) } ?? .auto
            typed.mask = SpatialMask(paths: masks, mode: mode, stretch: controls.stretch_mask != 0)
        }
    } catch {
        throw APIFailure(STYLECTL_ERROR_ARGUMENT, error.description)
    }
    return typed
}

/// `values` in a buffer from malloc (freed with free by the API's free functions).
private func copied<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
    let buffer = malloc(max(1, values.count * MemoryLayout<T>.stride))!.bindMemory(to: T.self, capacity: values.count)
    values.withUnsafeBufferPointer { source in
        if let base = source.baseAddress { buffer.update(from: base, count: values.count) }
    }
    return buffer
}

/// A tensor of rank at most 4 (the API's features, t and g(t)) with its values copied.
private func copied(_ tensor: Tensor) -> stylectl_tensor {
    var result = stylectl_tensor()
    result.rank = Int32(tensor.shape.count)
    withUnsafeMutableBytes(of: &result.shape) { raw in
        let shape = raw.bindMemory(to: Int64.self)
        for (axis, side) in tensor.shape.prefix(4).enumerated() { shape[axis] = Int64(side) }
    }
    result.values = copied(tensor.values)
    return result
}

/// The image's planar floats interleaved (R, G, B of each pixel), row by row.
private func interleaved(_ image: RGBImage) -> UnsafeMutablePointer<Float> {
    let plane = image.width * image.height
    var values = [Float](repeating: 0, count: 3 * plane)
    for i in 0 ..< plane {
        for c in 0 ..< 3 { values[3 * i + c] = image.pixels[c * plane + i] }
    }
    return copied(values)
}

/// Losses as the JSON object of `losses_json`; a NaN or infinite loss as the string "NaN",
/// "Infinity" or "-Infinity".
private func json(_ losses: StylizationLosses) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    guard let data = try? encoder.encode(losses) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}

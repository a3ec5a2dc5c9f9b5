// Thin Swift wrappers over oneDNN's C API: the CPU engine, streams, status checks, memory
// descriptors, primitives and their execution.

import CDNNL

/// A oneDNN call that failed: which call and the status it returned.
///
/// oneDNN fails for lack of memory, for a shape no implementation supports, or for invalid
/// arguments (a bug in this module); none of these are silently ignored.
public struct DNNLError: Error, Equatable, CustomStringConvertible {
    /// The oneDNN function and what it was doing, e.g. `"dnnl_primitive_desc_create (convolution)"`.
    public let call: String
    /// oneDNN's status, e.g. `"out_of_memory"`.
    public let status: String

    public var description: String { "oneDNN call \(call) failed with status \(status)" }

    init(call: String, status: dnnl_status_t) {
        self.call = call
        switch status {
        case dnnl_out_of_memory: self.status = "out_of_memory"
        case dnnl_invalid_arguments: self.status = "invalid_arguments"
        case dnnl_unimplemented: self.status = "unimplemented"
        case dnnl_runtime_error: self.status = "runtime_error"
        default: self.status = "status \(status.rawValue)"
        }
    }
}

/// Throws a ``DNNLError`` naming `call` unless `status` is `dnnl_success`.
@inline(__always)
func check(_ status: dnnl_status_t, _ call: @autoclosure () -> String) throws(DNNLError) {
    guard status == dnnl_success else { throw DNNLError(call: call(), status: status) }
}

/// The process-wide oneDNN CPU engine.
///
/// oneDNN is built with OpenMP here (Debian's libdnnl), so primitives use `OMP_NUM_THREADS`
/// threads, by default one per core.
final class DNNLEngine: @unchecked Sendable {
    // @unchecked: the engine is created once and never mutated; oneDNN engines are thread-safe.
    let handle: dnnl_engine_t

    static let shared = DNNLEngine()

    private init() {
        var engine: dnnl_engine_t?
        let status = dnnl_engine_create(&engine, dnnl_cpu, 0)
        guard status == dnnl_success, let engine else {
            fatalError("oneDNN cannot create its CPU engine: \(DNNLError(call: "dnnl_engine_create", status: status))")
        }
        handle = engine
    }
}

/// An in-order CPU stream. oneDNN streams must not be shared between threads, so each forward
/// pass makes its own; with the OpenMP runtime, execution is synchronous.
final class DNNLStream {
    let handle: dnnl_stream_t

    init() throws(DNNLError) {
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, DNNLEngine.shared.handle, UInt32(dnnl_stream_default_flags.rawValue)), "dnnl_stream_create")
        handle = stream!
    }

    func wait() throws(DNNLError) {
        try check(dnnl_stream_wait(handle), "dnnl_stream_wait")
    }

    deinit { dnnl_stream_destroy(handle) }
}

/// A float32 memory descriptor of the given dims and format tag.
func memoryDescriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) throws(DNNLError) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let dims64 = dims.map(Int64.init)
    try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims64, dnnl_f32, tag), "dnnl_memory_desc_init_by_tag \(dims)")
    return md
}

/// The size in bytes of the buffer a memory descriptor needs.
func byteCount(of md: dnnl_memory_desc_t) -> Int {
    var md = md
    return dnnl_memory_desc_get_size(&md)
}

/// Whether two memory descriptors describe the same layout.
func sameLayout(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
    var a = a, b = b
    return dnnl_memory_desc_equal(&a, &b) != 0
}

/// Primitive attributes: a user-managed scratchpad (so that one primitive may run on several
/// threads at once, each with its own scratchpad) and an optional ReLU post-op.
final class DNNLAttributes {
    let handle: dnnl_primitive_attr_t

    init(relu: Bool) throws(DNNLError) {
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create")
        handle = attr!
        try check(dnnl_primitive_attr_set_scratchpad_mode(handle, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode")
        if relu {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "dnnl_post_ops_append_eltwise (relu)")
            try check(dnnl_primitive_attr_set_post_ops(handle, postOps), "dnnl_primitive_attr_set_post_ops")
        }
    }

    deinit { dnnl_primitive_attr_destroy(handle) }
}

/// A primitive descriptor: the chosen implementation and the memory layouts it wants.
final class DNNLPrimitiveDescriptor {
    let handle: dnnl_primitive_desc_t

    /// - Parameters:
    ///   - operation: a pointer to an operation descriptor (e.g. `dnnl_convolution_desc_t`).
    ///   - what: the operation's name for error messages.
    ///   - hint: the forward primitive descriptor a backward primitive is created for (oneDNN needs it).
    init(operation: UnsafeRawPointer, attributes: DNNLAttributes?, what: String, hint: DNNLPrimitiveDescriptor? = nil) throws(DNNLError) {
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, operation, attributes?.handle, DNNLEngine.shared.handle, hint?.handle), "dnnl_primitive_desc_create (\(what))")
        handle = pd!
    }

    /// A reorder from one layout to another.
    init(reorderFrom source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, attributes: DNNLAttributes) throws(DNNLError) {
        var pd: dnnl_primitive_desc_t?
        var source = source, destination = destination
        let engine = DNNLEngine.shared.handle
        try check(dnnl_reorder_primitive_desc_create(&pd, &source, engine, &destination, engine, attributes.handle), "dnnl_reorder_primitive_desc_create")
        handle = pd!
    }

    /// The memory descriptor for `what` (`dnnl_query_src_md`, `dnnl_query_weights_md`, ...).
    func memoryDescriptor(_ what: dnnl_query_t) -> dnnl_memory_desc_t {
        guard let md = dnnl_primitive_desc_query_md(handle, what, 0) else {
            preconditionFailure("oneDNN primitive descriptor has no memory descriptor for query \(what.rawValue)")
        }
        return md.pointee
    }

    /// The implementation oneDNN chose, e.g. `"jit:avx2"`.
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(handle, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "?" }
        return String(cString: name)
    }

    deinit { dnnl_primitive_desc_destroy(handle) }
}

/// An executable primitive. oneDNN primitives are immutable once created and may be executed
/// from several threads at once (each with its own stream, memory objects and scratchpad).
final class DNNLPrimitive: @unchecked Sendable {
    // @unchecked: see above; the handle is never mutated after init.
    let handle: dnnl_primitive_t
    /// The scratchpad the primitive needs at execution (user-managed scratchpad mode), and its size
    /// in bytes (0 if none).
    let scratchpadDescriptor: dnnl_memory_desc_t
    let scratchpadBytes: Int
    /// The implementation oneDNN chose, for traces and diagnostics.
    let implementation: String

    init(_ descriptor: DNNLPrimitiveDescriptor, what: String) throws(DNNLError) {
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor.handle), "dnnl_primitive_create (\(what))")
        handle = primitive!
        scratchpadDescriptor = descriptor.memoryDescriptor(dnnl_query_scratchpad_md)
        scratchpadBytes = byteCount(of: scratchpadDescriptor)
        implementation = descriptor.implementation
    }

    /// Runs the primitive on raw buffers laid out as `arguments` describe; the scratchpad, if the
    /// primitive needs one, must hold at least ``scratchpadBytes``.
    func execute(_ arguments: [(argument: Int32, descriptor: dnnl_memory_desc_t, data: UnsafeMutableRawPointer)],
                 scratchpad: UnsafeMutableRawPointer, stream: DNNLStream) throws(DNNLError) {
        var memories: [dnnl_memory_t] = []
        memories.reserveCapacity(arguments.count + 1)
        defer { for memory in memories { dnnl_memory_destroy(memory) } }
        var execArgs: [dnnl_exec_arg_t] = []
        func add(_ argument: Int32, _ descriptor: dnnl_memory_desc_t, _ data: UnsafeMutableRawPointer) throws(DNNLError) {
            var md = descriptor
            var memory: dnnl_memory_t?
            try check(dnnl_memory_create(&memory, &md, DNNLEngine.shared.handle, data), "dnnl_memory_create")
            memories.append(memory!)
            execArgs.append(dnnl_exec_arg_t(arg: argument, memory: memory))
        }
        for (argument, descriptor, data) in arguments { try add(argument, descriptor, data) }
        if scratchpadBytes > 0 {
            try add(DNNL_ARG_SCRATCHPAD, scratchpadDescriptor, scratchpad)
        }
        try check(dnnl_primitive_execute(handle, stream.handle, Int32(execArgs.count), execArgs), "dnnl_primitive_execute (\(implementation))")
    }

    deinit { dnnl_primitive_destroy(handle) }
}

/// What runs the convolutions, for benchmark reports: oneDNN's version, the instruction set it
/// uses on this CPU and the channel block of the activations, e.g.
/// `"oneDNN 2.6.3 (OpenMP), ISA avx2, channel block 8"`.
public var computeEngineDescription: String {
    let version = dnnl_version().pointee
    let isa: String
    switch dnnl_get_effective_cpu_isa() {
    case dnnl_cpu_isa_sse41: isa = "sse41"
    case dnnl_cpu_isa_avx: isa = "avx"
    case dnnl_cpu_isa_avx2: isa = "avx2"
    case dnnl_cpu_isa_avx2_vnni: isa = "avx2_vnni"
    case dnnl_cpu_isa_avx512_core: isa = "avx512_core"
    case dnnl_cpu_isa_avx512_core_vnni: isa = "avx512_core_vnni"
    case dnnl_cpu_isa_avx512_core_bf16: isa = "avx512_core_bf16"
    case dnnl_cpu_isa_avx512_core_amx: isa = "avx512_core_amx"
    case let other: isa = "0x" + String(other.rawValue, radix: 16)
    }
    let runtime = version.cpu_runtime == UInt32(DNNL_RUNTIME_OMP) ? "OpenMP" : "runtime \(version.cpu_runtime)"
    return "oneDNN \(version.major).\(version.minor).\(version.patch) (\(runtime)), ISA \(isa), channel block \(ActivationLayout.nativeBlock)"
}

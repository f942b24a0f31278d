//! `Exception._stackTrace` (reference §9.2): the runtime's `StackTraceArray`,
//! a byte array holding `{size_t count; Thread* thread}` and then `count`
//! elements `{UINT_PTR ip; UINT_PTR sp; MethodDesc* pFunc; INT flags}`
//! (padded to pointer alignment: 32 bytes on 64-bit, 16 on 32-bit; without
//! `flags` on .NET Framework 4.0).

use crate::method::{MethodName, Methods};
use clr_heap::types::{TypeSystem, Value};
use clr_heap::{ClrError, Result};

/// One frame of a thrown exception's stack trace, innermost first.
#[derive(Debug, Clone)]
pub struct StackFrame {
    /// Instruction pointer as recorded (SOS adds 1 to some when printing).
    pub ip: u64,
    /// Stack pointer.
    pub sp: u64,
    /// The frame's MethodDesc.
    pub method_desc: u64,
    /// `STEF_*` flags (0x1 last frame from a foreign trace, 0x2 IP adjusted).
    pub flags: Option<u32>,
    /// The method's name, or why it is unresolved.
    pub method: Result<MethodName, String>,
}

/// The decoded `_stackTrace`.
#[derive(Debug, Clone)]
pub struct StackTrace {
    /// The byte array holding it.
    pub array: u64,
    /// The native `Thread` that threw (`m_thread`).
    pub thread: u64,
    /// Frames, innermost first.
    pub frames: Vec<StackFrame>,
}

/// Decodes the `_stackTrace` value `v` (`Ok(None)` when null).
///
/// ```no_run
/// # fn f(types: &clr_heap::types::TypeSystem, methods: &clr_stack::Methods, v: &clr_heap::types::Value) {
/// if let Ok(Some(st)) = clr_stack::stack_trace::decode(types, methods, v) {
///     for f in &st.frames {
///         println!("{:#x} {:#x} {:?}", f.sp, f.ip, f.method.as_ref().map(|m| m.sos()));
///     }
/// }
/// # }
/// ```
pub fn decode(types: &TypeSystem, methods: &Methods, v: &Value) -> Result<Option<StackTrace>> {
    let addr = match v {
        Value::Null => return Ok(None),
        Value::Object { address, .. } => *address,
        other => {
            return Err(ClrError::Unsupported(format!("_stackTrace holds {other}, not an array")));
        }
    };
    let mut arr = types.array(addr)?;
    if !arr.element_is_value_type && arr.length > 0 {
        // .NET 9+: an object[] whose element 0 is the byte array.
        match types.array_element(&arr, 0)? {
            Value::Object { address, .. } => arr = types.array(address)?,
            other => {
                return Err(ClrError::Unsupported(format!("_stackTrace[0] is {other}, not a byte array")));
            }
        }
    }
    let rt = types.runtime();
    let mem = rt.dump.memory();
    let p = rt.layout.ptr;
    let bytes = arr.length.saturating_mul(u64::from(arr.component_size.max(1)));
    let read = |a: u64| mem.ptr(a).map_err(|source| ClrError::Read { what: "_stackTrace".into(), source });
    if bytes < 2 * p {
        return Ok(Some(StackTrace { array: arr.address, thread: 0, frames: Vec::new() }));
    }
    let count = read(arr.data)?;
    let thread = read(arr.data.wrapping_add(p))?;
    // The `flags` member came with .NET Framework 4.5 (clr.dll 4.0.30319.17000+) and is
    // in every CoreCLR. Unproven on Framework dumps: none are in the fixtures yet.
    let with_flags = rt.module.flavor != clr_heap::runtime::Flavor::Desktop
        || rt.module.file_version.is_none_or(|v| v.0[3] >= 17000);
    let elem = if with_flags { (3 * p + 4).next_multiple_of(p) } else { 3 * p };
    let room = (bytes - 2 * p) / elem;
    if count > room {
        return Err(ClrError::Invalid {
            what: "_stackTrace",
            address: arr.address,
            reason: format!("it claims {count} frames but its {bytes} bytes hold {room}"),
        });
    }
    let mut frames = Vec::with_capacity(count as usize);
    for i in 0..count {
        let e = arr.data.wrapping_add(2 * p + i * elem);
        let md = read(e.wrapping_add(2 * p))?;
        frames.push(StackFrame {
            ip: read(e)?,
            sp: read(e.wrapping_add(p))?,
            method_desc: md,
            flags: if with_flags { mem.u32(e.wrapping_add(3 * p)).ok() } else { None },
            method: methods.name(md),
        });
    }
    Ok(Some(StackTrace { array: arr.address, thread, frames }))
}

//! Exception objects (`!pe`, reference §9): type, `_message`, the inner
//! chain, `_HResult`, the decoded `_stackTrace` and `_stackTraceString`.
//! Field offsets come from the type system's FieldDescs, never from tables.

use crate::method::Methods;
use crate::objects::Objects;
use crate::stack_trace::{self, StackTrace};
use clr_heap::types::Value;
use clr_heap::{ClrError, Result};
use std::collections::HashSet;

/// Longest inner-exception chain followed (a longer one is a cycle or corrupt).
pub const MAX_INNER: usize = 64;

/// One exception object, decoded.
#[derive(Debug, Clone)]
pub struct ExceptionInfo {
    /// Its address.
    pub address: u64,
    /// Its MethodTable.
    pub mt: u64,
    /// Its type's name.
    pub type_name: String,
    /// `_message` (`Ok(None)`: null; `Err`: unreadable).
    pub message: Result<Option<String>, String>,
    /// `_innerException` and its type's name.
    pub inner: Option<(u64, String)>,
    /// `_HResult`.
    pub hresult: Option<i32>,
    /// `_stackTrace` decoded (`Ok(None)`: never thrown / null).
    pub stack_trace: Result<Option<StackTrace>, String>,
    /// `_stackTraceString` (set for exceptions rethrown across boundaries or serialised).
    pub stack_trace_string: Option<String>,
    /// `_remoteStackTraceString` (the part before an `ExceptionDispatchInfo` rethrow).
    pub remote_stack_trace_string: Option<String>,
}

/// Reads exception objects.
pub struct Exceptions<'x, 't, 'a> {
    objects: &'x Objects<'t, 'a>,
    methods: &'x Methods<'t, 'a>,
}

impl<'x, 't, 'a> Exceptions<'x, 't, 'a> {
    /// A reader over `objects` naming frames with `methods`.
    ///
    /// ```no_run
    /// let dump = dump_format::Dump::open("core")?;
    /// let rt = clr_heap::Runtime::open(&dump, &Default::default())?;
    /// let types = clr_heap::types::TypeSystem::new(&rt);
    /// let (objects, methods) = (clr_stack::Objects::new(&types), clr_stack::Methods::new(&types));
    /// let ex = clr_stack::Exceptions::new(&objects, &methods).read(0x7efe4812ebe8)?;
    /// println!("{} {:?} {:x?}", ex.type_name, ex.message, ex.hresult);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(objects: &'x Objects<'t, 'a>, methods: &'x Methods<'t, 'a>) -> Self {
        Exceptions { objects, methods }
    }

    /// The exception at `address`; an error when it is not an exception object.
    pub fn read(&self, address: u64) -> Result<ExceptionInfo> {
        let types = self.objects.types;
        let mt = types.object_mt(address)?;
        let type_name = types.type_name(mt)?;
        if !self.objects.derives_from_exception(mt) {
            return Err(ClrError::Invalid {
                what: "exception",
                address,
                reason: format!("its type {type_name} does not derive from System.Exception"),
            });
        }
        let field = |n: &str| self.objects.field(address, &[n]);
        let text = |n: &str| match field(n) {
            Some(Value::String { value: Ok(s), .. }) => Some(s),
            _ => None,
        };
        let message = match field("_message") {
            Some(Value::Null) => Ok(None),
            Some(Value::String { value, .. }) => value.map(Some),
            Some(other) => Err(format!("_message is {other}")),
            None => Err(format!("{type_name} has no _message field")),
        };
        let inner = match field("_innerException") {
            Some(Value::Object { address, type_name, .. }) => Some((address, type_name)),
            _ => None,
        };
        let hresult = match field("_HResult") {
            Some(Value::I32(v)) => Some(v),
            _ => None,
        };
        let stack_trace = match field("_stackTrace") {
            Some(v) => stack_trace::decode(types, self.methods, &v).map_err(|e| e.to_string()),
            None => Err(format!("{type_name} has no _stackTrace field")),
        };
        Ok(ExceptionInfo {
            address,
            mt,
            type_name,
            message,
            inner,
            hresult,
            stack_trace,
            stack_trace_string: text("_stackTraceString"),
            remote_stack_trace_string: text("_remoteStackTraceString"),
        })
    }

    /// The exception at `address` and its inner exceptions, outermost first
    /// (bounded; a cycle ends the chain with an error entry's reason).
    pub fn chain(&self, address: u64) -> Result<Vec<ExceptionInfo>> {
        let mut out = vec![self.read(address)?];
        let mut seen = HashSet::from([address]);
        while let Some((next, _)) = out.last().and_then(|e| e.inner.clone()) {
            if !seen.insert(next) || out.len() >= MAX_INNER {
                return Err(ClrError::Invalid {
                    what: "inner exception chain",
                    address,
                    reason: format!("it loops or is longer than {MAX_INNER} at {next:#x}"),
                });
            }
            out.push(self.read(next)?);
        }
        Ok(out)
    }
}

//! The managed objects the thread and exception readers look at, through
//! the type system: `System.Threading.Thread` and `System.Exception`.

use clr_heap::Runtime;
use clr_heap::types::{TypeSystem, Value};
use std::cell::RefCell;
use std::collections::HashMap;

/// Deepest base-class chain followed (real hierarchies are < 20 deep).
const MAX_PARENTS: usize = 64;

/// Typed questions about objects, with the answers per MethodTable cached.
pub struct Objects<'t, 'a> {
    /// The type system.
    pub types: &'t TypeSystem<'a>,
    thread_mt: u64,
    exception_mt: u64,
    exception_mts: RefCell<HashMap<u64, bool>>,
}

impl<'t, 'a> Objects<'t, 'a> {
    /// Reads `g_pThreadClass` and `g_pExceptionClass` (0 when unknown).
    pub fn new(types: &'t TypeSystem<'a>) -> Self {
        let rt = types.runtime();
        let global = |n: &str| global_ptr(rt, n).unwrap_or(0);
        Objects {
            types,
            thread_mt: global("g_pThreadClass"),
            exception_mt: global("g_pExceptionClass"),
            exception_mts: RefCell::default(),
        }
    }

    /// The object's MethodTable when it is a valid object.
    pub fn mt(&self, obj: u64) -> Option<u64> {
        self.types.object_mt(obj).ok()
    }

    /// Whether `obj` is a `System.Threading.Thread`.
    pub fn is_thread(&self, obj: u64) -> bool {
        self.mt(obj).is_some_and(|mt| {
            if self.thread_mt != 0 {
                mt == self.thread_mt
            } else {
                self.types.type_name(mt).is_ok_and(|n| n == "System.Threading.Thread")
            }
        })
    }

    /// Whether `mt` is `System.Exception` or derives from it.
    pub fn derives_from_exception(&self, mt: u64) -> bool {
        if let Some(&v) = self.exception_mts.borrow().get(&mt) {
            return v;
        }
        let mut cur = mt;
        let mut v = false;
        for _ in 0..MAX_PARENTS {
            if cur == 0 {
                break;
            }
            let is_it = if self.exception_mt != 0 {
                cur == self.exception_mt
            } else {
                self.types.type_name(cur).is_ok_and(|n| n == "System.Exception")
            };
            if is_it {
                v = true;
                break;
            }
            match self.types.method_table(cur) {
                Ok(info) => cur = info.parent,
                Err(_) => break,
            }
        }
        self.exception_mts.borrow_mut().insert(mt, v);
        v
    }

    /// Whether `obj` is an exception object.
    pub fn is_exception(&self, obj: u64) -> bool {
        self.mt(obj).is_some_and(|mt| self.derives_from_exception(mt))
    }

    /// A field of `obj` by name (base classes included), when `obj` is valid.
    pub fn field(&self, obj: u64, names: &[&str]) -> Option<Value> {
        let mt = self.mt(obj)?;
        let t = self.types.type_info(mt).ok()?;
        let f = t.instance_fields.iter().find(|f| names.contains(&f.name.as_str()))?;
        Some(self.types.field_value(obj, f, false).value)
    }

    /// `_DONT_USE_InternalThread` of a managed Thread: its native `Thread*`.
    pub fn internal_thread(&self, obj: u64) -> Option<u64> {
        if !self.is_thread(obj) {
            return None;
        }
        match self.field(obj, &["_DONT_USE_InternalThread", "DONT_USE_InternalThread"])? {
            Value::NativeInt(p) | Value::Pointer(p) => Some(p),
            _ => None,
        }
    }

    /// `_managedThreadId` of a managed Thread.
    pub fn managed_id(&self, obj: u64) -> Option<i32> {
        match self.field(obj, &["_managedThreadId", "m_ManagedThreadId"])? {
            Value::I32(v) => Some(v),
            _ => None,
        }
    }

    /// `_name` of a managed Thread: `Ok(None)` when null, `Err` when unreadable.
    pub fn thread_name(&self, obj: u64) -> Result<Option<String>, String> {
        match self.field(obj, &["_name", "m_Name"]) {
            Some(Value::Null) => Ok(None),
            Some(Value::String { value, .. }) => value.map(Some),
            Some(other) => Err(format!("_name is not a string: {other}")),
            None => Err("the Thread object has no _name field".into()),
        }
    }

    /// Whether `a` and `b` lie inside one GC segment (an allocation context).
    pub fn same_segment(&self, a: u64, b: u64) -> bool {
        let heap = self.types.runtime().heap.as_ref().ok();
        heap.and_then(|h| h.segment_of(a)).is_some_and(|s| b >= s.start && b <= s.reserved)
    }
}

/// The pointer stored in the runtime global `name`, when non-null.
pub fn global_ptr(rt: &Runtime, name: &str) -> Option<u64> {
    rt.globals.address(name).and_then(|a| rt.dump.memory().ptr(a).ok()).filter(|&v| v != 0)
}

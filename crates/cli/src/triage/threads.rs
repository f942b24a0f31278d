//! Every thread of a dump: OS facts (CPU times), managed facts (id, name,
//! state, last exception) and the managed stack, walked once.

use crate::triage::blocking::{Wait, classify, is_framework};
use crate::triage::evidence::{ser_hex, ser_opt_hex};
use clr_heap::types::TypeSystem;
use clr_stack::{CodeMap, Exceptions, FrameKind, Methods, Objects, StackWalker, Threads};
use dump_format::Dump;
use serde::Serialize;

/// Frames kept per thread: enough to compare stacks and show the top.
pub const MAX_KEPT_FRAMES: usize = 64;

/// One row of a stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameFact {
    /// Child SP.
    #[serde(serialize_with = "ser_hex")]
    pub sp: u64,
    /// Instruction pointer (0 for runtime frames).
    #[serde(serialize_with = "ser_hex")]
    pub ip: u64,
    /// The call site as `clrstack` prints it.
    pub text: String,
    /// `Namespace.Type.Method` of a managed frame.
    pub method: Option<String>,
    /// False when the unwinder marked the frame uncertain.
    pub certain: bool,
}

/// A managed exception, short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionFact {
    /// The exception object.
    #[serde(serialize_with = "ser_hex")]
    pub address: u64,
    /// Its type.
    pub type_name: String,
    /// `_message`, when set and readable.
    pub message: Option<String>,
    /// The inner exception's type.
    pub inner: Option<String>,
    /// Methods of `_stackTrace`, innermost first (bounded).
    pub stack: Vec<String>,
}

/// What a blocked thread waits in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    /// The kind of wait.
    pub wait: Wait,
    /// The blocking method (or the runtime frame standing for it).
    pub method: String,
    /// The innermost application method below it.
    pub app_frame: Option<String>,
}

/// One thread of the dump.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadFacts {
    /// Index in the dump's thread list (the debugger's thread number).
    pub index: Option<usize>,
    /// OS thread id.
    pub os_id: Option<u32>,
    /// Managed thread id (None: not a managed thread).
    pub managed_id: Option<u32>,
    /// The runtime `Thread`.
    #[serde(serialize_with = "ser_opt_hex")]
    pub thread_obj: Option<u64>,
    /// `Thread.Name`.
    pub name: Option<String>,
    /// `m_State` flag names.
    pub state: Vec<String>,
    /// Finalizer, thread pool, …
    pub special: Vec<String>,
    /// The managed thread ended (its OS thread is gone).
    pub dead: bool,
    /// Locks held (`m_dwLockCount`).
    pub lock_count: Option<u32>,
    /// User-mode CPU seconds.
    pub user_seconds: Option<f64>,
    /// Kernel-mode CPU seconds.
    pub kernel_seconds: Option<f64>,
    /// Seconds since the thread started, at dump time.
    pub elapsed_seconds: Option<f64>,
    /// The stack, innermost first (at most [`MAX_KEPT_FRAMES`]).
    pub frames: Vec<FrameFact>,
    /// Why the walk stopped early.
    pub stack_stopped: Option<String>,
    /// The blocking call, when the innermost frames are one.
    pub blocked: Option<Blocked>,
    /// The last exception thrown on the thread.
    pub exception: Option<ExceptionFact>,
}

impl ThreadFacts {
    /// User + kernel seconds, when both are recorded.
    pub fn cpu_seconds(&self) -> Option<f64> {
        Some(self.user_seconds? + self.kernel_seconds?)
    }

    /// A label for reports: `managed 7 (OS 0x2f07) "name"`.
    pub fn label(&self) -> String {
        let mut s = match (self.managed_id, self.os_id) {
            (Some(m), Some(o)) => format!("thread {m} (OS {o:#x})"),
            (Some(m), None) => format!("thread {m}"),
            (None, Some(o)) => format!("OS thread {o:#x}"),
            (None, None) => "thread ?".into(),
        };
        if let Some(n) = &self.name {
            s.push_str(&format!(" \"{n}\""));
        }
        s
    }

    /// Managed methods of the stack, innermost first.
    pub fn methods(&self) -> impl Iterator<Item = &str> {
        self.frames.iter().filter_map(|f| f.method.as_deref())
    }

    /// The innermost application method on the stack.
    pub fn top_app_frame(&self) -> Option<&str> {
        self.methods().find(|m| !is_framework(m))
    }
}

/// Exceptions' stacks kept per exception.
const MAX_EXCEPTION_FRAMES: usize = 16;

/// Reads every thread of `dump` (managed facts when the runtime's threads were read).
pub fn collect(
    dump: &Dump,
    types: Option<&TypeSystem>,
    threads: Option<&Threads>,
) -> (Vec<ThreadFacts>, Option<String>) {
    let dump_time = dump.process().dump_time;
    let secs = |d: Option<std::time::Duration>| d.map(|d| d.as_secs_f64());
    let mut out: Vec<ThreadFacts> = dump
        .threads()
        .iter()
        .enumerate()
        .map(|(i, t)| ThreadFacts {
            index: Some(i),
            os_id: Some(t.id),
            managed_id: None,
            thread_obj: None,
            name: t.name.clone(),
            state: Vec::new(),
            special: Vec::new(),
            dead: false,
            lock_count: None,
            user_seconds: secs(t.user_time),
            kernel_seconds: secs(t.kernel_time),
            elapsed_seconds: match (t.create_time, dump_time) {
                (Some(c), Some(d)) => {
                    let s = (d.secs - c.secs) as f64 + (f64::from(d.nanos) - f64::from(c.nanos)) / 1e9;
                    (s >= 0.0).then_some(s)
                }
                _ => None,
            },
            frames: Vec::new(),
            stack_stopped: None,
            blocked: None,
            exception: None,
        })
        .collect();
    let (Some(types), Some(threads)) = (types, threads) else {
        return (out, Some("no managed threads: OS threads only".into()));
    };
    let methods = Methods::new(types);
    let objects = Objects::new(types);
    let exceptions = Exceptions::new(&objects, &methods);
    let code = CodeMap::new(&methods);
    let mut walker = StackWalker::new(&code);
    for mt in &threads.threads {
        let slot = match mt.dump_thread {
            Some(i) if i < out.len() => i,
            _ => {
                out.push(ThreadFacts {
                    index: None,
                    os_id: mt.os_id,
                    managed_id: None,
                    thread_obj: None,
                    name: None,
                    state: Vec::new(),
                    special: Vec::new(),
                    dead: true,
                    lock_count: None,
                    user_seconds: None,
                    kernel_seconds: None,
                    elapsed_seconds: None,
                    frames: Vec::new(),
                    stack_stopped: None,
                    blocked: None,
                    exception: None,
                });
                out.len() - 1
            }
        };
        let f = &mut out[slot];
        f.managed_id = mt.managed_id;
        f.thread_obj = Some(mt.address);
        if let Ok(Some(n)) = &mt.name {
            f.name = Some(n.clone());
        }
        f.state = mt.state.map(|s| s.names()).unwrap_or_default();
        f.special = mt.special.iter().map(|s| s.label().trim_matches(['(', ')']).to_string()).collect();
        f.dead = mt.is_dead() || mt.dump_thread.is_none();
        f.lock_count = mt.lock_count;
        if let Some(ex) = mt.last_thrown {
            f.exception = exception_fact(&exceptions, ex);
        }
        if let Some(rec) = mt.dump_thread.and_then(|i| dump.threads().get(i)) {
            let st = walker.walk(rec, mt.frame.map(|fr| (mt.address, fr)));
            f.stack_stopped = st.stopped.clone();
            f.frames = st.frames.iter().take(MAX_KEPT_FRAMES).map(frame_fact).collect();
            f.blocked = blocked(&f.frames);
        }
    }
    (out, None)
}

/// The exception at `address`, short.
pub fn exception_fact(exceptions: &Exceptions, address: u64) -> Option<ExceptionFact> {
    let e = exceptions.read(address).ok()?;
    let stack = match &e.stack_trace {
        Ok(Some(st)) => st
            .frames
            .iter()
            .take(MAX_EXCEPTION_FRAMES)
            .map(|f| match &f.method {
                Ok(m) => m.qualified.clone(),
                Err(why) => format!("<{why}>"),
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(ExceptionFact {
        address,
        type_name: e.type_name.clone(),
        message: e.message.clone().ok().flatten(),
        inner: e.inner.as_ref().map(|(_, t)| t.clone()),
        stack,
    })
}

fn frame_fact(f: &clr_stack::Frame) -> FrameFact {
    let (text, method) = match &f.kind {
        FrameKind::Managed { method: Ok(m), .. } => (m.display.clone(), Some(m.qualified.clone())),
        FrameKind::Managed { method: Err(why), start, .. } => {
            (format!("<unknown method at {start:#x}: {why}>"), None)
        }
        FrameKind::Explicit(e) => (format!("[{}: {:#x}]", e.label(), e.address), None),
        FrameKind::Native { module: Some(m), offset } => (format!("{m}!+{offset:#x}"), None),
        FrameKind::Native { module: None, offset } => (format!("<unknown code {offset:#x}>"), None),
    };
    FrameFact { sp: f.sp, ip: f.ip, text, method, certain: f.certain }
}

/// The blocking call of a stack: the innermost managed frame is one of the
/// BCL's blocking methods, or the stack starts in a runtime helper frame
/// (an FCALL such as `Monitor.Enter` has no managed frame of its own).
fn blocked(frames: &[FrameFact]) -> Option<Blocked> {
    let first_managed = frames.iter().position(|f| f.method.is_some())?;
    let m = frames[first_managed].method.as_deref()?;
    let app_frame = frames[first_managed..]
        .iter()
        .filter_map(|f| f.method.as_deref())
        .find(|m| !is_framework(m))
        .map(str::to_string);
    if let Some(wait) = classify(m) {
        return Some(Blocked { wait, method: m.to_string(), app_frame });
    }
    // A HelperMethodFrame above the first managed frame: an FCALL that blocks
    // (Monitor.Enter/Wait take an object: `_1OBJ`; Thread.Sleep inlined into
    // its caller on x86 2.1 shows a plain one). Which lock, `syncblk` says.
    let helper = frames[..first_managed].iter().find(|f| f.text.starts_with("[HelperMethodFrame"))?;
    Some(Blocked { wait: Wait::RuntimeHelper, method: helper.text.clone(), app_frame })
}

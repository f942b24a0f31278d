//! `clrscope pe DUMP [ADDR]`: an exception object, like SOS `!pe`.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{hex_ptr, jhex};
use clr_heap::types::TypeSystem;
use clr_stack::{ExceptionInfo, Exceptions, Methods, Objects, Threads};
use serde::Serialize;

/// What `pe` was asked to show.
pub struct Request {
    /// An exception object's address.
    pub address: Option<u64>,
    /// A managed thread id: its last thrown exception.
    pub thread: Option<u32>,
    /// Every thread's last thrown exception.
    pub all: bool,
    /// Show each inner exception in full too.
    pub nested: bool,
}

#[derive(Serialize)]
struct Frame {
    #[serde(serialize_with = "as_hex")]
    sp: u64,
    #[serde(serialize_with = "as_hex")]
    ip: u64,
    #[serde(serialize_with = "as_hex")]
    method_desc: u64,
    function: Option<String>,
    method: Option<String>,
    module: Option<String>,
    token: Option<String>,
    unresolved: Option<String>,
}

#[derive(Serialize)]
struct ThreadRef {
    managed_id: Option<u32>,
    os_id: Option<u32>,
}

#[derive(Serialize)]
struct Inner {
    #[serde(serialize_with = "as_hex")]
    address: u64,
    #[serde(rename = "type")]
    type_name: String,
}

#[derive(Serialize)]
struct Exception {
    #[serde(serialize_with = "as_hex")]
    address: u64,
    #[serde(rename = "type")]
    type_name: String,
    mt: String,
    message: Option<String>,
    message_error: Option<String>,
    inner: Option<Inner>,
    hresult: Option<i32>,
    hresult_hex: Option<String>,
    stack_trace: Vec<Frame>,
    stack_trace_error: Option<String>,
    stack_trace_string: Option<String>,
    remote_stack_trace_string: Option<String>,
    thread: Option<ThreadRef>,
    nested: Vec<Exception>,
}

#[derive(Serialize)]
struct Body {
    exceptions: Vec<Exception>,
}

/// Addresses in JSON are `"0x…"` strings (see the README), kept as numbers here for the text.
fn as_hex<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&jhex(*v))
}

/// Runs the command.
pub fn run(ctx: &Ctx, req: &Request) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let (objects, methods) = (Objects::new(&types), Methods::new(&types));
    let exceptions = Exceptions::new(&objects, &methods);
    // (exception address, the thread it was found on)
    let mut targets: Vec<(u64, Option<ThreadRef>)> = Vec::new();
    if let Some(a) = req.address {
        targets.push((a, None));
    } else {
        let threads = Threads::read(&types)?;
        let tref = |t: &clr_stack::ManagedThread| ThreadRef { managed_id: t.managed_id, os_id: t.os_id };
        if req.all {
            targets.extend(threads.threads.iter().filter_map(|t| Some((t.last_thrown?, Some(tref(t))))));
            if targets.is_empty() {
                return Err(CliError::NotFound("no managed thread holds a last thrown exception".into()));
            }
        } else {
            let th = match req.thread {
                Some(id) => threads
                    .by_managed_id(id)
                    .ok_or_else(|| CliError::NotFound(format!("no managed thread has id {id}")))?,
                None => {
                    let os = ctx.dump.exception().map(|e| e.thread_id).ok_or_else(|| {
                        CliError::NotFound(
                            "the dump records no faulting thread: give an exception address, --thread ID or --all"
                                .into(),
                        )
                    })?;
                    threads.by_os_id(os).ok_or_else(|| {
                        CliError::NotFound(format!("the faulting OS thread {os:#x} is not a managed thread"))
                    })?
                }
            };
            let ex = th.last_thrown.ok_or_else(|| {
                CliError::NotFound(format!(
                    "managed thread {} has no last thrown exception",
                    th.managed_id.map_or("?".into(), |v| v.to_string())
                ))
            })?;
            targets.push((ex, Some(tref(th))));
        }
    }
    let mut list = Vec::new();
    for (addr, thread) in targets {
        let chain = if req.nested { exceptions.chain(addr)? } else { vec![exceptions.read(addr)?] };
        let mut it = chain.iter().map(exception);
        if let Some(mut top) = it.next() {
            top.thread = thread;
            top.nested = it.collect();
            list.push(top);
        }
    }
    let body = Body { exceptions: list };
    ctx.finish("pe", &body, || {
        let p = ctx.ptr();
        let mut s = String::new();
        for (i, e) in body.exceptions.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            if let Some(t) = &e.thread {
                s.push_str(&format!(
                    "Thread {} (OS {}):\n",
                    t.managed_id.map_or("?".into(), |v| v.to_string()),
                    t.os_id.map_or("?".into(), |v| format!("{v:#x}"))
                ));
            }
            text(&mut s, e, p);
            for n in &e.nested {
                s.push_str(
                    "\nNested exception -------------------------------------------------------------\n",
                );
                text(&mut s, n, p);
            }
        }
        s
    })
}

fn exception(e: &ExceptionInfo) -> Exception {
    let (stack_trace, stack_trace_error) = match &e.stack_trace {
        Ok(st) => (st.iter().flat_map(|st| &st.frames).map(frame).collect(), None),
        Err(why) => (Vec::new(), Some(why.clone())),
    };
    Exception {
        address: e.address,
        type_name: e.type_name.clone(),
        mt: jhex(e.mt),
        message: e.message.clone().ok().flatten(),
        message_error: e.message.clone().err(),
        inner: e.inner.as_ref().map(|(a, t)| Inner { address: *a, type_name: t.clone() }),
        hresult: e.hresult,
        hresult_hex: e.hresult.map(|h| format!("0x{:08x}", h as u32)),
        stack_trace,
        stack_trace_error,
        stack_trace_string: e.stack_trace_string.clone(),
        remote_stack_trace_string: e.remote_stack_trace_string.clone(),
        thread: None,
        nested: Vec::new(),
    }
}

fn frame(f: &clr_stack::StackFrame) -> Frame {
    let m = f.method.as_ref().ok();
    Frame {
        sp: f.sp,
        ip: f.ip,
        method_desc: f.method_desc,
        function: m.map(|m| m.sos()),
        method: m.map(|m| m.qualified.clone()),
        module: m.map(|m| m.module.clone()),
        token: m.map(|m| format!("{:#010x}", m.token)),
        unresolved: f.method.as_ref().err().cloned(),
    }
}

fn text(s: &mut String, e: &Exception, p: usize) {
    let addr = |a: &u64| hex_ptr(*a, p);
    s.push_str(&format!("Exception object: {}\n", addr(&e.address)));
    s.push_str(&format!("Exception type:   {}\n", e.type_name));
    let msg = match (&e.message, &e.message_error) {
        (Some(m), _) => m.clone(),
        (None, Some(why)) => format!("<unreadable: {why}>"),
        (None, None) => "<none>".into(),
    };
    s.push_str(&format!("Message:          {msg}\n"));
    match &e.inner {
        Some(i) => s.push_str(&format!(
            "InnerException:   {}, Use `clrscope pe {}` to see more.\n",
            i.type_name,
            addr(&i.address)
        )),
        None => s.push_str("InnerException:   <none>\n"),
    }
    match (&e.stack_trace_error, e.stack_trace.is_empty()) {
        (Some(why), _) => s.push_str(&format!("StackTrace (generated): <unreadable: {why}>\n")),
        (None, true) => s.push_str("StackTrace (generated): <none>\n"),
        (None, false) => {
            s.push_str("StackTrace (generated):\n");
            let w = 2 * p;
            s.push_str(&format!("    {:<w$} {:<w$} Function\n", "SP", "IP"));
            for f in &e.stack_trace {
                let function = match (&f.function, &f.unresolved) {
                    (Some(name), _) => name.clone(),
                    (None, why) => format!(
                        "<unresolved MethodDesc {}: {}>",
                        addr(&f.method_desc),
                        why.as_deref().unwrap_or("?")
                    ),
                };
                s.push_str(&format!("    {} {} {function}\n", addr(&f.sp), addr(&f.ip)));
            }
        }
    }
    s.push_str(&format!("\nStackTraceString: {}\n", e.stack_trace_string.as_deref().unwrap_or("<none>")));
    s.push_str(&format!(
        "HResult: {}\n",
        e.hresult.map_or("<unknown>".into(), |h| format!("{:x}", h as u32))
    ));
}

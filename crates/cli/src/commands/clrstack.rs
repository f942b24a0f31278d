//! `clrscope clrstack DUMP [--thread ID | --all] [--args]`: managed stacks,
//! like SOS `!clrstack` (`~*e !clrstack` for `--all`).

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{hex_ptr, jhex};
use clr_heap::types::TypeSystem;
use clr_stack::stack::Found;
use clr_stack::{CodeMap, FrameKind, ManagedThread, Methods, StackWalker, Threads};
use serde::Serialize;

/// What `clrstack` was asked to show.
pub struct Request {
    /// A managed thread id.
    pub thread: Option<u32>,
    /// Every managed thread.
    pub all: bool,
    /// Show each managed frame's parameters.
    pub args: bool,
}

#[derive(Serialize)]
struct Row {
    sp: String,
    ip: Option<String>,
    kind: &'static str,
    call_site: String,
    method: Option<String>,
    module: Option<String>,
    method_desc: Option<String>,
    certain: bool,
    found: &'static str,
    note: Option<String>,
    parameters: Option<Vec<String>>,
}

#[derive(Serialize)]
struct ThreadRows {
    os_id: String,
    managed_id: Option<u32>,
    debugger_index: Option<usize>,
    stack: Option<[String; 2]>,
    frames: Vec<Row>,
    stopped: Option<String>,
}

#[derive(Serialize)]
struct Body {
    threads: Vec<ThreadRows>,
    frames_certain: usize,
    frames_marked: usize,
    argument_values: Option<&'static str>,
}

/// The managed threads `thread`/`all` select (alive ones: a dead thread has no stack).
pub fn select<'t>(
    ctx: &Ctx,
    threads: &'t Threads,
    thread: Option<u32>,
    all: bool,
) -> Result<Vec<&'t ManagedThread>, CliError> {
    let alive = || threads.threads.iter().filter(|t| t.dump_thread.is_some());
    if let Some(id) = thread {
        let t = threads
            .by_managed_id(id)
            .ok_or_else(|| CliError::NotFound(format!("no managed thread has id {id}")))?;
        if t.dump_thread.is_none() {
            return Err(CliError::NotFound(format!("managed thread {id} is dead: its stack is gone")));
        }
        return Ok(vec![t]);
    }
    let faulting = ctx.dump.exception().and_then(|e| threads.by_os_id(e.thread_id));
    match faulting {
        Some(t) if !all => Ok(vec![t]),
        _ => Ok(alive().collect()),
    }
}

fn found(f: Found) -> &'static str {
    match f {
        Found::Context => "registers",
        Found::Unwind => "unwind data",
        Found::FramePointer => "frame pointer",
        Found::RuntimeFrame => "runtime frame",
        Found::Scan => "scan",
    }
}

/// Runs the command.
pub fn run(ctx: &Ctx, req: &Request) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types)?;
    let methods = Methods::new(&types);
    let code = CodeMap::new(&methods);
    let mut walker = StackWalker::new(&code);
    // Native frames are named from the modules' symbols where the symbol path
    // (or, for ELF modules, the file at the recorded path) has them; offline.
    let locator = ctx.symbol_locator();
    let symbolizer = locator.as_ref().map(|l| symbols::Symbolizer::new(ctx.dump.modules(), l));
    let p = ctx.ptr();
    let mut out = Vec::new();
    let (mut certain, mut marked) = (0, 0);
    for t in select(ctx, &threads, req.thread, req.all)? {
        let Some(rec) = t.dump_thread.and_then(|i| ctx.dump.threads().get(i)) else { continue };
        let st = walker.walk(rec, t.frame.map(|f| (t.address, f)));
        let mut rows = Vec::new();
        for f in &st.frames {
            let (kind, call_site, method, module, md, params) = match &f.kind {
                FrameKind::Managed { method: Ok(m), .. } => {
                    let params = req.args.then(|| {
                        clr_stack::params::parameter_names(&types, m)
                            .unwrap_or_else(|e| vec![format!("<{e}>")])
                    });
                    let md = (m.method_desc != 0).then(|| jhex(m.method_desc));
                    (
                        "managed",
                        m.display.clone(),
                        Some(m.qualified.clone()),
                        Some(m.module.clone()),
                        md,
                        params,
                    )
                }
                FrameKind::Managed { method: Err(why), start, .. } => {
                    ("managed", format!("<unknown method at {start:#x}: {why}>"), None, None, None, None)
                }
                FrameKind::Explicit(e) => (
                    "runtime_frame",
                    format!("[{}: {}]", e.label(), hex_ptr(e.address, p)),
                    None,
                    None,
                    None,
                    None,
                ),
                FrameKind::Native { module: Some(m), offset } => {
                    let named = symbolizer
                        .as_ref()
                        .and_then(|sy| sy.symbolize(f.ip))
                        .filter(|sy| sy.function.is_some());
                    let site = named.map(|sy| sy.to_string()).unwrap_or_else(|| format!("{m}!+{offset:#x}"));
                    ("native", site, None, Some(m.clone()), None, None)
                }
                FrameKind::Native { module: None, offset } => {
                    ("native", format!("<unknown code {offset:#x}>"), None, None, None, None)
                }
            };
            if f.certain {
                certain += 1;
            } else {
                marked += 1;
            }
            rows.push(Row {
                sp: jhex(f.sp),
                ip: (f.ip != 0).then(|| jhex(f.ip)),
                kind,
                call_site,
                method,
                module,
                method_desc: md,
                certain: f.certain,
                found: found(f.found),
                note: f.note.clone(),
                parameters: params,
            });
        }
        out.push(ThreadRows {
            os_id: format!("{:#x}", rec.id),
            managed_id: t.managed_id,
            debugger_index: t.dump_thread,
            stack: (st.range.1 > 0).then(|| [jhex(st.range.0), jhex(st.range.1)]),
            frames: rows,
            stopped: st.stopped,
        });
    }
    for c in code.diagnostics().failures().chain(walker.frame_types.diagnostics.failures()).take(5) {
        ctx.warn(format!("{}: {}", c.name, c.detail));
    }
    let body = Body {
        threads: out,
        frames_certain: certain,
        frames_marked: marked,
        argument_values: req.args.then_some(clr_stack::params::VALUES_UNKNOWN),
    };
    ctx.finish("clrstack", &body, || text(&body, p))
}

fn text(body: &Body, p: usize) -> String {
    let w = p * 2;
    let mut s = String::new();
    for t in &body.threads {
        s.push_str(&format!(
            "OS Thread Id: {} ({})\n",
            t.os_id,
            t.debugger_index.map_or("?".into(), |i| i.to_string())
        ));
        s.push_str(&format!("{:>w$} {:>w$} Call Site\n", "Child SP", "IP"));
        for r in &t.frames {
            let num = |v: &str| u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap_or(0);
            let ip = r.ip.as_deref().map_or(hex_ptr(0, p), |v| hex_ptr(num(v), p));
            let mark = if r.certain { "" } else { "(?) " };
            s.push_str(&format!("{} {} {mark}{}\n", hex_ptr(num(&r.sp), p), ip, r.call_site));
            if let Some(params) = &r.parameters {
                s.push_str("    PARAMETERS:\n");
                if params.is_empty() {
                    s.push_str("        (none)\n");
                }
                for n in params {
                    s.push_str(&format!("        {n} = <unknown>\n"));
                }
            }
        }
        if let Some(why) = &t.stopped {
            s.push_str(&format!("(walk stopped: {why})\n"));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "{} frames certain, {} marked (?) — found by scanning or derived from a scanned frame\n",
        body.frames_certain, body.frames_marked
    ));
    if let Some(why) = body.argument_values {
        s.push_str(&format!("Parameters: {why}\n"));
    }
    s
}

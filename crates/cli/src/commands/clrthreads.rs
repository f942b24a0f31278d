//! `clrscope threads DUMP`: the managed threads, like SOS `!threads`.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use clr_heap::types::TypeSystem;
use clr_stack::{ManagedThread, Threads};
use serde::Serialize;

#[derive(Serialize)]
struct Counts {
    thread_count: i32,
    unstarted: i32,
    background: i32,
    pending: i32,
    dead: i32,
}

#[derive(Serialize)]
struct Exception {
    address: String,
    #[serde(rename = "type")]
    type_name: Option<String>,
}

#[derive(Serialize)]
struct Thread {
    dbg: Option<usize>,
    managed_id: Option<u32>,
    os_id: Option<u32>,
    thread_obj: String,
    state: Option<u32>,
    state_names: Vec<String>,
    gc_mode: Option<&'static str>,
    alloc_ptr: Option<String>,
    alloc_limit: Option<String>,
    lock_count: Option<u32>,
    apartment: Option<&'static str>,
    dead: bool,
    thread_object: Option<String>,
    name: Option<String>,
    last_thrown_exception: Option<Exception>,
    special: Vec<&'static str>,
}

#[derive(Serialize)]
struct Check {
    name: String,
    passed: bool,
    detail: String,
}

#[derive(Serialize)]
struct Body {
    counts: Counts,
    hosted_runtime: bool,
    domain: Option<String>,
    thread_store: String,
    threads: Vec<Thread>,
    /// Offsets of the native `Thread` proven on this dump (`null`: not proven).
    layout: std::collections::BTreeMap<&'static str, Option<String>>,
    /// Every calibration check behind the answer.
    checks: Vec<Check>,
}

/// Runs the command.
pub fn run(ctx: &Ctx) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types)?;
    for c in threads.diagnostics.failures() {
        ctx.warn(format!("thread layout check failed: {} ({})", c.name, c.detail));
    }
    let windows = ctx.dump.system().os == dump_format::model::OsFamily::Windows;
    let type_of = |obj: u64| types.object_mt(obj).and_then(|mt| types.type_name(mt)).ok();
    let rows: Vec<Thread> = threads.threads.iter().map(|t| row(t, windows, &type_of)).collect();
    let c = threads.counts();
    let body = Body {
        counts: Counts {
            thread_count: c.thread_count,
            unstarted: c.unstarted,
            background: c.background,
            pending: c.pending,
            dead: c.dead,
        },
        hosted_runtime: false,
        domain: threads.domain.map(jhex),
        thread_store: jhex(threads.store.address),
        threads: rows,
        layout: layout(&threads.layout),
        checks: threads
            .diagnostics
            .checks
            .iter()
            .map(|c| Check { name: c.name.clone(), passed: c.passed, detail: c.detail.clone() })
            .collect(),
    };
    ctx.finish("threads", &body, || text(&body, &threads, ctx.ptr()))
}

fn layout(l: &clr_stack::ThreadLayout) -> std::collections::BTreeMap<&'static str, Option<String>> {
    let hex = |o: Option<u64>| o.map(|v| format!("{v:#x}"));
    [
        ("m_Link", Some(l.link)),
        ("m_State", l.state),
        ("m_fPreemptiveGCDisabled", l.preemptive_disabled),
        ("m_pFrame", l.frame),
        ("m_dwLockCount", l.lock_count),
        ("m_ThreadId", l.thread_id),
        ("m_OSThreadId", l.os_id),
        ("m_ExposedObject", l.exposed),
        ("m_LastThrownObjectHandle", l.last_thrown),
        ("m_alloc_context", l.alloc_context),
    ]
    .into_iter()
    .map(|(k, v)| (k, hex(v)))
    .collect()
}

fn row(t: &ManagedThread, windows: bool, type_of: &dyn Fn(u64) -> Option<String>) -> Thread {
    Thread {
        dbg: t.dump_thread,
        managed_id: t.managed_id,
        os_id: t.os_id,
        thread_obj: jhex(t.address),
        state: t.state.map(|s| s.0),
        state_names: t.state.map(|s| s.names()).unwrap_or_default(),
        gc_mode: t.cooperative.map(|c| if c { "Cooperative" } else { "Preemptive" }),
        alloc_ptr: t.alloc_context.map(|a| jhex(a.0)),
        alloc_limit: t.alloc_context.map(|a| jhex(a.1)),
        lock_count: t.lock_count,
        // COM apartments exist on Windows only.
        apartment: if windows { t.state.map(|s| s.apartment()) } else { None },
        dead: t.is_dead(),
        thread_object: t.thread_object.map(jhex),
        name: t.name.clone().ok().flatten(),
        last_thrown_exception: t.last_thrown.map(|a| Exception { address: jhex(a), type_name: type_of(a) }),
        special: t.special.iter().map(|s| s.label()).collect(),
    }
}

fn text(body: &Body, threads: &Threads, p: usize) -> String {
    let c = &body.counts;
    let mut s = format!(
        "ThreadCount:      {}\nUnstartedThread:  {}\nBackgroundThread: {}\nPendingThread:    {}\nDeadThread:       {}\nHosted Runtime:   no\n",
        c.thread_count, c.unstarted, c.background, c.pending, c.dead
    );
    let mut t = Table::new(&[
        ">DBG",
        ">ID",
        ">OSID",
        "ThreadOBJ",
        ">State",
        "GC Mode",
        "GC Alloc Context",
        "Domain",
        ">Lock Count",
        "Apt",
        "Exception",
        "Name",
    ]);
    let q = "?".to_string();
    for (r, th) in body.threads.iter().zip(&threads.threads) {
        let mut exception = match &r.last_thrown_exception {
            Some(e) => format!(
                "{} {}",
                e.type_name.as_deref().unwrap_or("?"),
                hex_ptr(th.last_thrown.unwrap_or(0), p)
            ),
            None => String::new(),
        };
        for sp in &r.special {
            exception = format!("{exception} {sp}").trim_start().to_string();
        }
        t.row(vec![
            if r.dead { "XXXX".into() } else { r.dbg.map_or("XXXX".into(), |d| d.to_string()) },
            r.managed_id.map_or(q.clone(), |v| v.to_string()),
            match (r.dead, r.os_id) {
                (true, _) => "0".into(),
                (false, Some(id)) => format!("{id:x}"),
                (false, None) => q.clone(),
            },
            hex_ptr(th.address, p),
            r.state.map_or(q.clone(), |v| format!("{v:x}")),
            r.gc_mode.unwrap_or("?").to_string(),
            th.alloc_context.map_or(q.clone(), |(a, l)| format!("{}:{}", hex_ptr(a, p), hex_ptr(l, p))),
            threads.domain.map_or(q.clone(), |d| hex_ptr(d, p)),
            r.lock_count.map_or(q.clone(), |v| v.to_string()),
            r.apartment.unwrap_or("Ukn").to_string(),
            exception,
            r.name.clone().unwrap_or_default(),
        ]);
    }
    s.push_str(&t.render());
    s
}

//! `clrscope syncblk DUMP [--all]`: monitors, like SOS `!syncblk` (`Index
//! SyncBlock MonitorHeld Recursion Owning Thread Info SyncBlock Owner`; held
//! ones by default, `--all` every block in use), then deadlocks: cycles of
//! threads each waiting to enter a monitor the next one owns.

use super::Ctx;
use super::names::Namer;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use clr_heap::roots::HeapIndex;
use clr_heap::types::TypeSystem;
use clr_stack::Threads;
use clr_stack::monitors::Monitors;
use serde::Serialize;

/// How waiters are found (printed and in JSON, so nobody takes it for the runtime's own list).
const WAITERS_HOW: &str = "owners from AwareLock.m_HoldingThread (proven against the thread list); \
waiters are threads other than the owner with the monitor's SyncBlock address on their active stack \
(enter: the monitor is owned and counts waiters; otherwise Monitor.Wait)";

#[derive(Serialize, Clone)]
struct ThreadRef {
    os_id: Option<String>,
    managed_id: Option<u32>,
    thread_obj: String,
}

#[derive(Serialize)]
struct Block {
    index: u32,
    sync_block: String,
    monitor_held: u32,
    recursion: u32,
    owner: Option<ThreadRef>,
    holding_thread: String,
    object: String,
    #[serde(rename = "type")]
    type_name: String,
    enter_waiters: Vec<ThreadRef>,
    wait_waiters: Vec<ThreadRef>,
}

#[derive(Serialize)]
struct Wait {
    thread: ThreadRef,
    waits_for: String,
    waits_for_type: String,
    owned_by: Option<ThreadRef>,
}

#[derive(Serialize)]
struct Body {
    blocks: Vec<Block>,
    in_use: usize,
    free: u64,
    deadlocks: Vec<Vec<Wait>>,
    waiters_method: &'static str,
}

/// Runs the command.
pub fn run(ctx: &Ctx, all: bool) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types)?;
    let index = HeapIndex::build(&rt, &mut rt.mt_cache())?;
    let monitors = Monitors::read(&rt, &threads, &index).map_err(CliError::NotFound)?;
    for c in monitors.diagnostics.failures() {
        ctx.warn(format!(
            "sync block check failed: {} ({}); owners and deadlocks not shown",
            c.name, c.detail
        ));
    }
    let mut namer = Namer::new(&rt);
    let tref = |i: usize| {
        threads.threads.get(i).map(|t| ThreadRef {
            os_id: t.os_id.map(|o| format!("{o:#x}")),
            managed_id: t.managed_id,
            thread_obj: jhex(t.address),
        })
    };
    let mut type_of = |obj: u64| types.object_mt(obj).map_or_else(|e| format!("<{e}>"), |mt| namer.name(mt));
    let blocks: Vec<Block> = monitors
        .monitors
        .iter()
        .filter(|m| all || m.block.monitor_held() > 0 || !m.wait_waiters.is_empty())
        .map(|m| Block {
            index: m.block.index,
            sync_block: jhex(m.block.address),
            monitor_held: m.block.monitor_held(),
            recursion: m.block.recursion,
            owner: m.owner.and_then(tref),
            holding_thread: jhex(m.block.holding_thread),
            object: jhex(m.block.object),
            type_name: type_of(m.block.object),
            enter_waiters: m.enter_waiters.iter().filter_map(|&t| tref(t)).collect(),
            wait_waiters: m.wait_waiters.iter().filter_map(|&t| tref(t)).collect(),
        })
        .collect();
    let deadlocks = monitors
        .deadlocks
        .iter()
        .map(|d| {
            d.edges
                .iter()
                .filter_map(|&(t, m)| {
                    let mon = monitors.monitors.get(m)?;
                    Some(Wait {
                        thread: tref(t)?,
                        waits_for: jhex(mon.block.object),
                        waits_for_type: type_of(mon.block.object),
                        owned_by: mon.owner.and_then(tref),
                    })
                })
                .collect()
        })
        .collect();
    let body = Body {
        blocks,
        in_use: monitors.monitors.len(),
        free: monitors.free_entries,
        deadlocks,
        waiters_method: WAITERS_HOW,
    };
    ctx.finish("syncblk", &body, || render(ctx.ptr(), &body))
}

fn render(p: usize, b: &Body) -> String {
    let hex = |s: &str| hex_ptr(u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0), p);
    let who = |t: &ThreadRef| {
        format!(
            "thread {} (OS {})",
            t.managed_id.map_or("?".into(), |m| m.to_string()),
            t.os_id.as_deref().unwrap_or("?")
        )
    };
    let mut s = String::new();
    let mut t = Table::new(&[
        ">Index",
        ">SyncBlock",
        ">MonitorHeld",
        ">Recursion",
        "Owning Thread Info",
        "",
        "",
        "SyncBlock Owner",
    ]);
    for k in &b.blocks {
        let (obj, os, id) = match &k.owner {
            Some(o) => (
                hex(&o.thread_obj),
                o.os_id.as_deref().unwrap_or("?").trim_start_matches("0x").to_string(),
                o.managed_id.map(|m| m.to_string()).unwrap_or_default(),
            ),
            None => ("none".into(), String::new(), String::new()),
        };
        t.row(vec![
            k.index.to_string(),
            hex(&k.sync_block),
            k.monitor_held.to_string(),
            k.recursion.to_string(),
            obj,
            os,
            id,
            format!("{} {}", hex(&k.object), k.type_name),
        ]);
    }
    s.push_str(&t.render());
    s.push_str(&format!(
        "-----------------------------\nTotal           {}\nFree            {}\n",
        b.in_use, b.free
    ));
    for k in b.blocks.iter().filter(|k| !k.enter_waiters.is_empty() || !k.wait_waiters.is_empty()) {
        let list = |v: &[ThreadRef]| v.iter().map(who).collect::<Vec<_>>().join(", ");
        s.push_str(&format!("\nSyncBlock {} ({}):", k.index, hex(&k.object)));
        if !k.enter_waiters.is_empty() {
            s.push_str(&format!(" waiting to enter: {}", list(&k.enter_waiters)));
        }
        if !k.wait_waiters.is_empty() {
            s.push_str(&format!(" in Monitor.Wait: {}", list(&k.wait_waiters)));
        }
    }
    if !b.blocks.is_empty() {
        s.push('\n');
    }
    for (i, d) in b.deadlocks.iter().enumerate() {
        s.push_str(&format!("\nDeadlock {} ({} threads):\n", i + 1, d.len()));
        for w in d {
            s.push_str(&format!(
                "    {} waits for {} {}, owned by {}\n",
                who(&w.thread),
                hex(&w.waits_for),
                w.waits_for_type,
                w.owned_by.as_ref().map_or("?".into(), who)
            ));
        }
    }
    if b.deadlocks.is_empty() {
        s.push_str("\nNo deadlock found.\n");
    }
    s.push_str(&format!("({WAITERS_HOW})\n"));
    s
}

//! `clrscope threads --native`: the OS threads of the dump (without
//! `--native`, the managed view in `clrthreads.rs`).

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex, windbg_duration};
use serde::Serialize;

#[derive(Serialize)]
struct Thread {
    index: usize,
    id: u32,
    name: Option<String>,
    user_time_seconds: Option<f64>,
    kernel_time_seconds: Option<f64>,
    create_time: Option<String>,
    stack_start: Option<String>,
    stack_size: Option<u64>,
    ip: Option<String>,
    sp: Option<String>,
    teb: Option<String>,
    suspend_count: Option<u32>,
    priority: Option<i32>,
    context_note: Option<String>,
}

#[derive(Serialize)]
struct Body {
    threads: Vec<Thread>,
}

/// Runs the command.
pub fn run(ctx: &Ctx, native: bool) -> Result<ExitCode, CliError> {
    if !native {
        return super::clrthreads::run(ctx);
    }
    let threads: Vec<Thread> = ctx
        .dump
        .threads()
        .iter()
        .enumerate()
        .map(|(index, t)| Thread {
            index,
            id: t.id,
            name: t.name.clone(),
            user_time_seconds: t.user_time.map(|d| d.as_secs_f64()),
            kernel_time_seconds: t.kernel_time.map(|d| d.as_secs_f64()),
            create_time: t.create_time.map(|c| c.to_rfc3339()),
            stack_start: t.stack.map(|s| jhex(s.0)),
            stack_size: t.stack.map(|s| s.1),
            ip: t.context.map(|c| jhex(c.instruction_pointer())),
            sp: t.context.map(|c| jhex(c.stack_pointer())),
            teb: t.teb.map(jhex),
            suspend_count: t.suspend_count,
            priority: t.priority,
            context_note: t.context_note.clone(),
        })
        .collect();
    let body = Body { threads };
    ctx.finish("threads", &body, || {
        let p = ctx.ptr();
        let mut t = Table::new(&[">#", ">OSID", "Name", ">User", ">Kernel", "Stack", "IP", "SP", "TEB"]);
        let dash = || "-".to_string();
        for (th, rec) in body.threads.iter().zip(ctx.dump.threads()) {
            t.row(vec![
                th.index.to_string(),
                format!("{:#x}", th.id),
                th.name.clone().unwrap_or_default(),
                rec.user_time.map(windbg_duration).unwrap_or_else(dash),
                rec.kernel_time.map(windbg_duration).unwrap_or_else(dash),
                rec.stack
                    .map(|(s, n)| format!("{}-{}", hex_ptr(s, p), hex_ptr(s.saturating_add(n), p)))
                    .unwrap_or_else(dash),
                rec.context.map(|c| hex_ptr(c.instruction_pointer(), p)).unwrap_or_else(|| {
                    rec.context_note.clone().map(|n| format!("({n})")).unwrap_or_else(dash)
                }),
                rec.context.map(|c| hex_ptr(c.stack_pointer(), p)).unwrap_or_else(dash),
                rec.teb.map(|v| hex_ptr(v, p)).unwrap_or_else(dash),
            ]);
        }
        t.render()
    })
}

//! `clrscope runaway`: threads by CPU time, like WinDbg's `!runaway 7`.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::windbg_duration;
use serde::Serialize;
use std::time::Duration;

#[derive(Serialize)]
struct Row {
    index: usize,
    id: u32,
    seconds: f64,
}

#[derive(Serialize)]
struct Body {
    user: Vec<Row>,
    kernel: Vec<Row>,
    elapsed: Vec<Row>,
}

/// Runs the command.
pub fn run(ctx: &Ctx) -> Result<ExitCode, CliError> {
    let threads = ctx.dump.threads();
    let dump_time = ctx.dump.process().dump_time;
    let section = |f: &dyn Fn(&dump_format::ThreadRecord) -> Option<Duration>| {
        let mut rows: Vec<(usize, u32, Duration)> =
            threads.iter().enumerate().filter_map(|(i, t)| f(t).map(|d| (i, t.id, d))).collect();
        // Busiest first; ties keep the dump's thread order, as WinDbg does.
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        rows
    };
    let user = section(&|t| t.user_time);
    let kernel = section(&|t| t.kernel_time);
    let elapsed = section(&|t| {
        let (c, d) = (t.create_time?, dump_time?);
        let secs = (d.secs - c.secs) as f64 + (f64::from(d.nanos) - f64::from(c.nanos)) / 1e9;
        (secs >= 0.0).then(|| Duration::from_secs_f64(secs))
    });
    if user.is_empty() && kernel.is_empty() && elapsed.is_empty() {
        return Err(CliError::NotFound(
            "the dump records no thread times (a MINIDUMP needs the ThreadInfoList stream)".into(),
        ));
    }
    let to_rows = |v: &[(usize, u32, Duration)]| {
        v.iter().map(|(i, id, d)| Row { index: *i, id: *id, seconds: d.as_secs_f64() }).collect()
    };
    let body = Body { user: to_rows(&user), kernel: to_rows(&kernel), elapsed: to_rows(&elapsed) };
    ctx.finish("runaway", &body, || {
        let mut s = String::new();
        for (title, rows) in
            [("User Mode Time", &user), ("Kernel Mode Time", &kernel), ("Elapsed Time", &elapsed)]
        {
            s.push_str(&format!(" {title}\n  Thread       Time\n"));
            if rows.is_empty() {
                s.push_str("   (not recorded in this dump)\n");
            }
            for (i, id, d) in rows.iter() {
                s.push_str(&format!("   {:<11} {}\n", format!("{i}:{id:x}"), windbg_duration(*d)));
            }
        }
        s
    })
}

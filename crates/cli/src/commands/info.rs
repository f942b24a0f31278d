//! `clrscope info`: what the dump is and what it holds.

use super::Ctx;
use super::exception::code_name;
use crate::exit::{CliError, ExitCode};
use crate::output::{human_size, windbg_duration};
use dump_format::model::UnixTime;
use serde::Serialize;

#[derive(Serialize)]
struct Os {
    family: String,
    version: Option<String>,
    detail: Option<String>,
}

#[derive(Serialize)]
struct Process {
    pid: Option<u32>,
    name: Option<String>,
    command_line: Option<String>,
    create_time: Option<String>,
    dump_time: Option<String>,
    uptime_seconds: Option<f64>,
    user_time_seconds: Option<f64>,
    kernel_time_seconds: Option<f64>,
}

#[derive(Serialize)]
struct Counts {
    threads: usize,
    modules: usize,
    unloaded_modules: usize,
    memory_ranges: usize,
    captured_bytes: u64,
    memory_map_regions: usize,
    handles: usize,
}

#[derive(Serialize)]
struct Exception {
    code: String,
    name: Option<&'static str>,
    thread_id: u32,
}

#[derive(Serialize)]
struct Stream {
    #[serde(rename = "type")]
    kind: u32,
    name: String,
    size: u64,
    offset: u64,
}

#[derive(Serialize)]
struct Body {
    container: &'static str,
    file_size: u64,
    arch: String,
    wow64: bool,
    os: Os,
    cpu_count: Option<u32>,
    process: Process,
    counts: Counts,
    exception: Option<Exception>,
    streams: Vec<Stream>,
    comments: Vec<String>,
}

fn secs(t: UnixTime) -> f64 {
    t.secs as f64 + f64::from(t.nanos) / 1e9
}

/// Runs the command.
pub fn run(ctx: &Ctx) -> Result<ExitCode, CliError> {
    let d = ctx.dump;
    let sys = d.system();
    let p = d.process();
    let mem = d.memory();
    // A MINIDUMP has no process-name field: the first module is the executable.
    let name = p.name.clone().or_else(|| d.modules().first().map(|m| m.file_name().to_string()));
    let uptime = match (p.create_time, p.dump_time) {
        (Some(c), Some(t)) if t >= c => Some(secs(t) - secs(c)),
        _ => None,
    };
    let body = Body {
        container: d.format().name(),
        file_size: d.bytes().len() as u64,
        arch: sys.arch.name(),
        wow64: sys.wow64,
        os: Os { family: sys.os.name(), version: sys.os_version.clone(), detail: sys.os_detail.clone() },
        cpu_count: sys.cpu_count,
        process: Process {
            pid: p.pid,
            name,
            command_line: p.command_line.clone(),
            create_time: p.create_time.map(|t| t.to_rfc3339()),
            dump_time: p.dump_time.map(|t| t.to_rfc3339()),
            uptime_seconds: uptime,
            user_time_seconds: p.user_time.map(|t| t.as_secs_f64()),
            kernel_time_seconds: p.kernel_time.map(|t| t.as_secs_f64()),
        },
        counts: Counts {
            threads: d.threads().len(),
            modules: d.modules().len(),
            unloaded_modules: d.unloaded_modules().len(),
            memory_ranges: mem.regions().len(),
            captured_bytes: mem.captured_bytes(),
            memory_map_regions: d.regions().len(),
            handles: d.handles().len(),
        },
        exception: d.exception().map(|e| Exception {
            code: format!("{:#010x}", e.code),
            name: code_name(&sys.os, e.code),
            thread_id: e.thread_id,
        }),
        streams: d
            .streams()
            .iter()
            .map(|s| Stream { kind: s.kind, name: s.name.clone(), size: s.size, offset: s.offset })
            .collect(),
        comments: d.comments().to_vec(),
    };
    ctx.finish("info", &body, || render(&body))
}

fn render(b: &Body) -> String {
    let mut s = String::new();
    let mut kv = |k: &str, v: String| s.push_str(&format!("{k:<16}{v}\n"));
    kv("Container:", format!("{} ({} bytes)", b.container, b.file_size));
    kv("Architecture:", if b.wow64 { format!("{} (WOW64)", b.arch) } else { b.arch.clone() });
    let mut os = b.os.family.clone();
    for part in [&b.os.version, &b.os.detail].into_iter().flatten() {
        os.push(' ');
        os.push_str(part);
    }
    kv("OS:", os);
    kv("Processors:", opt(b.cpu_count));
    let pr = &b.process;
    kv("Process:", format!("{} (pid {})", pr.name.as_deref().unwrap_or("unknown"), opt(pr.pid)));
    if let Some(c) = &pr.command_line {
        kv("Command line:", c.clone());
    }
    kv("Dump time:", pr.dump_time.clone().unwrap_or_else(|| "unknown".into()));
    kv("Process start:", pr.create_time.clone().unwrap_or_else(|| "unknown".into()));
    kv("Up time:", pr.uptime_seconds.map(dur).unwrap_or_else(|| "unknown".into()));
    kv("User time:", pr.user_time_seconds.map(dur).unwrap_or_else(|| "unknown".into()));
    kv("Kernel time:", pr.kernel_time_seconds.map(dur).unwrap_or_else(|| "unknown".into()));
    let c = &b.counts;
    kv("Threads:", c.threads.to_string());
    kv("Modules:", format!("{} ({} unloaded)", c.modules, c.unloaded_modules));
    kv(
        "Memory:",
        format!(
            "{} captured ranges, {} ({} bytes)",
            c.memory_ranges,
            human_size(c.captured_bytes),
            c.captured_bytes
        ),
    );
    kv(
        "Memory map:",
        if c.memory_map_regions > 0 { format!("{} regions", c.memory_map_regions) } else { "none".into() },
    );
    kv("Handles:", c.handles.to_string());
    kv(
        "Exception:",
        match &b.exception {
            Some(e) => format!(
                "{} {}on thread {:#x}",
                e.code,
                e.name.map(|n| format!("{n} ")).unwrap_or_default(),
                e.thread_id
            ),
            None => "none".into(),
        },
    );
    for c in &b.comments {
        kv("Comment:", c.clone());
    }
    s.push_str("\nStreams:\n");
    let mut t = crate::output::Table::new(&["  Type", "Name", ">Size", ">Offset"]);
    for st in &b.streams {
        t.row(vec![
            format!("  {:#x}", st.kind),
            st.name.clone(),
            st.size.to_string(),
            format!("{:#x}", st.offset),
        ]);
    }
    s.push_str(&t.render());
    s
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "unknown".into())
}

fn dur(secs: f64) -> String {
    windbg_duration(std::time::Duration::from_secs_f64(secs.max(0.0)))
}

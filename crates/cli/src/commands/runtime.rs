//! `clrscope runtime`: which .NET runtime, how it was found, and (with
//! `--diagnostics`) every check the model ran on this dump.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, jhex};
use serde::Serialize;

#[derive(Serialize)]
struct Check {
    name: String,
    passed: bool,
    detail: String,
}

#[derive(Serialize)]
struct Offset {
    name: &'static str,
    value: u64,
    source: &'static str,
}

#[derive(Serialize)]
struct Body {
    flavor: &'static str,
    product: String,
    file_version: Option<String>,
    commit: Option<String>,
    version_source: &'static str,
    module: String,
    module_base: String,
    layout_family: &'static str,
    pointer_kind: &'static str,
    gc_mode: Option<&'static str>,
    heaps: Option<usize>,
    segments: Option<usize>,
    heap_error: Option<String>,
    globals_found: usize,
    findings: Vec<(String, String)>,
    checks: Option<Vec<Check>>,
    layout: Option<Vec<Offset>>,
}

/// Runs the command.
pub fn run(ctx: &Ctx, diagnostics: bool) -> Result<ExitCode, CliError> {
    // Identify the runtime even when the model cannot be built on this dump:
    // which runtime it is, and precisely why nothing more can be read.
    let module = clr_heap::runtime::find_runtime(ctx.dump)?;
    let mut rt = match clr_heap::Runtime::open(ctx.dump, &ctx.opts.clr) {
        Ok(rt) => rt,
        Err(e) => return identify_only(ctx, &module, &e),
    };
    if diagnostics {
        rt.deep_check();
    }
    let failed = rt.diagnostics.failures().count();
    if failed > 0 && !diagnostics {
        ctx.warn(format!("{failed} runtime checks failed; see `clrscope runtime --diagnostics`"));
    }
    let heap = rt.heap.as_ref().ok();
    let d = &rt.diagnostics;
    let body = Body {
        flavor: rt.module.flavor.name(),
        product: rt.module.product(),
        file_version: rt.module.file_version.map(|v| v.to_string()),
        commit: rt.module.commit.clone(),
        version_source: rt.module.version_source,
        module: rt.module.module.path.clone(),
        module_base: jhex(rt.module.module.base),
        layout_family: rt.family.name(),
        pointer_kind: if rt.layout.relative { "self-relative" } else { "plain" },
        gc_mode: heap.map(|h| if h.server { "server" } else { "workstation" }),
        heaps: heap.map(|h| h.heaps.len()),
        segments: heap.map(|h| h.segments.len()),
        heap_error: rt.heap.as_ref().err().cloned(),
        globals_found: rt.globals.len(),
        findings: d.findings.iter().map(|f| (f.what.clone(), f.how.clone())).collect(),
        checks: diagnostics.then(|| {
            d.checks
                .iter()
                .map(|c| Check { name: c.name.clone(), passed: c.passed, detail: c.detail.clone() })
                .collect()
        }),
        layout: diagnostics.then(|| {
            rt.layout
                .describe()
                .into_iter()
                .map(|(name, value, source)| Offset { name, value, source })
                .collect()
        }),
    };
    ctx.finish("runtime", &body, || render(&body))
}

fn render(b: &Body) -> String {
    let mut s = String::new();
    let mut kv = |k: &str, v: String| s.push_str(&format!("{k:<16}{v}\n"));
    kv("Runtime:", format!("{} {}", b.flavor, b.product));
    kv(
        "File version:",
        format!("{} (from {})", b.file_version.clone().unwrap_or_else(|| "unknown".into()), b.version_source),
    );
    if let Some(c) = &b.commit {
        kv("Commit:", c.clone());
    }
    kv("Module:", format!("{} at {}", b.module, b.module_base));
    kv("Layout:", format!("{}, {} pointers", b.layout_family, b.pointer_kind));
    match (&b.gc_mode, &b.heap_error) {
        (Some(m), _) => kv(
            "GC:",
            format!("{m}, {} heap(s), {} segment(s)", b.heaps.unwrap_or(0), b.segments.unwrap_or(0)),
        ),
        (None, Some(e)) => kv("GC:", format!("not readable: {e}")),
        _ => kv("GC:", "unknown".into()),
    }
    kv("Globals:", format!("{} runtime variables located", b.globals_found));
    s.push_str("\nFound:\n");
    for (what, how) in &b.findings {
        s.push_str(&format!("  {what}  [{how}]\n"));
    }
    if let Some(checks) = &b.checks {
        s.push_str("\nChecks:\n");
        let mut t = Table::new(&["  Result", "Check", "Detail"]);
        for c in checks {
            t.row(vec![
                format!("  {}", if c.passed { "ok" } else { "FAILED" }),
                c.name.clone(),
                c.detail.clone(),
            ]);
        }
        s.push_str(&t.render());
    }
    if let Some(layout) = &b.layout {
        s.push_str("\nLayout offsets (candidates, validated by the checks above):\n");
        let mut t = Table::new(&["  Field", ">Offset", "Source"]);
        for o in layout {
            t.row(vec![format!("  {}", o.name), format!("{:#x}", o.value), o.source.to_string()]);
        }
        s.push_str(&t.render());
    }
    s
}

#[derive(Serialize)]
struct Identity {
    flavor: &'static str,
    product: String,
    file_version: Option<String>,
    version_source: &'static str,
    module: String,
    module_base: String,
    model_error: String,
}

/// The answer for a dump whose runtime is known but whose heap is not readable.
fn identify_only(
    ctx: &Ctx,
    m: &clr_heap::runtime::RuntimeModule,
    e: &clr_heap::ClrError,
) -> Result<ExitCode, CliError> {
    let body = Identity {
        flavor: m.flavor.name(),
        product: m.product(),
        file_version: m.file_version.map(|v| v.to_string()),
        version_source: m.version_source,
        module: m.module.path.clone(),
        module_base: jhex(m.module.base),
        model_error: e.to_string(),
    };
    ctx.warn(format!("the runtime's data structures cannot be read: {e}"));
    ctx.finish("runtime", &body, || {
        format!(
            "Runtime:        {} {}\nFile version:   {} (from {})\nModule:         {} at {}\nModel:          not available: {}\n",
            body.flavor,
            body.product,
            body.file_version.clone().unwrap_or_else(|| "unknown".into()),
            body.version_source,
            body.module,
            body.module_base,
            body.model_error
        )
    })
}

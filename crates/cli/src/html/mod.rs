//! The triage report as one self-contained HTML page: inline CSS and inline
//! SVG charts (heap by type, threads by state and CPU, request timeline); no
//! script and no external resource, so it opens anywhere, offline.

mod charts;

use crate::triage::report::{Report, Severity, count, size};

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;background:#fff}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}\
.meta{color:#666;margin-bottom:16px}.f{border-left:5px solid #999;padding:6px 12px;margin:10px 0;background:#fafafa}\
.critical{border-color:#c62828;background:#fdecea}.warning{border-color:#ef8f00;background:#fff6e5}.info{border-color:#6b8fb3}\
.f .t{font-weight:600}.f ul{margin:4px 0 4px 18px;padding:0}.f code{display:block;color:#1a5091;font-size:12.5px}\
svg{margin:8px 0;background:#fcfcfc;border:1px solid #eee}svg .title{font:600 15px system-ui,sans-serif}\
svg .label,svg .value{font:12px system-ui,sans-serif;fill:#333}svg .note{font:12px system-ui,sans-serif;fill:#777}\
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}td:last-child,th:last-child{text-align:left}";

/// The page for `report` of the dump at `dump`.
pub fn page(report: &Report, dump: &str) -> String {
    let s = &report.snapshot;
    let mut h = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>clrscope triage: {}</title><style>{STYLE}</style></head><body>",
        esc(dump)
    );
    h.push_str(&format!(
        "<h1>clrscope triage</h1><div class=\"meta\">{} — {} {}, pid {}{}{}</div>",
        esc(dump),
        esc(&s.dump.os),
        esc(&s.dump.arch),
        s.dump.pid.map_or("?".into(), |p| p.to_string()),
        s.dump.runtime.as_ref().map_or(String::new(), |r| format!(", {}", esc(r))),
        s.dump.dump_time.as_ref().map_or(String::new(), |t| format!(", dumped {}", esc(t))),
    ));
    h.push_str("<h2>Charts</h2>");
    h.push_str(&heap_chart(report));
    h.push_str(&thread_charts(report));
    h.push_str(&request_chart(report));
    h.push_str("<h2>Findings</h2>");
    if s.crash.as_ref().is_none_or(|c| c.is_createdump_mark(&s.dump.os)) {
        h.push_str("<div class=\"f info\"><div class=\"t\">No crash evident (no exception record, or only createdump's SIGABRT mark): a dump of a running process.</div></div>");
    }
    for f in &report.findings {
        let class = match f.severity {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        h.push_str(&format!("<div class=\"f {class}\"><div class=\"t\">{}</div>", esc(&f.title)));
        if !f.details.is_empty() {
            h.push_str("<ul>");
            for d in &f.details {
                h.push_str(&format!("<li>{}</li>", esc(d)));
            }
            h.push_str("</ul>");
        }
        for e in &f.evidence {
            h.push_str(&format!("<code>→ {}</code>", esc(&e.line(dump))));
        }
        h.push_str("</div>");
    }
    if let Ok(heap) = &s.heap {
        h.push_str("<h2>Heap: top types by size</h2><table><tr><th>Count</th><th>TotalSize</th><th>Class Name</th></tr>");
        for t in heap.types.iter().take(20) {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                count(t.count),
                count(t.bytes),
                esc(&t.name)
            ));
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}

fn heap_chart(r: &Report) -> String {
    let Ok(heap) = &r.snapshot.heap else {
        return "<p>The heap could not be read.</p>".into();
    };
    let rows: Vec<(String, f64, String)> = heap
        .types
        .iter()
        .take(charts::MAX_BARS)
        .map(|t| (t.name.clone(), t.bytes as f64, format!("{} ({} objects)", size(t.bytes), count(t.count))))
        .collect();
    charts::bars("Heap by type (bytes)", &rows)
}

fn thread_charts(r: &Report) -> String {
    let mut groups: std::collections::BTreeMap<String, u64> = Default::default();
    for t in &r.snapshot.threads {
        let g = if t.dead {
            "dead".to_string()
        } else if let Some(b) = &t.blocked {
            b.wait.describe().to_string()
        } else if t.managed_id.is_some() {
            "managed, not waiting".to_string()
        } else {
            "native only".to_string()
        };
        *groups.entry(g).or_default() += 1;
    }
    let parts: Vec<(String, u64)> = groups.into_iter().collect();
    let mut out = charts::stacked("Threads by state", &parts);
    let mut cpu: Vec<(String, f64, String)> = r
        .snapshot
        .threads
        .iter()
        .filter_map(|t| {
            let c = t.cpu_seconds()?;
            Some((t.label(), c, format!("{c:.2} s")))
        })
        .collect();
    cpu.sort_by(|a, b| b.1.total_cmp(&a.1));
    if cpu.is_empty() {
        out.push_str("<p>The dump records no CPU times per thread.</p>");
    } else if cpu.iter().all(|c| c.1 < 0.005) {
        out.push_str(&format!(
            "<p>Threads by CPU time: all {} threads recorded under 0.01 s of CPU.</p>",
            cpu.len()
        ));
    } else {
        out.push_str(&charts::bars("Threads by CPU time (user + kernel)", &cpu));
    }
    out
}

fn request_chart(r: &Report) -> String {
    let Ok(reqs) = &r.snapshot.requests else {
        return "<p>Requests could not be read.</p>".into();
    };
    let live: Vec<_> = reqs.iter().filter(|q| !q.finished).collect();
    let mut spans: Vec<(String, f64)> =
        live.iter().filter_map(|q| Some((q.label(), q.running_seconds?))).collect();
    let mut end = "dump";
    if spans.is_empty() {
        // The dump records no write time (createdump cores): bars end at the latest start.
        let latest = live.iter().filter_map(|q| q.started_ticks).max();
        spans = live
            .iter()
            .filter_map(|q| Some((q.label(), latest?.saturating_sub(q.started_ticks?) as f64 / 1e7)))
            .collect();
        end = "latest request start (the dump records no write time)";
    }
    spans.sort_by(|a, b| b.1.total_cmp(&a.1));
    charts::timeline("Requests in flight (start → end)", &spans, end)
}

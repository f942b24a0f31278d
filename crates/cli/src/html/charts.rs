//! Inline SVG charts: plain shapes and text, no script, no external resource.

use super::esc;

/// Bars drawn per chart.
pub const MAX_BARS: usize = 14;

const PALETTE: &[&str] = &[
    "#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00", "#b82e2e",
    "#316395",
];

/// A horizontal bar chart: one row per `(label, value, value text)`.
pub fn bars(title: &str, rows: &[(String, f64, String)]) -> String {
    let rows = &rows[..rows.len().min(MAX_BARS)];
    let (w, label_w, row_h, top) = (1000.0, 430.0, 24.0, 34.0);
    let h = top + row_h * rows.len().max(1) as f64 + 10.0;
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    let mut s = svg_open(w, h, title);
    if rows.is_empty() {
        s.push_str(&format!(r#"<text x="10" y="{}" class="note">nothing to show</text>"#, top + 16.0));
    }
    for (i, (label, v, text)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let bw = if max > 0.0 { (w - label_w - 240.0) * v / max } else { 0.0 };
        s.push_str(&format!(
            r#"<text x="{}" y="{}" class="label" text-anchor="end">{}</text><rect x="{label_w}" y="{}" width="{:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{}" class="value">{}</text>"#,
            label_w - 8.0,
            y + 16.0,
            esc(&shorten(label, 60)),
            y + 4.0,
            bw.max(1.0),
            row_h - 8.0,
            PALETTE[i % PALETTE.len()],
            label_w + bw.max(1.0) + 6.0,
            y + 16.0,
            esc(text)
        ));
    }
    s.push_str("</svg>");
    s
}

/// A single stacked bar of parts `(label, count)` with a legend.
pub fn stacked(title: &str, parts: &[(String, u64)]) -> String {
    let (w, top) = (1000.0, 34.0);
    let total: u64 = parts.iter().map(|p| p.1).sum();
    let rows = legend_rows(parts, w);
    let h = top + 50.0 + 20.0 * rows as f64;
    let mut s = svg_open(w, h, title);
    let mut x = 10.0;
    let (mut lx, mut ly) = (10.0, top + 46.0);
    for (i, (label, n)) in parts.iter().enumerate() {
        let bw = if total > 0 { (w - 20.0) * *n as f64 / total as f64 } else { 0.0 };
        let color = PALETTE[i % PALETTE.len()];
        s.push_str(&format!(r#"<rect x="{x:.1}" y="{top}" width="{bw:.1}" height="30" fill="{color}"><title>{}: {n}</title></rect>"#, esc(label)));
        x += bw;
        let item = format!("{label} ({n})");
        let iw = item_width(&item);
        if lx + iw > w && lx > 10.0 {
            (lx, ly) = (10.0, ly + 20.0);
        }
        s.push_str(&format!(
            r#"<rect x="{lx:.1}" y="{ly}" width="12" height="12" fill="{color}"/><text x="{:.1}" y="{}" class="label">{}</text>"#,
            lx + 16.0,
            ly + 11.0,
            esc(&item)
        ));
        lx += iw;
    }
    s.push_str("</svg>");
    s
}

fn item_width(item: &str) -> f64 {
    26.0 + 6.6 * item.chars().count() as f64
}

/// Legend rows `stacked` needs for `parts` in width `w`.
fn legend_rows(parts: &[(String, u64)], w: f64) -> usize {
    let (mut rows, mut lx) = (1, 10.0);
    for (label, n) in parts {
        let iw = item_width(&format!("{label} ({n})"));
        if lx + iw > w && lx > 10.0 {
            rows += 1;
            lx = 10.0;
        }
        lx += iw;
    }
    rows
}

/// Spans ending at the same moment (`end`: its name, e.g. "dump"):
/// `(label, seconds before the end)`.
pub fn timeline(title: &str, spans: &[(String, f64)], end: &str) -> String {
    let spans = &spans[..spans.len().min(MAX_BARS)];
    let (w, label_w, row_h, top) = (1000.0, 330.0, 24.0, 34.0);
    let h = top + row_h * spans.len().max(1) as f64 + 30.0;
    let max = spans.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1.0);
    let plot = w - label_w - 20.0;
    let mut s = svg_open(w, h, title);
    if spans.is_empty() {
        s.push_str(&format!(r#"<text x="10" y="{}" class="note">no request in flight</text>"#, top + 16.0));
    }
    for (i, (label, secs)) in spans.iter().enumerate() {
        let y = top + row_h * i as f64;
        let bw = plot * secs / max;
        s.push_str(&format!(
            r#"<text x="{}" y="{}" class="label" text-anchor="end">{}</text><rect x="{:.1}" y="{}" width="{:.1}" height="{}" fill="{}"><title>{secs:.0} s</title></rect>"#,
            label_w - 8.0,
            y + 16.0,
            esc(&shorten(label, 44)),
            label_w + plot - bw,
            y + 4.0,
            bw.max(1.0),
            row_h - 8.0,
            PALETTE[i % PALETTE.len()]
        ));
    }
    let axis_y = top + row_h * spans.len().max(1) as f64 + 14.0;
    s.push_str(&format!(
        r#"<text x="{label_w}" y="{axis_y}" class="note">{max:.0} s earlier</text><text x="{}" y="{axis_y}" class="note" text-anchor="end">{}</text></svg>"#,
        w - 20.0,
        esc(end)
    ));
    s
}

fn svg_open(w: f64, h: f64, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{t}"><text x="10" y="20" class="title">{t}</text>"#,
        t = esc(title)
    )
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let keep: String = s.chars().take(n.saturating_sub(1)).collect();
        format!("{keep}…")
    }
}

//! `clrscope triage`: on the generated dumps it names what the process says
//! happened — the leaking type with its count, its root and the request
//! holding it; the deadlock and its two threads; the sleeping controller
//! thread; the exception with its message; the blocked finalizer and its
//! backlog — each with a command; the HTML page renders in headless Chromium.

use serde_json::Value;
use testkit::{arg, clrscope, dump_file};

fn truth(dir: &std::path::Path) -> Value {
    testkit::truth(&dir)
}

fn role_id(t: &Value, role: &str) -> u64 {
    t["threads"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["role"] == role)
        .and_then(|x| x["managed_id"].as_u64())
        .unwrap_or(u64::MAX)
}

/// `200005` → `200,005`.
fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut o = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            o.push(',');
        }
        o.push(c);
    }
    o
}

/// `triage DUMP ARGS…` with the runtime and assembly folders a heap-only dump needs.
fn triage(dir: &std::path::Path, args: &[&str]) -> testkit::Run {
    let mut a: Vec<std::ffi::OsString> = vec!["triage".into(), arg(&dump_file(dir))];
    a.extend(args.iter().map(|s| s.into()));
    for rd in testkit::clr_options(dir).runtime_dirs {
        a.push("--runtime-dir".into());
        a.push(rd.clone().into_os_string());
        a.push("--assembly-dir".into());
        a.push(rd.into_os_string());
    }
    a.push("--assembly-dir".into());
    a.push(dir.as_os_str().to_os_string());
    clrscope(&a)
}

fn findings<'a>(j: &'a Value, topic: &str) -> Vec<&'a Value> {
    j["findings"].as_array().into_iter().flatten().filter(|f| f["topic"] == topic).collect()
}

fn text_of(f: &Value) -> String {
    let mut s = f["title"].as_str().unwrap_or("").to_string();
    for d in f["details"].as_array().into_iter().flatten() {
        s.push('\n');
        s.push_str(d.as_str().unwrap_or(""));
    }
    s
}

fn check(name: &str) {
    let Some(dir) = testkit::generated(name) else { return };
    let t = truth(&dir);
    let dump = dump_file(&dir);
    let run = triage(&dir, &["--json"]);
    assert_eq!(run.code, 0, "{name}: {}", run.stderr);
    let j = run.json();
    assert_eq!(j["command"], "triage");

    // the leak: type, truth count, its static root, the request whose thread holds it
    let leak_count = t["types"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["type"] == "Shop.Models.OrderDto")
        .and_then(|x| x["count"].as_u64())
        .unwrap_or(0);
    let heap = findings(&j, "heap");
    let dto = heap.first().map(|f| text_of(f)).unwrap_or_default();
    assert!(
        dto.starts_with(&format!("Shop.Models.OrderDto: {} objects", grouped(leak_count))),
        "{name}: biggest type first: {dto}"
    );
    assert!(dto.contains("rooted by static Shop.Services.OrderCache.s_all"), "{name}: {dto}");
    let leak_req = t["asp_net"]["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "req-import")
        .cloned()
        .unwrap_or_default();
    let url =
        format!("{} {}", leak_req["verb"].as_str().unwrap_or("?"), leak_req["path"].as_str().unwrap_or("?"));
    let leak_thread = role_id(&t, "request-leak");
    assert!(
        dto.contains(&format!("held by request {url}")) && dto.contains(&format!("(thread {leak_thread})")),
        "{name}: {url} on {leak_thread}: {dto}"
    );
    assert!(heap[0]["evidence"].as_array().into_iter().flatten().any(|e| e["command"] == "gcroot"), "{name}");

    // the deadlock and its two threads
    let dl = findings(&j, "deadlock");
    assert_eq!(dl.len(), 1, "{name}: {dl:?}");
    let (a, b) = (role_id(&t, "deadlock-a"), role_id(&t, "deadlock-b"));
    let title = dl[0]["title"].as_str().unwrap_or("");
    assert!(
        title.contains(&format!("thread {a} ")) && title.contains(&format!("thread {b} ")),
        "{name}: {title}"
    );
    assert!(text_of(dl[0]).contains("Shop.Controllers.CartController.ReserveOrder"), "{name}");
    assert_eq!(dl[0]["severity"], "critical");

    // the sleeping controller thread (where Thread.Sleep is inlined into the
    // controller, x86 2.1, the stack shows only the runtime call it made)
    let sleep = role_id(&t, "request-sleep");
    let blocked = findings(&j, "blocked");
    assert!(
        blocked.iter().any(|f| {
            let s = text_of(f);
            s.contains(&format!("thread {sleep} "))
                && (s.contains("is sleeping (System.Threading.Thread.Sleep)")
                    || s.contains("in a runtime call"))
                && s.contains("called from Shop.Controllers.HomeController.Sleep")
        }),
        "{name}: {blocked:?}"
    );

    // the exception with its message
    let pay = t["exceptions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["name"] == "payment-error")
        .cloned()
        .unwrap_or_default();
    let msg = format!("{}: {}", pay["type"].as_str().unwrap_or("?"), pay["message"].as_str().unwrap_or("?"));
    let reporter = role_id(&t, "error-reporter");
    assert!(
        findings(&j, "exception")
            .iter()
            .any(|f| text_of(f).contains(&msg) && text_of(f).contains(&format!("thread {reporter} "))),
        "{name}: {msg}"
    );

    // the blocked finalizer and its backlog
    let fin = findings(&j, "finalizer");
    let pending = t["finalization"]["pending_count"].as_u64().unwrap_or(0);
    assert!(
        fin.first().is_some_and(|f| text_of(f).contains("FinalizerBlocker.Finalize")
            && text_of(f).contains(&format!("; {pending} objects wait"))),
        "{name}: {fin:?}"
    );

    // in-flight requests: the four of the truth
    assert_eq!(findings(&j, "request").len(), 4, "{name}");

    // the text names the evidence commands
    let text = triage(&dir, &[]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains(&format!("→ clrscope syncblk {}", dump.display())), "{name}");
}

testkit::test_each_generated_dump!(check);

/// A tiny PNG reader: size and how many distinct pixel values (RGB/RGBA, 8 bits).
fn png_stats(bytes: &[u8]) -> (u32, u32, usize) {
    use std::io::Read;
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (mut w, mut h, mut ch, mut idat) = (0u32, 0u32, 0usize, Vec::new());
    let mut i = 8;
    while i + 8 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize;
        let kind = &bytes[i + 4..i + 8];
        let data = &bytes[i + 8..(i + 8 + len).min(bytes.len())];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                h = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
                assert_eq!(data[8], 8, "8-bit channels");
                ch = match data[9] {
                    2 => 3,
                    6 => 4,
                    c => panic!("colour type {c}"),
                };
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        i += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap_or_default();
    let stride = w as usize * ch;
    assert_eq!(raw.len(), h as usize * (stride + 1), "decoded size");
    // undo the scanline filters (PNG spec §9)
    let mut prev = vec![0u8; stride];
    let mut colours = std::collections::HashSet::new();
    for row in raw.chunks(stride + 1) {
        let (f, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for x in 0..stride {
            let a = if x >= ch { cur[x - ch] as i32 } else { 0 };
            let b = prev[x] as i32;
            let c = if x >= ch { prev[x - ch] as i32 } else { 0 };
            let pred = match f {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                _ => panic!("filter {f}"),
            };
            cur[x] = (line[x] as i32 + pred) as u8;
        }
        for px in cur.chunks(ch) {
            colours.insert(px[..3].to_vec());
        }
        prev = cur;
    }
    (w, h, colours.len())
}

#[test]
fn html_report_renders_with_its_charts() {
    let Some(dir) = testkit::generated("linux-x64-3.1-wks") else { return };
    let out = std::env::temp_dir().join(format!("clrscope-triage-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&out);
    let html = out.join("triage.html");
    let run = clrscope(&["triage".into(), arg(&dump_file(&dir)), "--html".into(), arg(&html)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(&html).unwrap_or_default();
    for chart in ["Heap by type (bytes)", "Threads by state", "Requests in flight"] {
        assert!(page.contains(&format!("aria-label=\"{chart}")), "chart {chart} missing");
    }
    assert!(page.matches("<svg").count() >= 3);
    assert!(page.contains("Shop.Models.OrderDto") && page.contains("Deadlock between"));
    // self-contained: no script, no external resource
    for bad in ["<script", " src=", " href=", "url("] {
        assert!(!page.contains(bad), "the page must be self-contained: found {bad:?}");
    }

    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(chromium) = chromium else {
        assert!(
            std::env::var_os("CLRSCOPE_REQUIRE_FIXTURES").is_none(),
            "chromium is missing (tests/run installs it)"
        );
        eprintln!("skipping the screenshot: chromium is not installed");
        return;
    };
    let png = out.join("triage.png");
    let profile = out.join("profile");
    let status = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,2000")
        .arg(format!("file://{}", html.display()))
        .output();
    assert!(status.is_ok_and(|o| o.status.success()), "chromium failed");
    let bytes = std::fs::read(&png).unwrap_or_default();
    assert!(!bytes.is_empty(), "no screenshot");
    let (w, h, colours) = png_stats(&bytes);
    assert_eq!((w, h), (1200, 2000));
    // text, coloured bars, backgrounds: a blank page has one or two colours
    assert!(colours > 50, "the screenshot looks blank ({colours} colours)");
    let _ = std::fs::remove_dir_all(&out);
}

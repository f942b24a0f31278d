//! The generated fixtures' truth, checked against their dumps with nothing but
//! the container layer (`dump-format`): truth is only worth what it proves.
//!
//! For every generated dump: the pid is the dump's process id; every thread
//! truth names is an OS thread of the dump; every object truth records
//! (anything with an `address` and an `mt`) holds that MethodTable pointer in
//! the dump; every recorded string holds its length and UTF-16 characters;
//! every GC handle slot holds its target's address.

use dump_format::Dump;
use serde_json::Value;
use std::path::Path;

use testkit::hex;

fn dump_file(dir: &Path) -> std::path::PathBuf {
    for f in ["core", "dump.dmp"] {
        if dir.join(f).is_file() {
            return dir.join(f);
        }
    }
    panic!("no dump (core or dump.dmp) in {}", dir.display())
}

#[derive(Default, Debug)]
struct Tally {
    objects: usize,
    strings: usize,
    handles: usize,
    threads: usize,
    not_captured: usize,
}

/// Walks the whole truth document, checking every object-like node.
fn walk(v: &Value, dump: &Dump, t: &mut Tally, errors: &mut Vec<String>, path: &str) {
    match v {
        Value::Object(m) => {
            let mem = dump.memory();
            let ps = mem.pointer_size() as u64;
            if let (Some(addr), Some(mt)) = (m.get("address").and_then(hex), m.get("mt").and_then(hex)) {
                match mem.ptr(addr) {
                    // The GC may keep mark bits in the low bits of the MT pointer.
                    Ok(got) if got & !(ps - 1) == mt => t.objects += 1,
                    Ok(got) => {
                        errors.push(format!("{path}: {addr:#x} holds {got:#x}, truth says MT {mt:#x}"))
                    }
                    Err(e) => {
                        t.not_captured += 1;
                        errors.push(format!("{path}: {addr:#x}: {e}"));
                    }
                }
                if let (Some(s), Some(len)) = (m.get("string").and_then(Value::as_str), m.get("length")) {
                    let units: Vec<u16> = s.encode_utf16().collect();
                    let got_len = mem.u32(addr + ps).ok();
                    let chars = mem.read(addr + ps + 4, units.len() as u64 * 2).ok();
                    let want: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
                    if got_len.map(u64::from) != len.as_u64() || chars.as_deref() != Some(&want[..]) {
                        errors.push(format!("{path}: string at {addr:#x} is not {s:?} (length {got_len:?})"));
                    } else {
                        t.strings += 1;
                    }
                }
            }
            if let (Some(slot), Some(target)) = (
                m.get("handle_address").and_then(hex),
                m.get("target").and_then(|t| t.get("address")).and_then(hex),
            ) {
                match mem.ptr(slot) {
                    Ok(got) if got == target => t.handles += 1,
                    other => errors
                        .push(format!("{path}: handle {slot:#x} holds {other:?}, truth says {target:#x}")),
                }
            }
            for (k, child) in m {
                walk(child, dump, t, errors, &format!("{path}.{k}"));
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                walk(child, dump, t, errors, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

fn check(name: &str) {
    let Some(dir) = testkit::generated(name) else { return };
    let truth: Value = testkit::truth(&dir);
    let dump = Dump::open(dump_file(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut errors = Vec::new();
    let mut t = Tally::default();

    // The process.
    let pid = truth["process"]["pid"].as_u64();
    assert!(pid.is_some(), "{name}: truth has no pid");
    assert_eq!(dump.process().pid.map(u64::from), pid, "{name}: pid");
    assert_eq!(truth["process"]["pointer_size"].as_u64(), Some(dump.arch().pointer_size() as u64), "{name}");

    // Threads: every OS id truth recorded for a live thread is in the dump.
    let os_ids: Vec<u64> = dump.threads().iter().map(|t| u64::from(t.id)).collect();
    for th in truth["threads"].as_array().into_iter().flatten() {
        if th["alive"] == Value::Bool(false) {
            continue;
        }
        if let Some(id) = th["os_id"].as_u64() {
            if os_ids.contains(&id) {
                t.threads += 1;
            } else {
                errors.push(format!("{name}: thread {} (os id {id}) is not in the dump", th["role"]));
            }
        }
    }

    walk(&truth, &dump, &mut t, &mut errors, name);
    // A heap-only dump leaves out image memory, never the heap: objects must all be there.
    assert!(
        errors.is_empty(),
        "{name}: {} disagreements, first: {:#?}",
        errors.len(),
        &errors[..errors.len().min(10)]
    );
    assert!(
        t.objects > 500 && t.strings > 100 && t.handles > 10 && t.threads > 8,
        "{name}: too little proven: {t:?}"
    );
    eprintln!("{name}: {t:?}");
}

testkit::test_each_generated_dump!(check);

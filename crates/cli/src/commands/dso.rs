//! `clrscope dso DUMP [--thread ID | --all]` (alias `dumpstackobjects`):
//! objects referenced from a thread's registers and stack, like SOS `!dso`.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{hex_ptr, jhex};
use clr_heap::types::TypeSystem;
use clr_stack::dso::{Slot, stack_objects};
use clr_stack::{CodeMap, Methods, StackWalker, Threads};
use serde::Serialize;

#[derive(Serialize)]
struct Obj {
    slot: String,
    register: bool,
    address: String,
    mt: String,
    #[serde(rename = "type")]
    type_name: Option<String>,
    type_error: Option<String>,
}

#[derive(Serialize)]
struct ThreadObjs {
    os_id: String,
    managed_id: Option<u32>,
    debugger_index: Option<usize>,
    stack: Option<[String; 2]>,
    objects: Vec<Obj>,
}

#[derive(Serialize)]
struct Body {
    threads: Vec<ThreadObjs>,
}

/// Runs the command.
pub fn run(ctx: &Ctx, thread: Option<u32>, all: bool) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types)?;
    let methods = Methods::new(&types);
    let code = CodeMap::new(&methods);
    let walker = StackWalker::new(&code);
    let p = ctx.ptr();
    let mut out = Vec::new();
    for t in super::clrstack::select(ctx, &threads, thread, all)? {
        let Some(rec) = t.dump_thread.and_then(|i| ctx.dump.threads().get(i)) else { continue };
        let range = walker.stack_range(rec);
        let objects = range
            .map(|r| stack_objects(&types, rec, r))
            .unwrap_or_default()
            .into_iter()
            .map(|o| Obj {
                register: matches!(o.slot, Slot::Register(_)),
                slot: match o.slot {
                    Slot::Register(n) => n.to_string(),
                    Slot::Stack(a) => jhex(a),
                },
                address: jhex(o.address),
                mt: jhex(o.method_table),
                type_name: o.type_name.clone().ok(),
                type_error: o.type_name.err(),
            })
            .collect();
        out.push(ThreadObjs {
            os_id: format!("{:#x}", rec.id),
            managed_id: t.managed_id,
            debugger_index: t.dump_thread,
            stack: range.map(|(a, b)| [jhex(a), jhex(b)]),
            objects,
        });
    }
    let body = Body { threads: out };
    ctx.finish("dso", &body, || {
        let sp = if p == 8 { "RSP/REG" } else { "ESP/REG" };
        let w = p * 2;
        let num = |v: &str| u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap_or(0);
        let mut s = String::new();
        for t in &body.threads {
            s.push_str(&format!(
                "OS Thread Id: {} ({})\n",
                t.os_id,
                t.debugger_index.map_or("?".into(), |i| i.to_string())
            ));
            s.push_str(&format!("{sp:<w$} {:<w$} Name\n", "Object"));
            for o in &t.objects {
                let slot = if o.register { o.slot.clone() } else { hex_ptr(num(&o.slot), p) };
                let name = o
                    .type_name
                    .clone()
                    .unwrap_or_else(|| format!("<{}>", o.type_error.as_deref().unwrap_or("?")));
                s.push_str(&format!("{slot:<w$} {} {name}\n", hex_ptr(num(&o.address), p)));
            }
            s.push('\n');
        }
        s
    })
}

//! `clrscope modules`: loaded (and unloaded) modules with their identities.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use dump_format::model::{DebugId, ModuleRecord, guid_text};
use serde::Serialize;

#[derive(Serialize)]
struct Module {
    path: String,
    base: String,
    size: u64,
    file_version: Option<String>,
    product_version: Option<String>,
    timestamp: Option<u32>,
    checksum: Option<String>,
    pdb_name: Option<String>,
    pdb_guid: Option<String>,
    pdb_age: Option<u32>,
    build_id: Option<String>,
    symbol_key: Option<String>,
}

#[derive(Serialize)]
struct Body {
    modules: Vec<Module>,
    unloaded: Option<Vec<Module>>,
}

fn version(v: Option<[u16; 4]>) -> Option<String> {
    v.map(|v| format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]))
}

fn module(m: &ModuleRecord) -> Module {
    let (mut pdb_name, mut pdb_guid, mut pdb_age, mut build_id) = (None, None, None, None);
    match &m.debug_id {
        Some(DebugId::Pdb70 { pdb_name: n, guid, age }) => {
            pdb_name = Some(n.clone());
            pdb_guid = Some(guid_text(guid, true));
            pdb_age = Some(*age);
        }
        Some(DebugId::Pdb20 { pdb_name: n, signature, age }) => {
            pdb_name = Some(n.clone());
            pdb_guid = Some(format!("{signature:08X}"));
            pdb_age = Some(*age);
        }
        Some(DebugId::BuildId(_)) => build_id = m.debug_id.as_ref().map(|d| d.key()),
        None => {}
    }
    Module {
        path: m.path.clone(),
        base: jhex(m.base),
        size: m.size,
        file_version: version(m.file_version),
        product_version: version(m.product_version),
        timestamp: m.timestamp,
        checksum: m.checksum.map(|c| format!("{c:#x}")),
        pdb_name,
        pdb_guid,
        pdb_age,
        build_id,
        symbol_key: m.debug_id.as_ref().map(|d| d.key()),
    }
}

/// Runs the command.
pub fn run(ctx: &Ctx, unloaded: bool) -> Result<ExitCode, CliError> {
    let d = ctx.dump;
    let body = Body {
        modules: d.modules().iter().map(module).collect(),
        unloaded: unloaded.then(|| d.unloaded_modules().iter().map(module).collect()),
    };
    ctx.finish("modules", &body, || {
        let p = ctx.ptr();
        let mut s = table(d.modules(), p);
        if unloaded {
            s.push_str("\nUnloaded modules:\n");
            s.push_str(&table(d.unloaded_modules(), p));
        }
        s
    })
}

fn table(mods: &[ModuleRecord], p: usize) -> String {
    let mut t = Table::new(&["Base", ">Size", "Version", "Timestamp", "Debug id", "Module"]);
    for m in mods {
        let id = match &m.debug_id {
            Some(DebugId::Pdb70 { pdb_name, guid, age }) => {
                let short = pdb_name.rsplit(['/', '\\']).next().unwrap_or(pdb_name);
                format!("{short} {{{}}} {age}", guid_text(guid, true))
            }
            Some(DebugId::Pdb20 { pdb_name, signature, age }) => format!("{pdb_name} {signature:08X} {age}"),
            Some(b @ DebugId::BuildId(_)) => format!("build-id {}", b.key()),
            None => "-".into(),
        };
        t.row(vec![
            hex_ptr(m.base, p),
            format!("{:#x}", m.size),
            version(m.file_version).unwrap_or_else(|| "-".into()),
            m.timestamp.map(|t| format!("{t:08x}")).unwrap_or_else(|| "-".into()),
            id,
            m.path.clone(),
        ]);
    }
    t.render()
}

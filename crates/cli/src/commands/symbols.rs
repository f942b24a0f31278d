//! `clrscope symbols`: per module, the symbol-store key it needs and where
//! (whether) the symbol path has it; `--fetch` downloads from the servers
//! the path names. Only composes `symbols::store::Locator`.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use dump_format::ModuleRecord;
use serde::Serialize;
use symbols::store::{Access, Attempt, Locator};
use symbols::{Key, SymbolPath, verify};

#[derive(Serialize)]
struct Tried {
    place: String,
    outcome: String,
}

#[derive(Serialize)]
struct Row {
    module: String,
    base: String,
    /// Store paths of every key the module can be looked up by.
    keys: Vec<String>,
    /// The key shown (the one found, else the first).
    key: Option<String>,
    /// `found`, `on_server`, `not_found`, `no_id`, `error`.
    status: &'static str,
    path: Option<String>,
    source: Option<String>,
    attempts: Vec<Tried>,
    not_asked: Vec<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct Body {
    symbol_path: String,
    fetch: bool,
    servers: Vec<String>,
    modules: Vec<Row>,
}

/// Runs the command.
pub fn run(ctx: &Ctx, fetch: bool) -> Result<ExitCode, CliError> {
    let (text, path) = match &ctx.opts.symbol_path {
        Some(p) => (p.clone(), SymbolPath::parse(p)?),
        None => (std::env::var("_NT_SYMBOL_PATH").unwrap_or_default(), SymbolPath::from_env()?),
    };
    if fetch && !path.has_server() {
        ctx.warn("--fetch: the symbol path names no server, nothing was downloaded (e.g. --symbol-path srv*CACHE*https://msdl.microsoft.com/download/symbols)");
    }
    let servers = path.servers().map(str::to_string).collect();
    let loc = Locator::new(path, if fetch { Access::Fetch } else { Access::Offline });
    let modules: Vec<Row> = ctx.dump.modules().iter().map(|m| row(m, &loc)).collect();
    let body = Body { symbol_path: text, fetch, servers, modules };
    ctx.finish("symbols", &body, || render(&body, ctx.ptr()))
}

fn row(m: &ModuleRecord, loc: &Locator) -> Row {
    let mut r = Row {
        module: m.path.clone(),
        base: jhex(m.base),
        keys: Vec::new(),
        key: None,
        status: "no_id",
        path: None,
        source: None,
        attempts: Vec::new(),
        not_asked: Vec::new(),
        error: None,
    };
    let keys = match Key::for_module(m) {
        Ok(k) => k,
        Err(e) => {
            r.status = "error";
            r.error = Some(e.to_string());
            return r;
        }
    };
    r.keys = keys.iter().map(Key::store_path).collect();
    // Symbols: the PDB, or the ELF image (unstripped, or its debug file).
    let wanted: Vec<&Key> = keys.iter().filter(|k| !matches!(k, Key::Pe { .. })).collect();
    let Some(first) = wanted.first() else { return r };
    r.key = Some(first.store_path());
    r.status = "not_found";
    for key in wanted {
        let look = loc.locate(key);
        r.attempts
            .extend(look.attempts.into_iter().map(|Attempt { place, outcome }| Tried { place, outcome }));
        r.not_asked.extend(look.not_asked);
        let found = look.found.map(|f| (f.path, f.source)).or_else(|| recorded(m, key, &mut r.attempts));
        if let Some((path, source)) = found {
            r.status = "found";
            r.key = Some(key.store_path());
            r.path = Some(path.display().to_string());
            r.source = Some(source);
            return r;
        }
    }
    r.not_asked.dedup();
    if !r.not_asked.is_empty() {
        r.status = "on_server";
    }
    r
}

/// An ELF image is its own symbol file when the file at the path the dump
/// recorded has the dumped build id.
fn recorded(m: &ModuleRecord, key: &Key, tried: &mut Vec<Tried>) -> Option<(std::path::PathBuf, String)> {
    let Key::Elf { .. } = key else { return None };
    let p = std::path::PathBuf::from(&m.path);
    if !p.is_file() {
        return None;
    }
    match verify::verify(key, &p) {
        Ok(()) => Some((p, "the module's recorded path".into())),
        Err(e) => {
            tried.push(Tried { place: m.path.clone(), outcome: e.to_string() });
            None
        }
    }
}

fn render(b: &Body, ptr: usize) -> String {
    let mut s = format!(
        "Symbol path: {}\n",
        if b.symbol_path.is_empty() {
            "(empty: set _NT_SYMBOL_PATH or --symbol-path)"
        } else {
            &b.symbol_path
        }
    );
    let mut t = Table::new(&["Base", "Module", "Status", "Needs / found at"]);
    let (mut found, mut server, mut missing, mut no_id) = (0, 0, 0, 0);
    for r in &b.modules {
        let name = r.module.rsplit(['/', '\\']).next().unwrap_or(&r.module).to_string();
        let base = u64::from_str_radix(r.base.trim_start_matches("0x"), 16).unwrap_or(0);
        let (status, detail) = match r.status {
            "found" => {
                found += 1;
                let path = r.path.as_deref().unwrap_or("-");
                // A directory's path says where already; caches, stores and
                // servers say where the file came from.
                match r.source.as_deref() {
                    Some(src) if !src.starts_with("directory") => ("found", format!("{path} ({src})")),
                    _ => ("found", path.to_string()),
                }
            }
            "on_server" => {
                server += 1;
                ("on server?", format!("{} (--fetch asks {})", key(r), r.not_asked.join(", ")))
            }
            "not_found" => {
                missing += 1;
                let why = r.attempts.iter().rev().find(|a| a.outcome != "absent").map(|a| a.outcome.as_str());
                ("not found", why.map_or_else(|| key(r), |w| format!("{}: {w}", key(r))))
            }
            "error" => {
                missing += 1;
                ("error", r.error.clone().unwrap_or_default())
            }
            _ => {
                no_id += 1;
                ("no id", "-".into())
            }
        };
        t.row(vec![hex_ptr(base, ptr), name, status.into(), detail]);
    }
    s.push_str(&t.render());
    s.push_str(&format!(
        "{found} found, {server} possibly on a server (--fetch downloads), {missing} not found, {no_id} without a debug id\n"
    ));
    s
}

fn key(r: &Row) -> String {
    r.key.clone().unwrap_or_else(|| "-".into())
}

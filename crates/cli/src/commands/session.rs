//! `clrscope session DUMP ADDR | --request ADDR`: an InProc ASP.NET session
//! — id, mode, timeout and every item (key, value type, value or address).

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use aspnet::Reader;
use aspnet::collections::text_of;
use aspnet::session::read_session;
use clr_heap::types::{TypeSystem, Value};
use serde::Serialize;

#[derive(Serialize)]
struct Item {
    key: String,
    #[serde(rename = "type")]
    type_name: Option<String>,
    address: Option<String>,
    value: String,
    boxed: Option<String>,
}

#[derive(Serialize)]
struct Body {
    session_state: Option<String>,
    container: String,
    id: Option<String>,
    mode: Option<String>,
    timeout_minutes: Option<i64>,
    is_new: Option<bool>,
    read_only: Option<bool>,
    abandoned: Option<bool>,
    items_collection: Option<String>,
    items: Vec<Item>,
    note: Option<String>,
}

/// Runs the command on a session object or its container (`address`), or
/// on the session of an HttpContext (`request`).
pub fn run(ctx: &Ctx, address: Option<u64>, request: Option<u64>) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let types = TypeSystem::new(&rt);
    let r = Reader::new(&types);
    let address = match (address, request) {
        (_, Some(c)) => {
            let name = r.type_name(c).unwrap_or_default();
            if name != aspnet::scan::HTTP_CONTEXT {
                return Err(CliError::NotFound(format!("{c:#x} is not a System.Web.HttpContext ({name})")));
            }
            c
        }
        (Some(a), None) => a,
        (None, None) => return Err(CliError::NotFound("give a session address or --request ADDR".into())),
    };
    let s = read_session(&r, address).map_err(CliError::NotFound)?;
    let items: Vec<Item> = s
        .items
        .iter()
        .map(|i| {
            let (type_name, addr) = match &i.value {
                Value::Object { address, type_name, .. } => (Some(type_name.clone()), Some(jhex(*address))),
                Value::String { address, .. } => (Some("System.String".to_string()), Some(jhex(*address))),
                Value::Null => (None, None),
                _ => (None, None),
            };
            Item {
                key: i.key.clone(),
                type_name,
                address: addr,
                value: text_of(&i.value),
                boxed: i.boxed.as_ref().map(text_of),
            }
        })
        .collect();
    let body = Body {
        session_state: (s.state != 0).then(|| jhex(s.state)),
        container: jhex(s.container),
        id: s.id.clone(),
        mode: s.mode.clone(),
        timeout_minutes: s.timeout_minutes,
        is_new: s.is_new,
        read_only: s.read_only,
        abandoned: s.abandoned,
        items_collection: s.collection.map(jhex),
        items,
        note: s.note.clone(),
    };
    let p = ctx.ptr();
    let text = || {
        let mut out = format!(
            "Session {}  mode {}  timeout {} min  container {}{}\n",
            s.id.as_deref().unwrap_or("?"),
            s.mode.as_deref().unwrap_or("?"),
            s.timeout_minutes.map_or("?".into(), |v| v.to_string()),
            hex_ptr(s.container, p),
            if s.read_only == Some(true) { "  read-only" } else { "" }
        );
        let mut t = Table::new(&["Key", "Type", "Address", "Value"]);
        for i in &body.items {
            let value = match (&i.boxed, i.type_name.as_deref()) {
                (Some(b), _) => b.clone(),
                (None, Some("System.String")) => format!("{:?}", i.value),
                (None, Some(_)) => String::new(),
                (None, None) => i.value.clone(),
            };
            let addr =
                i.address.as_deref().and_then(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).ok());
            t.row(vec![
                i.key.clone(),
                i.type_name.clone().unwrap_or("-".into()),
                addr.map_or("-".into(), |a| hex_ptr(a, p)),
                value,
            ]);
        }
        out += &t.render();
        out += &format!("{} item(s)\n", body.items.len());
        if let Some(n) = &s.note {
            out += &format!("note: {n}\n");
        }
        out
    };
    ctx.finish("session", &body, text)
}

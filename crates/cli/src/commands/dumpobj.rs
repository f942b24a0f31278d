//! `clrscope do ADDR`: one object and its fields, like SOS `!dumpobj`.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use clr_heap::types::value::{FieldValue, Value};
use clr_heap::types::{TypeSystem, fields::FieldInfo};
use serde::Serialize;
use serde_json::json;

#[derive(Serialize)]
struct Body {
    address: String,
    name: String,
    method_table: String,
    ee_class: String,
    size: u64,
    generation: Option<u8>,
    module: Option<String>,
    string: Option<String>,
    boxed: Option<serde_json::Value>,
    fields: Vec<serde_json::Value>,
    statics: Vec<serde_json::Value>,
}

/// A value as JSON: integers as exact JSON numbers (64-bit values included:
/// the JSON text is exact; JavaScript readers should parse with BigInt),
/// addresses as `"0x…"`, structs nested.
pub fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => json!(b),
        Value::F32(f) => json!(f),
        Value::F64(f) => json!(f),
        Value::Decimal { text, .. } => json!({ "decimal": text }),
        Value::Guid(_) | Value::DateTime { .. } | Value::TimeSpan(_) | Value::Char(_) => json!(v.to_string()),
        Value::Enum { type_name, value, name } => {
            json!({ "enum": type_name, "value": value_json(value), "name": name })
        }
        Value::String { address, value } => {
            json!({ "address": jhex(*address), "string": value.as_ref().ok(), "error": value.as_ref().err() })
        }
        Value::Object { address, mt, type_name } => {
            json!({ "address": jhex(*address), "mt": jhex(*mt), "type": type_name })
        }
        Value::Struct { type_name, mt, fields } => {
            json!({ "struct": type_name, "mt": jhex(*mt), "fields": fields.iter().map(field_json).collect::<Vec<_>>() })
        }
        Value::BadReference { address, reason } => json!({ "address": jhex(*address), "invalid": reason }),
        Value::Unavailable(why) => json!({ "unavailable": why }),
        Value::NativeInt(p) | Value::Pointer(p) => json!(jhex(*p)),
        other => match other.as_i128() {
            Some(i) => match (i64::try_from(i), u64::try_from(i)) {
                (Ok(v), _) => json!(v),
                (_, Ok(v)) => json!(v),
                _ => json!(i.to_string()),
            },
            None => json!(other.to_string()),
        },
    }
}

fn field_json(f: &FieldValue) -> serde_json::Value {
    json!({
        "name": f.field.name,
        "type": f.field.type_name,
        "offset": f.field.offset,
        "token": format!("{:#x}", f.field.token),
        "declaring_type": f.field.declaring_type,
        "value": value_json(&f.value),
    })
}

/// The Value column as SOS prints it: the number, or the address for
/// references and structs.
fn value_cell(f: &FieldValue, p: usize) -> String {
    match &f.value {
        Value::Null => hex_ptr(0, p),
        Value::String { address, .. }
        | Value::Object { address, .. }
        | Value::BadReference { address, .. } => hex_ptr(*address, p),
        Value::Struct { .. } => hex_ptr(f.address, p),
        Value::Enum { value, .. } => value.to_string(),
        Value::Unavailable(_) => "?".into(),
        v => v.to_string(),
    }
}

/// What SOS adds after the Name column: the string text, or the enum name.
fn value_note(v: &Value) -> Option<String> {
    match v {
        Value::String { value: Ok(s), .. } => Some(format!("{s:?}")),
        Value::Enum { name, .. } => Some(format!("({name})")),
        Value::Unavailable(why) => Some(format!("<{why}>")),
        Value::BadReference { reason, .. } => Some(format!("<invalid: {reason}>")),
        _ => None,
    }
}

/// Appends one field row (and, for structs, its fields indented below it).
pub fn field_rows(t: &mut Table, ts: &TypeSystem, f: &FieldValue, attr: &str, depth: usize, p: usize) {
    let info: &FieldInfo = &f.field;
    let vt = matches!(
        f.value,
        Value::Struct { .. } | Value::Decimal { .. } | Value::Guid(_) | Value::DateTime { .. }
    );
    let field_mt = info.type_handle.unwrap_or(0);
    let mut name = format!("{}{}", "  ".repeat(depth), info.name);
    if let Some(n) = value_note(&f.value) {
        name.push(' ');
        name.push_str(&n);
    }
    t.row(vec![
        hex_ptr(field_mt, p),
        format!("{:x}", info.token & 0x00FF_FFFF),
        format!("{:x}", u64::from(info.offset) + if info.is_static { 0 } else { p as u64 }),
        info.type_name.clone(),
        if vt { "1".into() } else { "0".into() },
        attr.to_string(),
        value_cell(f, p),
        name,
    ]);
    if let Value::Struct { fields, .. } = &f.value {
        for sub in fields {
            field_rows(t, ts, sub, attr, depth + 1, p);
        }
    }
}

/// Runs the command.
pub fn run(ctx: &Ctx, address: u64) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let ts = TypeSystem::new(&rt);
    let o = ts.object(address)?;
    let statics = ts.statics(o.mt).unwrap_or_default();
    let body = Body {
        address: jhex(o.address),
        name: o.type_name.clone(),
        method_table: jhex(o.mt),
        ee_class: jhex(o.ee_class),
        size: o.size,
        generation: o.generation,
        module: o.module_path.clone(),
        string: o.string.clone(),
        boxed: o.boxed.as_ref().map(value_json),
        fields: o.fields.iter().map(field_json).collect(),
        statics: statics
            .iter()
            .map(|(f, v)| match v {
                Ok(fv) => field_json(fv),
                Err(e) => json!({ "name": f.name, "type": f.type_name, "unresolved": e.to_string() }),
            })
            .collect(),
    };
    ctx.finish("do", &body, || {
        let p = ctx.ptr();
        let mut s = String::new();
        s.push_str(&format!("Name:        {}\n", o.type_name));
        s.push_str(&format!("MethodTable: {}\n", hex_ptr(o.mt, p)));
        s.push_str(&format!("EEClass:     {}\n", hex_ptr(o.ee_class, p)));
        s.push_str(&format!("Size:        {}({:#x}) bytes\n", o.size, o.size));
        if let Some(g) = o.generation {
            s.push_str(&format!("Generation:  {g}\n"));
        }
        s.push_str(&format!("File:        {}\n", o.module_path.clone().unwrap_or_else(|| "unknown".into())));
        if let Some(st) = &o.string {
            s.push_str(&format!("String:      {st}\n"));
        }
        if let Some(b) = &o.boxed {
            s.push_str(&format!("Value:       {b}\n"));
        }
        if o.fields.is_empty() && statics.is_empty() {
            s.push_str("Fields:\nNone\n");
            return s;
        }
        s.push_str("Fields:\n");
        let mut t = Table::new(&[">MT", ">Field", ">Offset", ">Type", "VT", ">Attr", ">Value", "Name"]);
        for f in &o.fields {
            field_rows(&mut t, &ts, f, "instance", 0, p);
        }
        for (f, v) in &statics {
            match v {
                Ok(fv) => field_rows(&mut t, &ts, fv, "static", 0, p),
                Err(e) => t.row(vec![
                    hex_ptr(f.type_handle.unwrap_or(0), p),
                    format!("{:x}", f.token & 0x00FF_FFFF),
                    format!("{:x}", f.offset),
                    f.type_name.clone(),
                    "0".into(),
                    "static".into(),
                    "?".into(),
                    format!("{} <unresolved: {e}>", f.name),
                ]),
            }
        }
        s.push_str(&t.render());
        s
    })
}

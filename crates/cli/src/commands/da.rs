//! `clrscope da ADDR`: an array and its elements, like SOS `!dumparray`.

use super::Ctx;
use super::dumpobj::{field_rows, value_json};
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use clr_heap::types::{TypeSystem, Value};
use serde::Serialize;

/// Elements shown at most without `--length`: a 100-million-element array
/// must not flood the terminal or the JSON.
const DEFAULT_MAX: u64 = 10_000;

#[derive(Serialize)]
struct Element {
    index: u64,
    address: String,
    value: serde_json::Value,
}

#[derive(Serialize)]
struct Body {
    address: String,
    name: String,
    method_table: String,
    element_type: String,
    element_method_table: String,
    rank: u32,
    length: u64,
    dimensions: Vec<u32>,
    lower_bounds: Vec<i32>,
    component_size: u32,
    start: u64,
    elements: Vec<Element>,
    truncated: bool,
}

/// Runs the command.
pub fn run(
    ctx: &Ctx,
    address: u64,
    start: u64,
    length: Option<u64>,
    details: bool,
) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let ts = TypeSystem::new(&rt);
    let a = ts.array(address)?;
    let want = length.unwrap_or(DEFAULT_MAX);
    let end = a.length.min(start.saturating_add(want));
    let mut values = Vec::new();
    for i in start..end {
        let addr = a.data.wrapping_add(i * u64::from(a.component_size));
        let v = ts.array_element(&a, i).unwrap_or_else(|e| Value::Unavailable(e.to_string()));
        values.push((i, addr, v));
    }
    let truncated = length.is_none() && a.length > end;
    if truncated {
        ctx.warn(format!(
            "showing {} of {} elements; use --start/--length for the rest",
            end - start,
            a.length
        ));
    }
    let body = Body {
        address: jhex(a.address),
        name: a.type_name.clone(),
        method_table: jhex(a.mt),
        element_type: a.element_type_name.clone(),
        element_method_table: jhex(a.element_type),
        rank: a.rank,
        length: a.length,
        dimensions: a.dimensions.clone(),
        lower_bounds: a.lower_bounds.clone(),
        component_size: a.component_size,
        start,
        elements: values
            .iter()
            .map(|(i, ad, v)| Element { index: *i, address: jhex(*ad), value: value_json(v) })
            .collect(),
        truncated,
    };
    ctx.finish("da", &body, || {
        let p = ctx.ptr();
        let mut s = String::new();
        s.push_str(&format!("Name:        {}\n", a.type_name));
        s.push_str(&format!("MethodTable: {}\n", hex_ptr(a.mt, p)));
        s.push_str(&format!(
            "Array:       Rank {}, Number of elements {}, Type {}\n",
            a.rank,
            a.length,
            if a.element_is_value_type { a.element_type_name.as_str() } else { "CLASS" }
        ));
        if a.rank > 1 || !a.is_sz {
            let dims: Vec<String> = a
                .dimensions
                .iter()
                .zip(&a.lower_bounds)
                .map(|(d, l)| format!("[{l}..{}]", i64::from(*l) + i64::from(*d) - 1))
                .collect();
            s.push_str(&format!("Dimensions:  {}\n", dims.join("")));
        }
        s.push_str(&format!("Element Methodtable: {}\n", hex_ptr(a.element_type, p)));
        for (i, addr, v) in &values {
            let shown = match v {
                Value::Null => "null".to_string(),
                Value::Object { address, type_name, .. } => format!("{} {type_name}", hex_ptr(*address, p)),
                Value::String { address, value: Ok(t) } => format!("{} {t:?}", hex_ptr(*address, p)),
                Value::Struct { .. } => hex_ptr(*addr, p),
                other => other.to_string(),
            };
            s.push_str(&format!("[{i}] {shown}\n"));
            if details {
                match v {
                    Value::Struct { fields, .. } => {
                        let mut t = Table::new(&[
                            "    >MT", ">Field", ">Offset", ">Type", "VT", ">Attr", ">Value", "Name",
                        ]);
                        for f in fields {
                            field_rows(&mut t, &ts, f, "instance", 0, p);
                        }
                        s.push_str(&t.render());
                    }
                    Value::Object { address, .. } => {
                        if let Ok(o) = ts.object(*address) {
                            let mut t = Table::new(&[
                                "    >MT", ">Field", ">Offset", ">Type", "VT", ">Attr", ">Value", "Name",
                            ]);
                            for f in &o.fields {
                                field_rows(&mut t, &ts, f, "instance", 0, p);
                            }
                            s.push_str(&t.render());
                        }
                    }
                    _ => {}
                }
            }
        }
        s
    })
}

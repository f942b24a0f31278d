//! A managed frame's parameters by name (`!clrstack -p`), from metadata.
//!
//! Their values need the method's GC info (which register or stack slot
//! holds each argument at the call site), which clrscope does not decode
//! yet; so every value is reported as unknown, with that reason, rather
//! than guessed from a register that the callee may have reused.

use crate::method::MethodName;
use clr_heap::types::TypeSystem;

/// Why argument values are not shown.
pub const VALUES_UNKNOWN: &str =
    "value not recovered: argument locations need the method's GC info, which is not decoded";

/// The parameter names of `m` in order, `this` first for instance methods.
pub fn parameter_names(types: &TypeSystem, m: &MethodName) -> Result<Vec<String>, String> {
    let module = types
        .modules()
        .into_iter()
        .find(|x| x.simple_name == m.module)
        .ok_or_else(|| format!("module {} is not open", m.module))?;
    let md = module.metadata().map_err(|e| e.to_string())?;
    let rid = m.token & 0x00FF_FFFF;
    let row = md.method(rid).map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    if !row.is_static() {
        names.push("this".to_string());
    }
    let sig = md.method_signature(rid).map_err(|e| e.to_string())?;
    let mut by_seq = std::collections::HashMap::new();
    for p in md.params_of(rid).map_err(|e| e.to_string())? {
        if let Ok(pr) = md.param(p) {
            by_seq.insert(pr.sequence, pr.name.to_string());
        }
    }
    for i in 1..=sig.params.len() as u16 {
        names.push(by_seq.remove(&i).unwrap_or_else(|| format!("<arg{i}>")));
    }
    Ok(names)
}

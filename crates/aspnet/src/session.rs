//! InProc session state (reference §10.5): `HttpSessionState._container` →
//! `HttpSessionStateContainer` {`_id`, `_timeout`, `_mode`, `_sessionItems`}
//! → `SessionStateItemCollection` (a `NameObjectCollectionBase`).

use crate::collections::{self, text_of};
use crate::fields::Reader;
use crate::scan::HTTP_CONTEXT;
use crate::systemweb::{SESSION_KEY, find_key};
use clr_heap::types::Value;

/// One session item.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionItem {
    /// Its key.
    pub key: String,
    /// Its value (a reference for objects and boxed values).
    pub value: Value,
    /// For boxed value types: the unboxed value.
    pub boxed: Option<Value>,
}

/// A session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The `HttpSessionState` (0 when the address given was the container).
    pub state: u64,
    /// The `HttpSessionStateContainer`.
    pub container: u64,
    /// `_id`.
    pub id: Option<String>,
    /// `_timeout` in minutes.
    pub timeout_minutes: Option<i64>,
    /// `_mode` (`InProc`, `StateServer`, `SQLServer`, …).
    pub mode: Option<String>,
    /// `_newSession`.
    pub is_new: Option<bool>,
    /// `_isReadonly`.
    pub read_only: Option<bool>,
    /// `_abandon`.
    pub abandoned: Option<bool>,
    /// The item collection.
    pub collection: Option<u64>,
    /// The items in insertion order.
    pub items: Vec<SessionItem>,
    /// Why items are missing, when they are (out-of-proc sessions keep
    /// undeserialized items in `_serializedItems`).
    pub note: Option<String>,
}

/// The session at `addr`: an `HttpSessionState`, its container, or an
/// `HttpContext` (its `_items["AspSession"]`).
pub fn read_session(r: &Reader, addr: u64) -> Result<Session, String> {
    let name = r.type_name(addr).ok_or_else(|| format!("{addr:#x} is not a valid object"))?;
    let (state, container) = if name == HTTP_CONTEXT {
        let items = r.reference(addr, &["_items"]).ok_or("the HttpContext has no _items")?;
        let state =
            find_key(r, items, SESSION_KEY).ok_or("the request has no session (_items has no AspSession)")?;
        (state, r.reference(state, &["_container"]).ok_or("the HttpSessionState has no _container")?)
    } else if r.has_field(addr, "_container") {
        (addr, r.reference(addr, &["_container"]).ok_or("the HttpSessionState's _container is null")?)
    } else if r.has_field(addr, "_sessionItems") {
        (0, addr)
    } else {
        return Err(format!(
            "{addr:#x} is a {name}, not a session (HttpSessionState, its container or an HttpContext)"
        ));
    };
    let c = container;
    let mut s = Session {
        state,
        container: c,
        id: r.string(c, &["_id"]),
        timeout_minutes: r.int(c, &["_timeout"]).map(|v| v as i64),
        mode: match r.field(c, &["_mode"]) {
            Some(Value::Enum { name, .. }) => Some(name),
            Some(v) => v.as_i128().map(|n| n.to_string()),
            None => None,
        },
        is_new: r.boolean(c, &["_newSession"]),
        read_only: r.boolean(c, &["_isReadonly"]),
        abandoned: r.boolean(c, &["_abandon"]),
        collection: r.reference(c, &["_sessionItems"]),
        items: Vec::new(),
        note: None,
    };
    match s.collection {
        None => s.note = Some("the container's _sessionItems is null".into()),
        Some(coll) => match collections::name_object(r, coll) {
            Ok(entries) => {
                s.items = entries
                    .into_iter()
                    .map(|e| {
                        let boxed = boxed_value(r, &e.value);
                        SessionItem { key: text_of(&e.key), value: e.value, boxed }
                    })
                    .collect();
                if s.items.is_empty() && r.reference(coll, &["_serializedItems"]).is_some() {
                    s.note =
                        Some("items are still serialized (_serializedItems): not deserialized yet".into());
                }
            }
            Err(e) => s.note = Some(e),
        },
    }
    Ok(s)
}

/// The unboxed value of a boxed value type.
pub fn boxed_value(r: &Reader, v: &Value) -> Option<Value> {
    let Value::Object { address, .. } = v else { return None };
    r.types.object(*address).ok()?.boxed
}

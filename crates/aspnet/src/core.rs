//! ASP.NET Core on Kestrel (reference §10.7, NetExt `!whttpcore`): one
//! request per `Http1Connection` / `Http2Stream` / `Http3Stream` (Kestrel's
//! `HttpProtocol` subclasses), from `_methodText` / `<Method>k__BackingField`,
//! `<Path>k__BackingField`, `<QueryString>k__BackingField`, `_statusCode`,
//! `_requestProcessingStatus` and the activity's start time. Kestrel runs
//! requests asynchronously: no thread is bound to a request.
//!
//! No fixture holds Kestrel objects; the field names follow NetExt and the
//! ASP.NET Core sources, and the pure decisions below are unit-tested.

use crate::fields::Reader;
use crate::request::{Flavor, Request};
use clr_heap::types::Value;

/// `HttpMethod` (Kestrel's byte enum) → text, in declaration order.
const METHODS: [&str; 9] = ["GET", "PUT", "DELETE", "POST", "HEAD", "TRACE", "PATCH", "CONNECT", "OPTIONS"];

/// Kestrel's `RequestProcessingStatus` values that mean "no request running".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `RequestPending` (0): a keep-alive connection between requests.
    Idle,
    /// Parsing, app started, headers committed or flushed.
    Running,
    /// `ResponseCompleted`.
    Completed,
}

/// Decodes `_requestProcessingStatus` (by member name when the enum is
/// named, else by value: 0 pending … 6 completed).
pub fn phase(v: &Value) -> Option<Phase> {
    if let Value::Enum { name, .. } = v {
        return Some(match name.as_str() {
            "RequestPending" => Phase::Idle,
            "ResponseCompleted" => Phase::Completed,
            _ => Phase::Running,
        });
    }
    Some(match v.as_i128()? {
        0 => Phase::Idle,
        6 => Phase::Completed,
        _ => Phase::Running,
    })
}

/// The method text from `_methodText`, else the `HttpMethod` enum.
pub fn method_name(text: Option<String>, enum_value: Option<&Value>) -> Option<String> {
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        return Some(t);
    }
    match enum_value? {
        Value::Enum { name, .. }
            if !name.starts_with(char::is_numeric) && name != "None" && name != "Custom" =>
        {
            Some(name.to_ascii_uppercase())
        }
        v => METHODS.get(usize::try_from(v.as_i128()?).ok()?).map(|s| s.to_string()),
    }
}

/// Reads one Kestrel request object.
pub fn read_kestrel(r: &Reader, obj: u64) -> Request {
    let s = |names: &[&str]| r.string(obj, names);
    let verb = method_name(
        s(&["_methodText"]),
        r.field(obj, &["<Method>k__BackingField", "_Method_k__BackingField"]).as_ref(),
    );
    let phase = r.field(obj, &["_requestProcessingStatus"]).as_ref().and_then(phase);
    let started = r
        .path(
            obj,
            &[&["_currentIHttpActivityFeature"], &["<Activity>k__BackingField", "_Activity_k__BackingField"]],
        )
        .and_then(|a| r.datetime(a, &["<StartTimeUtc>k__BackingField", "_StartTimeUtc_k__BackingField"]));
    let mut notes = Vec::new();
    if phase.is_none() {
        notes.push("no _requestProcessingStatus: completion unknown".into());
    }
    Request {
        context: obj,
        flavor: Flavor::Core,
        request: None,
        response: None,
        worker: None,
        verb,
        path: s(&["<Path>k__BackingField", "_Path_k__BackingField"]),
        query_string: s(&["<QueryString>k__BackingField", "_QueryString_k__BackingField"])
            .map(|q| q.trim_start_matches('?').to_string()),
        full_url: None,
        raw_url: s(&["<RawTarget>k__BackingField", "_RawTarget_k__BackingField"]),
        status_code: r.int(obj, &["_statusCode"]).map(|v| v as i32),
        completed: phase.map(|p| p != Phase::Running),
        pipeline_finished: None,
        ended: None,
        started,
        worker_started: None,
        timeout: None,
        thread: None,
        session: None,
        session_id: None,
        session_locked: None,
        errors: Vec::new(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::{Phase, method_name, phase};
    use clr_heap::types::Value;

    #[test]
    fn method_from_text_or_enum() {
        assert_eq!(method_name(Some("PATCH".into()), None).as_deref(), Some("PATCH"));
        assert_eq!(method_name(None, Some(&Value::U8(3))).as_deref(), Some("POST"));
        let e =
            Value::Enum { type_name: "HttpMethod".into(), value: Box::new(Value::U8(0)), name: "Get".into() };
        assert_eq!(method_name(Some(String::new()), Some(&e)).as_deref(), Some("GET"));
        assert_eq!(method_name(None, Some(&Value::U8(255))), None);
    }

    #[test]
    fn phases() {
        assert_eq!(phase(&Value::I32(0)), Some(Phase::Idle));
        assert_eq!(phase(&Value::I32(3)), Some(Phase::Running));
        assert_eq!(phase(&Value::I32(6)), Some(Phase::Completed));
        let e = Value::Enum {
            type_name: "S".into(),
            value: Box::new(Value::I32(6)),
            name: "ResponseCompleted".into(),
        };
        assert_eq!(phase(&e), Some(Phase::Completed));
        assert_eq!(phase(&Value::Null), None);
    }
}

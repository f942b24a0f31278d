//! Everything one System.Web request holds (`request ADDR`): headers, form,
//! cookies, server variables, content, items, errors, the response.

use crate::collections::{self, Entry, text_of};
use crate::fields::Reader;
use crate::request::Request;
use clr_heap::types::Value;

/// `HttpWorkerRequest.GetKnownRequestHeaderName(i)`: the index of each known
/// request header in `IIS7WorkerRequest._knownRequestHeaders` (`HeaderCacheControl` = 0 …
/// `HeaderUserAgent` = 39).
pub const KNOWN_REQUEST_HEADERS: [&str; 40] = [
    "Cache-Control",
    "Connection",
    "Date",
    "Keep-Alive",
    "Pragma",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Via",
    "Warning",
    "Allow",
    "Content-Length",
    "Content-Type",
    "Content-Encoding",
    "Content-Language",
    "Content-Location",
    "Content-MD5",
    "Content-Range",
    "Expires",
    "Last-Modified",
    "Accept",
    "Accept-Charset",
    "Accept-Encoding",
    "Accept-Language",
    "Authorization",
    "Cookie",
    "Expect",
    "From",
    "Host",
    "If-Match",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Max-Forwards",
    "Proxy-Authorization",
    "Referer",
    "Range",
    "TE",
    "User-Agent",
];

/// A named collection of the request and its entries (or why it is unreadable).
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    /// Which field (`_headers`, `_form`, …).
    pub name: &'static str,
    /// The collection object.
    pub address: u64,
    /// Its entries, or why they could not be read.
    pub entries: Result<Vec<Entry>, String>,
}

/// The response side.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResponseDetail {
    /// `_statusCode`.
    pub status_code: Option<i32>,
    /// `_subStatusCode`.
    pub sub_status: Option<i32>,
    /// `_statusDescription`.
    pub status_description: Option<String>,
    /// `_contentType`.
    pub content_type: Option<String>,
    /// `_charSet`.
    pub charset: Option<String>,
    /// `_redirectLocation`.
    pub redirect_location: Option<String>,
    /// `_headersWritten`.
    pub headers_written: Option<bool>,
    /// `_customHeaders` (ArrayList of header strings or objects) and `_headers`.
    pub headers: Vec<String>,
}

/// One request in full.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDetail {
    /// The row `requests` prints.
    pub request: Request,
    /// Request headers from the worker request (known by index, then unknown pairs).
    pub headers: Vec<(String, String)>,
    /// `HttpRequest._contentType`.
    pub content_type: Option<String>,
    /// `HttpRequest._contentLength` (`-1`: not read), else the worker request's `_contentTotalLength`.
    pub content_length: Option<i64>,
    /// `HttpRequest._pathTranslated`, else the worker request's.
    pub path_translated: Option<String>,
    /// The request's collections that exist (`_headers`, `_form`, `_cookies`, `_serverVariables`, `_queryString`, `_params`, `_files`).
    pub collections: Vec<Collection>,
    /// `HttpContext._items`.
    pub items: Result<Vec<Entry>, String>,
    /// The exceptions in `_errors`: address, type, message.
    pub errors: Vec<(u64, String, Option<String>)>,
    /// The response.
    pub response: ResponseDetail,
}

/// Reads everything around `req`.
pub fn read_detail(r: &Reader, req: Request) -> RequestDetail {
    let q = req.request.unwrap_or(0);
    let wr = req.worker.as_ref().map_or(0, |w| w.0);
    let collections =
        ["_headers", "_form", "_cookies", "_serverVariables", "_queryString", "_params", "_files"]
            .into_iter()
            .filter_map(|name| {
                let address = r.reference(q, &[name])?;
                Some(Collection { name, address, entries: collections::entries(r, address) })
            })
            .collect();
    let content_length = r
        .int(q, &["_contentLength"])
        .filter(|&v| v >= 0)
        .or_else(|| r.int(wr, &["_contentTotalLength"]))
        .map(|v| v as i64);
    let items = match r.reference(req.context, &["_items"]) {
        Some(i) => collections::entries(r, i),
        None => Ok(Vec::new()),
    };
    let errors = req
        .errors
        .iter()
        .map(|&e| {
            let message = r.string(e, &["_message"]);
            (e, r.type_name(e).unwrap_or_default(), message)
        })
        .collect();
    let response = req.response.map(|p| response(r, p)).unwrap_or_default();
    RequestDetail {
        headers: worker_headers(r, wr),
        content_type: r.string(q, &["_contentType"]).filter(|s| !s.is_empty()),
        content_length,
        path_translated: r.string(q, &["_pathTranslated"]).or_else(|| r.string(wr, &["_pathTranslated"])),
        collections,
        items,
        errors,
        response,
        request: req,
    }
}

/// `_knownRequestHeaders` (string[] by header index) and
/// `_unknownRequestHeaders` (string[][] of name/value pairs).
fn worker_headers(r: &Reader, wr: u64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(known) = r.reference(wr, &["_knownRequestHeaders"]) {
        for (i, v) in collections::array_elements(r, known).unwrap_or_default().iter().enumerate() {
            if let Value::String { value: Ok(s), .. } = v {
                let name =
                    KNOWN_REQUEST_HEADERS.get(i).map_or_else(|| format!("header #{i}"), |n| n.to_string());
                out.push((name, s.clone()));
            }
        }
    }
    if let Some(unknown) = r.reference(wr, &["_unknownRequestHeaders"]) {
        for pair in collections::array_elements(r, unknown).unwrap_or_default() {
            let Some(p) = pair.reference().filter(|&a| a != 0) else { continue };
            let kv = collections::array_elements(r, p).unwrap_or_default();
            if let [k, v, ..] = kv.as_slice() {
                out.push((text_of(k), text_of(v)));
            }
        }
    }
    out
}

fn response(r: &Reader, p: u64) -> ResponseDetail {
    let mut headers = Vec::new();
    for name in ["_customHeaders", "_headers"] {
        let Some(list) = r.reference(p, &[name]) else { continue };
        for e in collections::entries(r, list).unwrap_or_default() {
            match &e.value {
                Value::String { value: Ok(s), .. } => headers.push(s.clone()),
                // HttpResponseHeader {_unknownHeader, _value}
                Value::Object { address, .. } => {
                    let n = r.string(*address, &["_unknownHeader", "_name"]).unwrap_or_default();
                    let v = r.string(*address, &["_value"]).unwrap_or_default();
                    headers.push(format!("{n}: {v}"));
                }
                _ => {}
            }
        }
    }
    ResponseDetail {
        status_code: r.int(p, &["_statusCode"]).map(|v| v as i32),
        sub_status: r.int(p, &["_subStatusCode"]).map(|v| v as i32),
        status_description: r.string(p, &["_statusDescription"]),
        content_type: r.string(p, &["_contentType"]),
        charset: r.string(p, &["_charSet"]),
        redirect_location: r.string(p, &["_redirectLocation"]),
        headers_written: r.boolean(p, &["_headersWritten"]),
        headers,
    }
}

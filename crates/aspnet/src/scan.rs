//! One walk of the GC heap that finds the objects this crate reads —
//! System.Web's `HttpContext` and `HttpRuntime`, Kestrel's per-request
//! objects — by type name, and (when asked) records every object start in
//! the roots module's [`HeapIndex`] from the same walk ([`IndexBuilder`]).

use clr_heap::gc::walk::HeapItem;
use clr_heap::roots::HeapIndex;
use clr_heap::roots::index::IndexBuilder;
use clr_heap::types::TypeSystem;
use std::collections::HashMap;

/// `System.Web.HttpContext` (sealed in System.Web: exact name).
pub const HTTP_CONTEXT: &str = "System.Web.HttpContext";
/// `System.Web.HttpRuntime`, one per AppDomain.
pub const HTTP_RUNTIME: &str = "System.Web.HttpRuntime";
/// ASP.NET Core's per-request context.
pub const DEFAULT_HTTP_CONTEXT: &str = "Microsoft.AspNetCore.Http.DefaultHttpContext";
/// Kestrel's namespace; its `HttpProtocol` subclasses carry the request line.
const KESTREL: &str = "Microsoft.AspNetCore.Server.Kestrel.";
/// Kestrel's per-request `HttpProtocol` subclasses (reference §10.7, NetExt `!whttpcore`).
const KESTREL_REQUESTS: [&str; 3] = ["Http1Connection", "Http2Stream", "Http3Stream"];

/// What one object's type makes it for this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Context,
    Runtime,
    CoreContext,
    Kestrel,
    Other,
}

fn classify(name: &str) -> Kind {
    if name == HTTP_CONTEXT {
        return Kind::Context;
    }
    if name == HTTP_RUNTIME {
        return Kind::Runtime;
    }
    if name == DEFAULT_HTTP_CONTEXT {
        return Kind::CoreContext;
    }
    if let Some(rest) = name.strip_prefix(KESTREL) {
        // `…Internal.Http.Http1Connection`, `…Http2.Http2Stream`1[[…]]`: the simple name.
        let simple = rest.split('[').next().unwrap_or(rest).rsplit('.').next().unwrap_or(rest);
        if KESTREL_REQUESTS.iter().any(|k| simple.starts_with(k)) {
            return Kind::Kestrel;
        }
    }
    Kind::Other
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct HeapScan {
    /// `System.Web.HttpContext` objects, in address order.
    pub contexts: Vec<u64>,
    /// `System.Web.HttpRuntime` objects.
    pub runtimes: Vec<u64>,
    /// `Microsoft.AspNetCore.Http.DefaultHttpContext` objects.
    pub core_contexts: Vec<u64>,
    /// Kestrel `Http1Connection` / `Http2Stream` / `Http3Stream` objects.
    pub kestrel: Vec<u64>,
    /// Every MethodTable seen, with its name (empty when it has none).
    pub names: HashMap<u64, String>,
    /// Objects walked.
    pub objects: u64,
    /// Places the walk found no valid object (it resynchronised after each).
    pub invalid: u64,
    /// Every object start, when asked for.
    pub index: Option<HeapIndex>,
}

impl HeapScan {
    /// Walks the heap once; `with_index` also records every object start.
    pub fn collect(types: &TypeSystem, with_index: bool) -> clr_heap::Result<HeapScan> {
        let rt = types.runtime();
        let mut scan = HeapScan::default();
        let mut kinds: HashMap<u64, Kind> = HashMap::new();
        let mut cache = rt.mt_cache();
        let mut visit = |item: &HeapItem| {
            let o = match item {
                HeapItem::Object(o) => o,
                HeapItem::Invalid { .. } => {
                    scan.invalid += 1;
                    return;
                }
            };
            scan.objects += 1;
            let kind = *kinds.entry(o.mt).or_insert_with(|| {
                let name = types.type_name(o.mt).unwrap_or_default();
                let k = classify(&name);
                scan.names.insert(o.mt, name);
                k
            });
            match kind {
                Kind::Context => scan.contexts.push(o.address),
                Kind::Runtime => scan.runtimes.push(o.address),
                Kind::CoreContext => scan.core_contexts.push(o.address),
                Kind::Kestrel => scan.kestrel.push(o.address),
                Kind::Other => {}
            }
        };
        // The object index, when asked, comes from this same walk.
        let mut builder = if with_index { Some(IndexBuilder::new(rt)?) } else { None };
        let mut invalid = Vec::new();
        let mut walk = rt.walk(&mut cache)?;
        for item in walk.by_ref() {
            match (&item, builder.as_mut()) {
                (HeapItem::Object(o), Some(b)) => b.object(o.address),
                (HeapItem::Invalid { address, reason, .. }, Some(_)) => {
                    invalid.push((*address, reason.clone()))
                }
                _ => {}
            }
            visit(&item);
        }
        let stats = walk.stats.clone();
        drop(walk);
        scan.index = builder.map(|b| b.finish(invalid, stats)).transpose()?;
        Ok(scan)
    }

    /// MethodTables named exactly `type_name`, or when there is none, those
    /// whose name contains it (as `dumpheap --type` matches).
    pub fn matching_mts(&self, type_name: &str) -> Vec<u64> {
        let exact: Vec<u64> = self.names.iter().filter(|(_, n)| *n == type_name).map(|(m, _)| *m).collect();
        if !exact.is_empty() {
            return exact;
        }
        let mut v: Vec<u64> =
            self.names.iter().filter(|(_, n)| n.contains(type_name)).map(|(m, _)| *m).collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, classify};

    #[test]
    fn classifies_by_name() {
        assert_eq!(classify("System.Web.HttpContext"), Kind::Context);
        assert_eq!(classify("System.Web.HttpContextBase"), Kind::Other);
        assert_eq!(classify("System.Web.HttpRuntime"), Kind::Runtime);
        assert_eq!(classify("Microsoft.AspNetCore.Http.DefaultHttpContext"), Kind::CoreContext);
        assert_eq!(
            classify("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.Http1Connection"),
            Kind::Kestrel
        );
        assert_eq!(
            classify(
                "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http2.Http2Stream`1[[Microsoft.AspNetCore.Hosting.HostingApplication+Context, Microsoft.AspNetCore.Hosting]]"
            ),
            Kind::Kestrel
        );
        assert_eq!(
            classify("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpParser`1"),
            Kind::Other
        );
    }
}

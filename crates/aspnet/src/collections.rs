//! The BCL collections System.Web keeps its state in, read by field names:
//! `Hashtable` (`_buckets`/`buckets` of `bucket {key, val, hash_coll}`),
//! `ArrayList` (`_items`, `_size`), `NameObjectCollectionBase`
//! (`_entriesArray` of `NameObjectEntry {Key, Value}`) and plain arrays.

use crate::fields::Reader;
use clr_heap::types::Value;

/// Most entries read from one collection: real request collections hold
/// dozens; a damaged count must not become a long loop.
pub const MAX_ENTRIES: u64 = 4096;

/// One key/value pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key (a string for every System.Web collection).
    pub key: Value,
    /// The value.
    pub value: Value,
}

impl Entry {
    /// The key as text (strings unquoted, others as they print).
    pub fn key_text(&self) -> String {
        text_of(&self.key)
    }
}

/// A value as text: strings without quotes, everything else as it prints.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String { value: Ok(s), .. } => s.clone(),
        other => other.to_string(),
    }
}

/// The elements of the array at `array` (at most `MAX_ENTRIES`).
pub fn array_elements(r: &Reader, array: u64) -> Result<Vec<Value>, String> {
    let info = r.types.array(array).map_err(|e| e.to_string())?;
    (0..info.length.min(MAX_ENTRIES))
        .map(|i| r.types.array_element(&info, i).map_err(|e| e.to_string()))
        .collect()
}

/// The first `_size` elements of the `ArrayList` at `list`.
pub fn array_list(r: &Reader, list: u64) -> Result<Vec<Value>, String> {
    let items = r.reference(list, &["_items"]).ok_or("the ArrayList has no _items array")?;
    let size = r.int(list, &["_size"]).ok_or("the ArrayList has no _size")?;
    let mut all = array_elements(r, items)?;
    let size = usize::try_from(size.max(0)).unwrap_or(usize::MAX);
    all.truncate(size);
    Ok(all)
}

/// The live entries of the `Hashtable` at `table`, in bucket order.
pub fn hashtable(r: &Reader, table: u64) -> Result<Vec<Entry>, String> {
    let buckets = r.reference(table, &["_buckets", "buckets"]).ok_or("the Hashtable has no buckets array")?;
    let mut out = Vec::new();
    for b in array_elements(r, buckets)? {
        let Value::Struct { fields, .. } = b else { continue };
        let get = |n: &str| fields.iter().find(|f| f.field.name == n).map(|f| f.value.clone());
        let Some(key) = get("key") else { continue };
        // Empty buckets hold null; removed ones hold the bucket array itself.
        match key.reference() {
            Some(0) => continue,
            Some(a) if a == buckets => continue,
            _ => {}
        }
        out.push(Entry { key, value: get("val").unwrap_or(Value::Unavailable("no val field".into())) });
    }
    Ok(out)
}

/// The entries of a `NameObjectCollectionBase` (session items, headers,
/// form, cookies, server variables) in insertion order.
pub fn name_object(r: &Reader, coll: u64) -> Result<Vec<Entry>, String> {
    let entries = r.reference(coll, &["_entriesArray"]).ok_or("the collection has no _entriesArray")?;
    let mut out = Vec::new();
    for e in array_list(r, entries)? {
        let Some(obj) = e.reference().filter(|&a| a != 0) else { continue };
        let key = r.field(obj, &["Key"]).unwrap_or(Value::Unavailable("no Key field".into()));
        let value = r.field(obj, &["Value"]).unwrap_or(Value::Unavailable("no Value field".into()));
        out.push(Entry { key, value });
    }
    Ok(out)
}

/// Any of the collections above, recognised by its fields: System.Web
/// keeps some state in `Hashtable`s and some in `NameValueCollection`s.
pub fn entries(r: &Reader, coll: u64) -> Result<Vec<Entry>, String> {
    if r.has_field(coll, "_entriesArray") {
        name_object(r, coll)
    } else if r.has_field(coll, "_buckets") || r.has_field(coll, "buckets") {
        hashtable(r, coll)
    } else if r.has_field(coll, "_items") && r.has_field(coll, "_size") {
        let items = array_list(r, coll)?;
        Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| Entry { key: Value::I64(i as i64), value: v })
            .collect())
    } else {
        Err(format!("{} is not a collection this reader knows", r.type_name(coll).unwrap_or_default()))
    }
}

//! The type system against the truth the process recorded: every type name,
//! every named object's fields and values, every array's shape and
//! elements, every string; the partial (`--withheap`) dumps through the
//! assembly-dir fallback.

use clr_heap::metadata::format_guid;
use clr_heap::types::{FieldValue, ImageRoute, TypeSystem, Value};
use clr_heap::{Options, Runtime};
use dump_format::Dump;
use serde_json::Value as Json;

use testkit::hex;

/// Opens a fixture: its truth, dump and options (runtime dir as the process
/// saw it; assembly dirs: the fixture folder, which holds `ShopApp.exe`).
fn open(name: &str) -> Option<(Json, Dump, Options)> {
    let dir = testkit::generated(name)?;
    let truth: Json = testkit::truth(&dir);
    let dump = Dump::open(testkit::dump_file(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let options = testkit::clr_options(&dir);
    Some((truth, dump, options))
}

/// Opens the runtime: every generated dump must open (a failure fails the test).
fn runtime<'d>(name: &str, dump: &'d Dump, options: &Options) -> Option<Runtime<'d>> {
    match Runtime::open(dump, options) {
        Ok(rt) => Some(rt),
        Err(e) => panic!("{name}: {e}"),
    }
}

/// Every truth type with an `mt` has that name.
fn check_type_names(name: &str, truth: &Json, ts: &TypeSystem) -> usize {
    let mut n = 0;
    for t in truth["types"].as_array().into_iter().flatten() {
        let Some(mt) = hex(&t["mt"]) else { continue };
        let want = t["type"].as_str().unwrap_or_default();
        let got = ts.type_name(mt).unwrap_or_else(|e| panic!("{name}: type_name({mt:#x}) for {want}: {e}"));
        assert_eq!(got, want, "{name}: name of {mt:#x}");
        n += 1;
    }
    n
}

/// The runtime's special types: the free type and `System.__Canon`.
fn check_special_names(name: &str, rt: &Runtime, ts: &TypeSystem) {
    let mem = rt.dump.memory();
    for (global, want) in
        [("g_pFreeObjectMethodTable", "Free"), ("g_pCanonMethodTableClass", "System.__Canon")]
    {
        let mt = rt.globals.address(global).and_then(|a| mem.ptr(a).ok());
        let mt = mt.unwrap_or_else(|| panic!("{name}: {global} not found"));
        assert_eq!(ts.type_name(mt).ok().as_deref(), Some(want), "{name}: name of {global} {mt:#x}");
    }
}

/// Every verified object record anywhere in the truth (`address` + `mt` +
/// `type`) has that type name.
fn check_all_records(truth: &Json, ts: &TypeSystem, errors: &mut Vec<String>) -> usize {
    let mut n = 0;
    let mut stack = vec![truth];
    while let Some(v) = stack.pop() {
        match v {
            Json::Object(map) => {
                if let (Some(mt), Some(want)) = (hex(&v["mt"]), v["type"].as_str()) {
                    if v.get("address").is_some() {
                        match ts.type_name(mt) {
                            Ok(got) if got == want => n += 1,
                            Ok(got) => errors.push(format!("name of {mt:#x}: {got} != {want}")),
                            Err(e) => errors.push(format!("name of {mt:#x} ({want}): {e}")),
                        }
                    }
                }
                stack.extend(map.values());
            }
            Json::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    n
}

/// Compares one value with its truth encoding (README "Value encoding").
fn value_eq(ts: &TypeSystem, want: &Json, got: &Value, at: &str, errors: &mut Vec<String>) {
    let mut fail = |why: String| errors.push(format!("{at}: {why} (got {got:?})"));
    let kind = want["kind"].as_str().unwrap_or_default();
    let int = || want["value"].as_i64().map(i128::from).or_else(|| want["value"].as_u64().map(i128::from));
    match (kind, got) {
        ("null", Value::Null) => {}
        ("string", Value::String { address, value }) => {
            if Some(*address) != hex(&want["address"]) || value.as_deref().ok() != want["string"].as_str() {
                fail(format!("want string {} at {}", want["string"], want["address"]));
            }
        }
        ("object", Value::Object { address, mt, type_name }) => {
            if Some(*address) != hex(&want["address"]) || Some(*mt) != hex(&want["mt"]) {
                fail(format!("want object {} mt {}", want["address"], want["mt"]));
            } else if Some(type_name.as_str()) != want["type"].as_str() {
                fail(format!("want type {}", want["type"]));
            } else if let Some(boxed) = want.get("boxed") {
                match ts.object(*address) {
                    Ok(o) => match &o.boxed {
                        Some(v) => value_eq(ts, boxed, v, &format!("{at} (boxed)"), errors),
                        None => errors.push(format!("{at}: object {address:#x} has no boxed value")),
                    },
                    Err(e) => errors.push(format!("{at}: object({address:#x}): {e}")),
                }
            }
        }
        ("int", v) if v.as_i128().is_some() && !matches!(v, Value::Enum { .. } | Value::Bool(_)) => {
            if v.as_i128() != int() {
                fail(format!("want int {}", want["value"]));
            }
        }
        ("bool", Value::Bool(b)) if want["value"].as_bool() == Some(*b) => {}
        ("char", Value::Char(c)) if want["value"].as_u64() == Some(u64::from(*c)) => {}
        ("float", Value::F64(f)) if want["bits"].as_str() == Some(&format!("{:#018x}", f.to_bits())) => {}
        ("float", Value::F32(f)) if want["bits"].as_str() == Some(&format!("{:#010x}", f.to_bits())) => {}
        ("decimal", Value::Decimal { raw, text }) => {
            let raw_hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            if want["value"].as_str() != Some(text) || want["raw"].as_str() != Some(&raw_hex) {
                fail(format!("want decimal {} raw {}", want["value"], want["raw"]));
            }
        }
        ("guid", Value::Guid(g)) if want["value"].as_str() == Some(&format_guid(g)) => {}
        ("datetime", Value::DateTime { ticks, kind, raw }) => {
            if want["ticks"].as_u64() != Some(*ticks)
                || want["datetime_kind"].as_str() != Some(kind.name())
                || hex(&want["date_data"]) != Some(*raw)
            {
                fail(format!("want datetime {} {}", want["ticks"], want["datetime_kind"]));
            }
        }
        ("timespan", Value::TimeSpan(t)) if want["ticks"].as_i64() == Some(*t) => {}
        ("pointer", Value::NativeInt(p)) if hex(&want["value"]) == Some(*p) => {}
        ("unmanaged_pointer", Value::Pointer(_)) => {}
        ("enum", Value::Enum { type_name, value, name }) => {
            if want["enum_type"].as_str() != Some(type_name)
                || value.as_i128() != int()
                || want["enum_name"].as_str() != Some(name)
            {
                fail(format!("want enum {} {} {}", want["enum_type"], want["value"], want["enum_name"]));
            }
        }
        ("struct", Value::Struct { type_name, fields, .. }) => {
            if want["struct_type"].as_str() != Some(type_name) {
                fail(format!("want struct {}", want["struct_type"]));
            }
            fields_eq(ts, &want["fields"], fields, at, errors);
        }
        _ => fail(format!("want {want}")),
    }
}

/// Every truth field is there with the same declared type and value, and no other.
fn fields_eq(ts: &TypeSystem, want: &Json, got: &[FieldValue], at: &str, errors: &mut Vec<String>) {
    let want = want.as_array().map(Vec::as_slice).unwrap_or_default();
    if want.len() != got.len() {
        let names: Vec<_> = got.iter().map(|f| f.field.name.as_str()).collect();
        errors.push(format!("{at}: {} fields, truth has {}: {names:?}", got.len(), want.len()));
    }
    for w in want {
        let (fname, decl) = (w["name"].as_str().unwrap_or_default(), w["declaring_type"].as_str());
        let Some(f) =
            got.iter().find(|f| f.field.name == fname && Some(f.field.declaring_type.as_str()) == decl)
        else {
            errors.push(format!("{at}: no field {fname} declared by {decl:?}"));
            continue;
        };
        // References carry the runtime type; everything else the declared type.
        let kind = w["kind"].as_str().unwrap_or_default();
        if !matches!(kind, "object" | "string") && w["type"].as_str() != Some(f.field.type_name.as_str()) {
            errors.push(format!("{at}.{fname}: declared type {} != {}", f.field.type_name, w["type"]));
        }
        value_eq(ts, w, &f.value, &format!("{at}.{fname}"), errors);
    }
}

/// Objects, strings, boxed values and arrays of the truth's `objects`.
fn check_objects(truth: &Json, ts: &TypeSystem, errors: &mut Vec<String>) -> (usize, usize, usize) {
    let (mut objects, mut arrays, mut elements) = (0, 0, 0);
    for (key, o) in truth["objects"].as_object().into_iter().flatten() {
        let Some(addr) = hex(&o["address"]) else { continue };
        let obj = match ts.object(addr) {
            Ok(obj) => obj,
            Err(e) => {
                errors.push(format!("{key}: object({addr:#x}): {e}"));
                continue;
            }
        };
        objects += 1;
        if Some(obj.type_name.as_str()) != o["type"].as_str() || Some(obj.mt) != hex(&o["mt"]) {
            errors.push(format!(
                "{key}: type {} mt {:#x}, truth {} {}",
                obj.type_name, obj.mt, o["type"], o["mt"]
            ));
        }
        if let Some(s) = o["string"].as_str() {
            if obj.string.as_deref() != Some(s) {
                errors.push(format!("{key}: string {:?} != {s:?}", obj.string));
            }
        }
        if o.get("fields").is_some() {
            fields_eq(ts, &o["fields"], &obj.fields, key, errors);
        }
        if let Some(boxed) = o.get("boxed") {
            match &obj.boxed {
                Some(v) => value_eq(ts, boxed, v, &format!("{key} (boxed)"), errors),
                None => errors.push(format!("{key}: no boxed value")),
            }
        }
        if let Some(a) = o.get("array") {
            arrays += 1;
            elements += check_array(ts, key, addr, a, errors);
        }
    }
    (objects, arrays, elements)
}

fn check_array(ts: &TypeSystem, key: &str, addr: u64, want: &Json, errors: &mut Vec<String>) -> usize {
    let arr = match ts.array(addr) {
        Ok(a) => a,
        Err(e) => {
            errors.push(format!("{key}: array({addr:#x}): {e}"));
            return 0;
        }
    };
    let dims: Vec<u64> =
        want["dimensions"].as_array().into_iter().flatten().filter_map(Json::as_u64).collect();
    let lows: Vec<i64> =
        want["lower_bounds"].as_array().into_iter().flatten().filter_map(Json::as_i64).collect();
    let shape_ok = want["rank"].as_u64() == Some(u64::from(arr.rank))
        && want["is_szarray"].as_bool() == Some(arr.is_sz)
        && want["length"].as_u64() == Some(arr.length)
        && want["element_type"].as_str() == Some(arr.element_type_name.as_str())
        && want["element_is_value_type"].as_bool() == Some(arr.element_is_value_type)
        && dims == arr.dimensions.iter().map(|&d| u64::from(d)).collect::<Vec<_>>()
        && lows == arr.lower_bounds.iter().map(|&l| i64::from(l)).collect::<Vec<_>>();
    if !shape_ok {
        errors.push(format!("{key}: array shape {arr:?}, truth {want}"));
    }
    let mut n = 0;
    for (i, w) in want["elements"].as_array().into_iter().flatten().enumerate() {
        match ts.array_element(&arr, i as u64) {
            Ok(v) => value_eq(ts, w, &v, &format!("{key}[{i}]"), errors),
            Err(e) => errors.push(format!("{key}[{i}]: {e}")),
        }
        n += 1;
    }
    n
}

/// Every static of the truth (non-generic app types) has the same value.
fn check_statics(truth: &Json, ts: &TypeSystem, errors: &mut Vec<String>) -> usize {
    let mut n = 0;
    for w in truth["statics"].as_array().into_iter().flatten() {
        let (decl, fname) =
            (w["declaring_type"].as_str().unwrap_or_default(), w["name"].as_str().unwrap_or_default());
        let at = format!("static {decl}.{fname}");
        let Some(mt) = ts.find_type(decl) else {
            errors.push(format!("{at}: type not found"));
            continue;
        };
        let t = match ts.type_info(mt) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{at}: {e}"));
                continue;
            }
        };
        let Some(f) = t.static_fields.iter().find(|f| f.name == fname) else {
            errors.push(format!("{at}: no such static field"));
            continue;
        };
        match ts.static_value(&t, f) {
            Ok(v) => value_eq(ts, w, &v.value, &at, errors),
            Err(e) => errors.push(format!("{at}: {e}")),
        }
        n += 1;
    }
    n
}

fn run(name: &str) {
    let Some((truth, dump, options)) = open(name) else { return };
    let Some(rt) = runtime(name, &dump, &options) else { return };
    let ts = TypeSystem::new(&rt);
    if name.ends_with("-withheap") {
        check_partial(name, &truth, &ts);
    }
    let names = check_type_names(name, &truth, &ts);
    check_special_names(name, &rt, &ts);
    assert!(names >= 20, "{name}: only {names} type names checked");
    let mut errors = Vec::new();
    let records = check_all_records(&truth, &ts, &mut errors);
    let (objects, arrays, elements) = check_objects(&truth, &ts, &mut errors);
    let statics = check_statics(&truth, &ts, &mut errors);
    eprintln!(
        "{name}: {names} truth types, {records} object records named, {objects} objects, {arrays} arrays, \
         {elements} elements, {statics} statics"
    );
    for e in errors.iter().take(40) {
        eprintln!("{name}: MISMATCH {e}");
    }
    for c in ts.diagnostics().checks {
        eprintln!("{name}: check {} {} — {}", if c.passed { "ok  " } else { "FAIL" }, c.name, c.detail);
    }
    assert!(errors.is_empty(), "{name}: {} mismatches, first: {}", errors.len(), errors[0]);
    assert!(objects >= 100 && arrays >= 25, "{name}: only {objects} objects / {arrays} arrays checked");
    assert_eq!(ts.diagnostics().failures().count(), 0, "{name}: failed checks");
}

/// The partial dump lacks ShopApp's IL image: its metadata must come from
/// the copy beside the dump (the assembly dir), and say so.
fn check_partial(name: &str, truth: &Json, ts: &TypeSystem) {
    let Some(dir) = testkit::generated(name) else { return };
    let app = truth["objects"]["all-kinds"]["mt"].clone();
    let mt = hex(&app).unwrap_or_else(|| panic!("{name}: no all-kinds object in the truth"));
    let info = ts.type_info(mt).unwrap_or_else(|e| panic!("{name}: {e}"));
    let module = info.module.as_ref().unwrap_or_else(|| panic!("{name}: no module"));
    eprintln!("{name}: {} via {:?}", module.simple_name, module.route);
    match &module.route {
        Ok(ImageRoute::File { path }) => assert!(path.starts_with(&dir), "{name}: read {}", path.display()),
        other => panic!("{name}: ShopApp's metadata should come from the assembly dir, came from {other:?}"),
    }
}

#[test]
fn linux_x64_wks() {
    run("linux-x64-3.1-wks");
}

#[test]
fn linux_x64_wks_withheap() {
    run("linux-x64-3.1-wks-withheap");
}

#[test]
fn linux_x64_svr() {
    run("linux-x64-3.1-svr");
}

#[test]
fn win_x64_own() {
    run("win-x64-3.1-own");
}

#[test]
fn win_x64_dbghelp() {
    run("win-x64-3.1-dbghelp");
}

#[test]
fn win_x64_own_withheap() {
    run("win-x64-3.1-own-withheap");
}

#[test]
fn win_x86_own() {
    run("win-x86-3.1-own");
}

#[test]
fn win_x86_dbghelp() {
    run("win-x86-3.1-dbghelp");
}

#[test]
fn win_x86_21_own() {
    run("win-x86-2.1-own");
}

#[test]
fn win_x86_21_dbghelp() {
    run("win-x86-2.1-dbghelp");
}

/// Every object of the heap walk decodes (type, size, every field); values
/// a field cannot show are counted, not errors of the object. Misaligned
/// addresses and heap words taken as MethodTables give errors, never panics.
fn every_object_and_garbage(name: &str) {
    let Some((_, dump, options)) = open(name) else { return };
    let Some(rt) = runtime(name, &dump, &options) else { return };
    let ts = TypeSystem::new(&rt);
    let mut cache = rt.mt_cache();
    let objects: Vec<_> = rt
        .walk(&mut cache)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .filter_map(|i| match i {
            clr_heap::gc::HeapItem::Object(o) => Some(o),
            _ => None,
        })
        .collect();
    let mut failed = Vec::new();
    let mut unavailable = 0usize;
    for o in &objects {
        if ts.is_free(o.mt) {
            continue;
        }
        match ts.object(o.address) {
            Ok(obj) => {
                assert_eq!(obj.size, o.size, "{name}: size of {:#x}", o.address);
                unavailable += obj.fields.iter().filter(|f| matches!(f.value, Value::Unavailable(_))).count();
            }
            Err(e) => failed.push(format!("{:#x}: {e}", o.address)),
        }
    }
    eprintln!("{name}: {} objects decoded, {unavailable} field values unavailable", objects.len());
    assert!(
        failed.is_empty(),
        "{name}: {} objects fail, first {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    let mem = dump.memory();
    for o in objects.iter().step_by(97) {
        for off in [1u64, 4, 12, 40] {
            let _ = ts.object(o.address + off);
            let _ = ts.array(o.address + off);
            let _ = ts.string_at(o.address + off);
            if let Ok(word) = mem.ptr(o.address + off) {
                let _ = ts.type_name(word);
                let _ = ts.type_info(word);
            }
        }
    }
    for addr in [0, 1, u64::MAX, u64::MAX - 7, 0x7fff_ffff_ffff] {
        assert!(ts.object(addr).is_err() && ts.type_name(addr).is_err(), "{name}: {addr:#x} accepted");
    }
}

#[test]
fn every_object_linux_wks() {
    every_object_and_garbage("linux-x64-3.1-wks");
}

#[test]
fn every_object_win_x86_31() {
    every_object_and_garbage("win-x86-3.1-own");
}

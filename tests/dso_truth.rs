//! `dso --json` against the truth: every object listed is a real object
//! (the truth's objects with their MethodTables where they overlap), and
//! each in-flight request's thread holds its request on the stack.
//!
//! ShopApp's request frames hold the request's `System.Web.HttpContext` and
//! its worker request as locals while the request runs (as an IIS request
//! thread does), so `dso` of each in-flight request's thread must list both
//! directly, with the truth's addresses.

use clr_heap::Runtime;
use clr_heap::types::{TypeSystem, Value as FieldValue};
use clr_stack::{CodeMap, Methods, StackWalker, Threads};

use testkit::hex;

/// The object a reference field named `name` of the object at `obj` holds.
fn field_ref(types: &TypeSystem, obj: u64, name: &str) -> Option<u64> {
    let info = types.object(obj).ok()?;
    info.fields.iter().find(|f| f.field.name == name).and_then(|f| match &f.value {
        FieldValue::Object { address, .. } | FieldValue::String { address, .. } => Some(*address),
        _ => None,
    })
}

fn check(name: &str) {
    let Some((dir, truth, dump)) = testkit::open_generated(name) else { return };
    let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let types = TypeSystem::new(&rt);
    let threads = Threads::read(&types).unwrap_or_else(|e| panic!("{name}: {e}"));
    let methods = Methods::new(&types);
    let code = CodeMap::new(&methods);
    let walker = StackWalker::new(&code);
    let mut requests = 0;
    for r in truth["asp_net"]["requests"].as_array().into_iter().flatten() {
        let Some(id) = r["thread"]["managed_id"].as_u64() else { continue };
        let rname = r["name"].as_str().unwrap_or("?");
        let ctx = hex(&r["context"]["address"]).unwrap_or_else(|| panic!("{name}: {rname}: no context"));
        let th = threads.by_managed_id(id as u32).unwrap_or_else(|| panic!("{name}: {rname}: thread {id}"));
        let rec =
            &dump.threads()[th.dump_thread.unwrap_or_else(|| panic!("{name}: {rname}: thread {id} dead"))];
        let range = walker.stack_range(rec).unwrap_or_else(|| panic!("{name}: {rname}: no stack"));
        let objs = clr_stack::dso::stack_objects(&types, rec, range);
        assert!(!objs.is_empty(), "{name}: {rname}: no stack objects");
        for o in &objs {
            assert_eq!(types.object_mt(o.address).ok(), Some(o.method_table), "{name}: {rname}: {o:?}");
        }
        let listed = |addr: u64| objs.iter().any(|o| o.address == addr);
        assert!(listed(ctx), "{name}: {rname}: dso does not list the HttpContext {ctx:#x}");
        let wr = hex(&truth["objects"][format!("{rname}.wr")]["address"])
            .unwrap_or_else(|| panic!("{name}: {rname}: truth has no worker request"));
        assert!(listed(wr), "{name}: {rname}: dso does not list the worker request {wr:#x}");
        assert_eq!(field_ref(&types, ctx, "_wr"), Some(wr), "{name}: {rname}: the context's worker request");
        requests += 1;
    }
    assert!(requests >= 4, "{name}: only {requests} in-flight requests checked");
}

testkit::test_each_generated_dump!(check);

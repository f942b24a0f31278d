//! Exceptions (`clr-stack`, `!pe`) against the truth the process recorded:
//! type, `_message`, the inner chain and HResult of every truth exception;
//! the decoded `_stackTrace` names the truth's frames (innermost first) and
//! so the throw site; each thread's last thrown exception is the truth's.

use clr_heap::Runtime;
use clr_heap::types::TypeSystem;
use clr_stack::{Exceptions, Methods, Objects, Threads};
use dump_format::Dump;
use serde_json::Value;

use testkit::hex;

fn check(name: &str) {
    let Some((dir, truth, dump)) = testkit::open_generated(name) else { return };
    let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let types = TypeSystem::new(&rt);
    let (objects, methods) = (Objects::new(&types), Methods::new(&types));
    let exceptions = Exceptions::new(&objects, &methods);
    let (mut checked, mut frames_named) = (0, 0);
    for t in truth["exceptions"].as_array().into_iter().flatten() {
        let ename = t["name"].as_str().unwrap_or("?");
        let addr = hex(&t["address"]).unwrap_or_else(|| panic!("{name}: {ename}: no address"));
        let chain = exceptions.chain(addr).unwrap_or_else(|e| panic!("{name}: {ename}: {e}"));
        let e = &chain[0];
        assert_eq!(Some(e.type_name.as_str()), t["type"].as_str(), "{name}: {ename}: type");
        assert_eq!(
            e.message.clone().ok().flatten().as_deref(),
            t["message_field"].as_str(),
            "{name}: {ename}: _message"
        );
        assert_eq!(e.hresult.map(i64::from), t["hresult"].as_i64(), "{name}: {ename}: HResult");
        assert_eq!(
            e.inner.as_ref().map(|i| i.0),
            hex(&t["inner_object"]["address"]),
            "{name}: {ename}: inner"
        );
        if let Some((_, ty)) = &e.inner {
            assert_eq!(Some(ty.as_str()), t["inner_object"]["type"].as_str(), "{name}: {ename}: inner type");
            assert_eq!(chain[1].address, e.inner.as_ref().map_or(0, |i| i.0), "{name}: {ename}: chain");
        }
        let trace = e.stack_trace.clone().unwrap_or_else(|why| panic!("{name}: {ename}: _stackTrace: {why}"));
        let want: Vec<&str> =
            t["stack_trace"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let got: Vec<String> = trace
            .iter()
            .flat_map(|st| &st.frames)
            .map(|f| {
                f.method
                    .as_ref()
                    .map(|m| m.qualified.clone())
                    .unwrap_or_else(|w| format!("<unresolved: {w}>"))
            })
            .collect();
        eprintln!("{name}: {ename}: {} frames {got:?}", got.len());
        assert_eq!(got, want, "{name}: {ename}: stack trace (innermost first)");
        if let Some(site) = t["throw_site"].as_str().filter(|s| s.starts_with("Shop.")) {
            assert_eq!(got.first().map(String::as_str), Some(site), "{name}: {ename}: throw site");
        }
        frames_named += got.len();
        checked += 1;
    }
    assert!(checked >= 10, "{name}: only {checked} truth exceptions");

    // The thread that parked inside its catch block: its last thrown object is the truth's.
    let threads = Threads::read(&types).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut last = 0;
    for t in truth["threads"].as_array().into_iter().flatten() {
        let Some(ex) = t["last_thrown_exception"].as_str() else { continue };
        let want =
            truth["exceptions"].as_array().into_iter().flatten().find(|e| e["name"].as_str() == Some(ex));
        let th = threads.by_managed_id(t["managed_id"].as_u64().unwrap_or(0) as u32);
        let got = th.and_then(|th| th.last_thrown);
        assert_eq!(got, want.and_then(|w| hex(&w["address"])), "{name}: {}: last thrown", t["role"]);
        let info = exceptions.read(got.unwrap_or(0)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(Some(info.type_name.as_str()), want.and_then(|w| w["type"].as_str()));
        last += 1;
    }
    assert!(last >= 1, "{name}: no truth thread records a last thrown exception");
    eprintln!("{name}: {checked} exceptions equal, {frames_named} frames named, {last} last-thrown equal");
}

testkit::test_each_generated_dump!(check);

/// Not an exception: an error naming the type, never a made-up answer.
#[test]
fn a_thread_object_is_not_an_exception() {
    let Some(dir) = testkit::generated("linux-x64-3.1-wks") else { return };
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap_or_default())
            .unwrap_or(Value::Null);
    let dump = Dump::open(testkit::dump_file(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let types = TypeSystem::new(&rt);
    let (objects, methods) = (Objects::new(&types), Methods::new(&types));
    let thread = hex(&truth["threads"][0]["thread_object"]["address"]).unwrap_or(0);
    let err = Exceptions::new(&objects, &methods).read(thread).map(|e| e.type_name).unwrap_err().to_string();
    assert!(err.contains("does not derive from System.Exception"), "{err}");
    assert!(Exceptions::new(&objects, &methods).read(0x10).is_err());
}

/// `clrscope pe`: SOS's `!pe` layout for a truth exception; `--thread` and
/// `--all` find the last thrown exception; `--json` names every frame.
#[test]
fn cli_pe() {
    for name in ["linux-x64-3.1-wks", "win-x86-2.1-own"] {
        let Some(dir) = testkit::generated(name) else { continue };
        let truth: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap_or_default())
                .unwrap_or(Value::Null);
        let dump = testkit::arg(&testkit::dump_file(&dir));
        let ex = truth["exceptions"].as_array().into_iter().flatten().find(|e| e["name"] == "payment-error");
        let ex = ex.unwrap_or_else(|| panic!("{name}: no payment-error in the truth"));
        let addr = ex["address"].as_str().unwrap_or("0").to_string();
        let run = testkit::clrscope(&["pe".into(), dump.clone(), addr.clone().into(), "--nested".into()]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        for line in [
            "Exception object: ".to_string(),
            format!("Exception type:   {}", ex["type"].as_str().unwrap_or("?")),
            format!("Message:          {}", ex["message_field"].as_str().unwrap_or("?")),
            format!("InnerException:   {},", ex["inner_object"]["type"].as_str().unwrap_or("?")),
            "StackTrace (generated):".to_string(),
            "ShopApp!Shop.Services.PaymentService.ProcessPayment(".to_string(),
            "StackTraceString: <none>".to_string(),
            "HResult: 80047711".to_string(),
            "Nested exception".to_string(),
            "Exception type:   System.TimeoutException".to_string(),
        ] {
            assert!(run.stdout.contains(&line), "{name}: no {line:?} in\n{}", run.stdout);
        }
        let reporter =
            truth["threads"].as_array().into_iter().flatten().find(|t| t["role"] == "error-reporter");
        let id = reporter.and_then(|t| t["managed_id"].as_u64()).unwrap_or(0).to_string();
        let j =
            testkit::clrscope(&["pe".into(), dump.clone(), "--thread".into(), id.into(), "--json".into()])
                .json();
        assert_eq!(j["exceptions"][0]["address"].as_str(), Some(addr.as_str()), "{name}");
        assert_eq!(j["exceptions"][0]["stack_trace"][0]["method"], ex["throw_site"], "{name}");
        let all = testkit::clrscope(&["pe".into(), dump, "--all".into(), "--json".into()]).json();
        assert!(
            all["exceptions"].as_array().into_iter().flatten().any(|e| e["address"].as_str() == Some(&addr)),
            "{name}: --all misses the error reporter's exception"
        );
    }
}

//! Shared helpers of clrscope's end-to-end tests: where the fixtures are, the
//! third-party catalog, and running the CLI in-process.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/fixtures/third-party`: real dumps written by other people.
pub fn third_party_dir() -> PathBuf {
    root().join("../shared/fixtures/third-party")
}

/// Every entry of the third-party `catalog.json`, as JSON values.
pub fn catalog() -> Vec<Value> {
    let path = third_party_dir().join("catalog.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Array(v)) => v,
        other => panic!("{} is not a JSON array: {other:?}", path.display()),
    }
}

/// `fixtures/generated/`: the project's own dumps with their truth files.
pub fn generated_dir() -> PathBuf {
    root().join("fixtures/generated")
}

/// The folder of one generated dump, or `None` when it has not been
/// generated. When `CLRSCOPE_REQUIRE_FIXTURES` is set (as `tests/run` and CI
/// set it) a missing fixture is a test failure, never a silent skip.
pub fn generated(name: &str) -> Option<PathBuf> {
    let dir = generated_dir().join(name);
    if dir.join("truth.json").is_file() {
        return Some(dir);
    }
    if std::env::var_os("CLRSCOPE_REQUIRE_FIXTURES").is_some() {
        panic!("generated fixture {name} is missing in {}: run fixtures/generate", generated_dir().display());
    }
    eprintln!("skipping: generated fixture {name} is missing (run fixtures/generate)");
    None
}

/// What one in-process run of the CLI produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output parsed as JSON (panics with the output when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

/// Runs `clrscope ARGS...` in-process.
pub fn clrscope<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let mut argv: Vec<std::ffi::OsString> = vec!["clrscope".into()];
    argv.extend(args.iter().map(|a| a.as_ref().to_os_string()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = clrscope::run(argv, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

/// A path as an argument.
pub fn arg(p: &Path) -> std::ffi::OsString {
    p.as_os_str().to_os_string()
}

/// Options for opening the runtime of a generated dump: the runtime folder
/// the process used (a Windows path under Wine's `Z:` drive is the same
/// path on this machine) and the dump's own folder, which holds the app's
/// assembly — what a user passes as `--runtime-dir` / `--assembly-dir` for a
/// heap-only dump.
pub fn clr_options(dir: &Path) -> clr_heap::Options {
    let truth: Value = std::fs::read_to_string(dir.join("truth.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let mut runtime_dirs = Vec::new();
    if let Some(rd) = truth["runtime"]["runtime_directory"].as_str() {
        let unix = match rd.strip_prefix("Z:").or_else(|| rd.strip_prefix("z:")) {
            Some(rest) => rest.replace('\\', "/"),
            None => rd.to_string(),
        };
        runtime_dirs.push(PathBuf::from(unix));
    }
    let mut assembly_dirs = vec![dir.to_path_buf()];
    assembly_dirs.extend(runtime_dirs.iter().cloned());
    clr_heap::Options { runtime_dirs, assembly_dirs, ..Default::default() }
}

/// The dump file of a generated fixture folder.
pub fn dump_file(dir: &Path) -> PathBuf {
    ["core", "dump.dmp"].iter().map(|f| dir.join(f)).find(|p| p.is_file()).unwrap_or_else(|| dir.join("core"))
}

/// Every dump the fixture pipeline makes by default (see fixtures/README.md).
pub const GENERATED: &[&str] = &[
    "linux-x64-3.1-wks",
    "linux-x64-3.1-svr",
    "linux-x64-3.1-wks-withheap",
    "win-x64-3.1-own",
    "win-x64-3.1-dbghelp",
    "win-x64-3.1-own-withheap",
    "win-x86-3.1-own",
    "win-x86-3.1-dbghelp",
    "win-x86-2.1-own",
    "win-x86-2.1-dbghelp",
];

/// One `#[test]` per generated dump, each calling `$check(name)`, so a
/// failure names its dump and the others still run.
#[macro_export]
macro_rules! test_each_generated_dump {
    ($check:path) => {
        #[test]
        fn linux_x64_wks() {
            $check("linux-x64-3.1-wks");
        }
        #[test]
        fn linux_x64_svr() {
            $check("linux-x64-3.1-svr");
        }
        #[test]
        fn linux_x64_wks_withheap() {
            $check("linux-x64-3.1-wks-withheap");
        }
        #[test]
        fn win_x64_own() {
            $check("win-x64-3.1-own");
        }
        #[test]
        fn win_x64_dbghelp() {
            $check("win-x64-3.1-dbghelp");
        }
        #[test]
        fn win_x64_own_withheap() {
            $check("win-x64-3.1-own-withheap");
        }
        #[test]
        fn win_x86_own() {
            $check("win-x86-3.1-own");
        }
        #[test]
        fn win_x86_dbghelp() {
            $check("win-x86-3.1-dbghelp");
        }
        #[test]
        fn win_x86_21_own() {
            $check("win-x86-2.1-own");
        }
        #[test]
        fn win_x86_21_dbghelp() {
            $check("win-x86-2.1-dbghelp");
        }
    };
}

/// The truth file of a generated fixture folder (panics, naming the folder,
/// when it is missing or not JSON: a fixture without truth proves nothing).
pub fn truth(dir: &Path) -> Value {
    let path = dir.join("truth.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A truth address (`"0x…"`) as a number.
pub fn hex(v: &Value) -> Option<u64> {
    v.as_str().and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
}

/// A generated fixture opened: its folder, truth and dump (`None` when it
/// is not generated; see [`generated`]).
pub fn open_generated(name: &str) -> Option<(PathBuf, Value, dump_format::Dump)> {
    let dir = generated(name)?;
    let truth = truth(&dir);
    let dump = dump_format::Dump::open(dump_file(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
    Some((dir, truth, dump))
}

/// The dump a benchmark runs on: the first non-flag argument, else the large
/// generated dump, else the workstation one.
pub fn bench_dump() -> Option<PathBuf> {
    let arg = std::env::args().skip(1).find(|a| !a.starts_with("--")).map(PathBuf::from);
    arg.or_else(|| {
        ["linux-x64-3.1-large", "linux-x64-3.1-wks"]
            .iter()
            .map(|n| generated_dir().join(n).join("core"))
            .find(|p| p.is_file())
    })
}

/// xorshift64*: a deterministic generator for the fuzz tests, so a failure
/// is reproducible from its seed.
///
/// ```
/// let mut rng = testkit::Rng(42);
/// assert!(rng.below(10) < 10);
/// ```
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

//! Real PDBs for the tests: a small C file compiled by Debian's clang for
//! x86_64-pc-windows-msvc and linked by lld-link into a DLL with its PDB.
//! The truth the tests check against comes from the DLL itself (exports,
//! CodeView record, headers) through `object`, and from `llvm-pdbutil`'s
//! line dump when it is installed — never from the crate under test.

use object::read::pe::PeFile64;
use object::{Object, ObjectSection};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The test program: known functions on known lines.
pub const SOURCE: &str = "__declspec(dllexport) int add_numbers(int a, int b)
{
    return a + b;
}

__declspec(dllexport) int mul_numbers(int a, int b)
{
    int r = a * b;
    return r;
}
";

/// A built DLL and PDB with their identities.
pub struct Built {
    pub dll: PathBuf,
    pub pdb: PathBuf,
    pub guid: [u8; 16],
    pub age: u32,
    pub timestamp: u32,
    pub size_of_image: u32,
    /// Exported function → RVA.
    pub exports: Vec<(String, u32)>,
    /// (RVA, line) rows from `llvm-pdbutil dump -l`, when it is installed.
    pub lines: Option<Vec<(u32, u32)>>,
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

/// Whether clang and lld-link are installed; when they are not, the test
/// fails under `CLRSCOPE_REQUIRE_FIXTURES` (CI) and is skipped otherwise.
pub fn toolchain() -> bool {
    let missing: Vec<&str> = ["clang", "lld-link"].into_iter().filter(|t| !have(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{} not installed (apt-get install -y clang lld): the test symbol server needs real PDBs",
        missing.join(" and ")
    );
    if std::env::var_os("CLRSCOPE_REQUIRE_FIXTURES").is_some() {
        panic!("{msg}");
    }
    eprintln!("skipping: {msg}");
    false
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// Builds `name.dll` and `name.pdb` from `source` in `dir`.
pub fn build(dir: &Path, name: &str, source: &str) -> Built {
    std::fs::create_dir_all(dir).expect("mkdir");
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).expect("write source");
    let obj = dir.join(format!("{name}.obj"));
    let dll = dir.join(format!("{name}.dll"));
    let pdb = dir.join(format!("{name}.pdb"));
    run(Command::new("clang")
        .args(["--target=x86_64-pc-windows-msvc", "-g", "-gcodeview", "-O0", "-c"])
        .arg(&c)
        .arg("-o")
        .arg(&obj));
    run(Command::new("lld-link")
        .args(["/dll", "/noentry", "/nodefaultlib", "/debug"])
        .arg(format!("/pdb:{}", pdb.display()))
        .arg(format!("/out:{}", dll.display()))
        .arg(&obj));
    let bytes = std::fs::read(&dll).expect("read dll");
    let pe = PeFile64::parse(&*bytes).expect("parse dll");
    let cv = pe.pdb_info().expect("pdb info").expect("a CodeView record");
    let base = pe.relative_address_base();
    let exports = exports(&pe, &bytes);
    let nt = pe.nt_headers();
    let timestamp = nt.file_header.time_date_stamp.get(object::LittleEndian);
    let size_of_image = nt.optional_header.size_of_image.get(object::LittleEndian);
    let text_rva = pe.section_by_name(".text").map(|s| (s.address() - base) as u32).unwrap_or(0x1000);
    Built {
        dll,
        pdb: pdb.clone(),
        guid: cv.guid(),
        age: cv.age(),
        timestamp,
        size_of_image,
        exports,
        lines: pdb_lines(&pdb, text_rva),
    }
}

/// The export table read by hand: `object`'s reader rejects some of lld's
/// export directories depending on where they fall in `.rdata` (which moves
/// with the length of the PDB path written before it).
fn exports(pe: &PeFile64, bytes: &[u8]) -> Vec<(String, u32)> {
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    let u16_at = |o: usize| u16::from_le_bytes(bytes[o..o + 2].try_into().unwrap());
    let base = pe.relative_address_base();
    let to_off = |rva: u32| -> usize {
        let s = pe
            .sections()
            .find(|s| {
                let a = (s.address() - base) as u32;
                rva >= a && rva < a + s.size() as u32
            })
            .expect("RVA in a section");
        let (off, _) = s.file_range().expect("file range");
        (off + u64::from(rva) - (s.address() - base)) as usize
    };
    let dir = pe.data_directory(object::pe::IMAGE_DIRECTORY_ENTRY_EXPORT).expect("export directory");
    let d = to_off(dir.virtual_address.get(object::LittleEndian));
    let (n_names, funcs, names, ords) = (u32_at(d + 24), u32_at(d + 28), u32_at(d + 32), u32_at(d + 36));
    let mut out = Vec::new();
    for i in 0..n_names as usize {
        let name_off = to_off(u32_at(to_off(names) + 4 * i));
        let end = bytes[name_off..].iter().position(|&b| b == 0).expect("NUL") + name_off;
        let ord = u16_at(to_off(ords) + 2 * i) as usize;
        out.push((
            String::from_utf8_lossy(&bytes[name_off..end]).into_owned(),
            u32_at(to_off(funcs) + 4 * ord),
        ));
    }
    out
}

/// `llvm-pdbutil dump -l`: rows "LINE SECTION-OFFSET" under each
/// "0001:…" block; section 1 is .text.
fn pdb_lines(pdb: &Path, text_rva: u32) -> Option<Vec<(u32, u32)>> {
    let out = Command::new("llvm-pdbutil").args(["dump", "-l"]).arg(pdb).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rows = Vec::new();
    for l in text.lines() {
        let t = l.trim();
        if t.is_empty() || !t.contains('!') || t.contains(':') {
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().filter(|w| *w != "!").collect();
        for pair in words.chunks(2) {
            if let [line, off] = pair {
                if let (Ok(line), Ok(off)) = (line.parse::<u32>(), u32::from_str_radix(off, 16)) {
                    rows.push((text_rva + off, line));
                }
            }
        }
    }
    (!rows.is_empty()).then_some(rows)
}

/// `Key` components as the store lays them out: `GUIDAGE`.
pub fn index(b: &Built) -> String {
    let g = &b.guid;
    let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let d2 = u16::from_le_bytes([g[4], g[5]]);
    let d3 = u16::from_le_bytes([g[6], g[7]]);
    let tail: String = g[8..].iter().map(|x| format!("{x:02X}")).collect();
    format!("{d1:08X}{d2:04X}{d3:04X}{tail}{:X}", b.age)
}

/// A CAB (MSZIP) holding `data` under the entry name `entry`.
pub fn cab(entry: &str, data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut b = cab::CabinetBuilder::new();
    b.add_folder(cab::CompressionType::MsZip).add_file(entry);
    let mut w = b.build(std::io::Cursor::new(Vec::new())).expect("cab builder");
    while let Some(mut f) = w.next_file().expect("cab next file") {
        f.write_all(data).expect("cab write");
    }
    w.finish().expect("cab finish").into_inner()
}

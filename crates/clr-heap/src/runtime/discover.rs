//! Finding the runtime module in a dump and identifying its flavour and version.

use crate::error::{ClrError, Result};
use dump_format::{Dump, ModuleRecord};

/// Which runtime lineage a module belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// .NET Framework (`clr.dll`, or `mscorwks.dll` for 2.0–3.5).
    Desktop,
    /// .NET Core / .NET 5+ (`coreclr.dll`, `libcoreclr.so`, `libcoreclr.dylib`).
    Core,
}

impl Flavor {
    /// Stable name: `desktop` or `core`.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Desktop => ".NET Framework",
            Flavor::Core => ".NET Core",
        }
    }
}

/// A four-part version number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub [u16; 4]);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl Version {
    /// Parses `a.b.c.d` (missing parts are zero).
    ///
    /// ```
    /// use clr_heap::runtime::Version;
    /// assert_eq!(Version::parse("4.700.22.11601"), Some(Version([4, 700, 22, 11601])));
    /// ```
    pub fn parse(s: &str) -> Option<Version> {
        let mut v = [0u16; 4];
        let mut n = 0;
        for (i, part) in s.trim().split('.').enumerate() {
            if i >= 4 {
                return None;
            }
            v[i] = part.parse().ok()?;
            n += 1;
        }
        (n >= 2).then_some(Version(v))
    }
}

/// The runtime module and what it says about itself.
#[derive(Debug, Clone)]
pub struct RuntimeModule {
    /// Desktop or Core.
    pub flavor: Flavor,
    /// The module as the dump lists it.
    pub module: ModuleRecord,
    /// The runtime binary's file version (Windows: VS_FIXEDFILEINFO; Linux:
    /// the `@(#)Version` string the binary carries).
    pub file_version: Option<Version>,
    /// The commit the runtime was built from, when the binary says.
    pub commit: Option<String>,
    /// How the version was found.
    pub version_source: &'static str,
    /// The product version named by the runtime's install folder
    /// (`…/Microsoft.NETCore.App/3.1.23/…`), when the path has one.
    pub product_version: Option<String>,
}

impl RuntimeModule {
    /// The product version users know (e.g. "3.1"), derived from the file
    /// version's scheme: CoreCLR 2.x uses 4.6.x file versions, 3.x uses
    /// 4.700.x, .NET 5+ uses its own major; the .NET Framework 4.x is 4.0–4.8.
    pub fn product(&self) -> String {
        if let Some(p) = &self.product_version {
            return p.clone();
        }
        let Some(Version([a, b, _, _])) = self.file_version else { return "unknown".into() };
        match self.flavor {
            Flavor::Core if a == 4 && b == 700 => "3.x".into(),
            Flavor::Core if a == 4 && b >= 6 => "2.x".into(),
            Flavor::Core if a >= 5 => format!("{a}.{b}"),
            Flavor::Core => "unknown".into(),
            Flavor::Desktop => format!("{a}.{b}"),
        }
    }
}

/// Returns the runtime module of the dump.
pub fn find_runtime(dump: &Dump) -> Result<RuntimeModule> {
    let modules = dump.modules();
    let found = modules.iter().find_map(|m| {
        let name = m.file_name().to_ascii_lowercase();
        let flavor = match name.as_str() {
            "clr.dll" | "mscorwks.dll" => Flavor::Desktop,
            "coreclr.dll" | "libcoreclr.so" | "libcoreclr.dylib" => Flavor::Core,
            _ => return None,
        };
        Some((flavor, m))
    });
    let Some((flavor, module)) = found else {
        return Err(ClrError::NoRuntime { modules: modules.len() });
    };
    let mut rt = RuntimeModule {
        flavor,
        module: module.clone(),
        file_version: None,
        commit: None,
        version_source: "none found",
        product_version: product_from_path(&module.path),
    };
    if let Some(v) = module.file_version {
        rt.file_version = Some(Version(v));
        rt.version_source = "VS_FIXEDFILEINFO";
    } else if let Some((v, commit)) = sccsid_in_memory(dump, module) {
        rt.file_version = Some(v);
        rt.commit = commit;
        rt.version_source = "@(#)Version string in the runtime image";
    }
    Ok(rt)
}

/// The version folder of a shared-framework install: the runtime lives in
/// `…/shared/Microsoft.NETCore.App/<version>/`, on every OS.
///
/// ```
/// use clr_heap::runtime::discover::product_from_path;
/// let p = "/usr/share/dotnet/shared/Microsoft.NETCore.App/2.0.0-preview3-25510-01/libcoreclr.so";
/// assert_eq!(product_from_path(p).as_deref(), Some("2.0.0-preview3-25510-01"));
/// ```
pub fn product_from_path(path: &str) -> Option<String> {
    let mut parts = path.split(['/', '\\']);
    parts.find(|p| p.eq_ignore_ascii_case("Microsoft.NETCore.App"))?;
    let v = parts.next()?;
    v.chars().next().is_some_and(|c| c.is_ascii_digit()).then(|| v.to_string())
}

/// Scans the runtime image's captured memory for the `@(#)Version x.y.z.w
/// @Commit: hash` string every CoreCLR build embeds.
fn sccsid_in_memory(dump: &Dump, module: &ModuleRecord) -> Option<(Version, Option<String>)> {
    const NEEDLE: &[u8] = b"@(#)Version ";
    let mem = dump.memory();
    // Look through the captured regions that overlap the image, plus the
    // part past its file-backed end (ELF: .data/.bss follow the mapping).
    for r in mem.regions() {
        if r.end() <= module.base || r.start >= module.end() {
            continue;
        }
        let Ok(bytes) = mem.slice(r.start, r.file_len.min(r.mem_len)) else { continue };
        let mut from = 0;
        while let Some(pos) = find(&bytes[from..], NEEDLE) {
            let at = from + pos + NEEDLE.len();
            let tail = &bytes[at..bytes.len().min(at + 120)];
            let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
            let text = String::from_utf8_lossy(&tail[..end]);
            let mut parts = text.split_whitespace();
            if let Some(v) = parts.next().and_then(Version::parse) {
                let commit = text.split("@Commit:").nth(1).map(|c| c.trim().to_string());
                return Some((v, commit));
            }
            from = at;
        }
    }
    None
}

/// Position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..=hay.len() - needle.len()].iter().position(|&b| b == first) {
            Some(p) => {
                i += p;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
            None => return None,
        }
    }
    None
}

//! Finding the runtime module in a dump and identifying its flavour and version.

use crate::error::{ClrError, Result};
use dump_format::{Dump, ModuleRecord};
use std::fmt;

/// The marker that starts the version string CoreCLR compiles into its binary
/// (`@(#)Version 4.700.22.11601 @Commit: 0dee78f…`).
pub const SCCSID_MARKER: &[u8] = b"@(#)Version ";
/// Bytes after the marker read as the version string.
const MAX_SCCSID: usize = 512;

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

/// A runtime build's version as its binary states it: the four-part file
/// version and, when the `@(#)Version` string names it, the source commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeVersion {
    /// The four-part file version, e.g. `[4, 700, 22, 11601]`.
    pub file_version: [u16; 4],
    /// The source commit, when the version string names it.
    pub commit: Option<String>,
}

impl RuntimeVersion {
    /// From a four-part file version.
    pub fn new(file_version: [u16; 4]) -> Self {
        RuntimeVersion { file_version, commit: None }
    }

    /// Parses `a.b.c.d` (dots or commas; text after the fourth number is
    /// searched for the commit, as in `4.700.22.11601 @Commit: …` or
    /// `… @SrcCode: https://github.com/dotnet/coreclr/tree/<hash>`).
    ///
    /// ```
    /// use clr_heap::runtime::discover::RuntimeVersion;
    /// let v = RuntimeVersion::parse("4.700.22.11601 @Commit: 0dee78f").ok_or("no version")?;
    /// assert_eq!(v.file_version, [4, 700, 22, 11601]);
    /// assert!(RuntimeVersion::parse("4.700").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let head = text.trim_start().split(|c: char| c.is_whitespace()).next()?;
        let mut parts = head.split(['.', ',']);
        let mut v = [0u16; 4];
        for slot in &mut v {
            *slot = parts.next()?.parse().ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        let commit = text
            .find("@Commit: ")
            .map(|i| &text[i + 9..])
            .or_else(|| text.find("/tree/").map(|i| &text[i + 6..]))
            .map(|rest| rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect::<String>())
            .filter(|c| c.len() >= 7);
        Some(RuntimeVersion { file_version: v, commit })
    }
}

impl fmt::Display for RuntimeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.file_version;
        write!(f, "{a}.{b}.{c}.{d}")?;
        if let Some(commit) = &self.commit {
            write!(f, " (commit {commit})")?;
        }
        Ok(())
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
    /// The file version and commit as one [`RuntimeVersion`], when the version is known.
    pub fn runtime_version(&self) -> Option<RuntimeVersion> {
        self.file_version.map(|v| RuntimeVersion { file_version: v.0, commit: self.commit.clone() })
    }

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
    } else if let Some(v) = sccsid_in_dump(dump, module) {
        rt.file_version = Some(Version(v.file_version));
        rt.commit = v.commit;
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

/// Finds the first `@(#)Version <a.b.c.d> …` string in `bytes` and parses it.
///
/// ```
/// use clr_heap::runtime::discover::find_sccsid;
/// let blob = b"\0\0@(#)Version 4.700.22.11601 @Commit: 0dee78f90fc80c0fa4390ac1ba519c679bd503a4\0";
/// let v = find_sccsid(blob).ok_or("no version")?;
/// assert_eq!(v.file_version, [4, 700, 22, 11601]);
/// assert_eq!(v.commit.as_deref(), Some("0dee78f90fc80c0fa4390ac1ba519c679bd503a4"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn find_sccsid(bytes: &[u8]) -> Option<RuntimeVersion> {
    let mut from = 0usize;
    // Each turn starts past the previous marker: at most len / marker turns.
    while let Some(pos) = bytes.get(from..).and_then(|rest| find(rest, SCCSID_MARKER)) {
        let start = from + pos + SCCSID_MARKER.len();
        let tail = bytes.get(start..bytes.len().min(start + MAX_SCCSID)).unwrap_or_default();
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        if let Some(v) = std::str::from_utf8(&tail[..end]).ok().and_then(RuntimeVersion::parse) {
            return Some(v);
        }
        from = start;
    }
    None
}

/// The `@(#)Version` string of `module` in the dump's captured memory: the
/// regions that overlap the image, whole (on ELF the writable data, which
/// holds the string, can extend past the file-backed mapping).
pub fn sccsid_in_dump(dump: &Dump, module: &ModuleRecord) -> Option<RuntimeVersion> {
    let mem = dump.memory();
    mem.regions()
        .iter()
        .filter(|r| r.end() > module.base && r.start < module.end())
        .filter_map(|r| mem.slice(r.start, r.file_len.min(r.mem_len)).ok())
        .find_map(find_sccsid)
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

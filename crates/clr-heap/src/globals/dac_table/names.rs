//! Choosing the name list for a runtime build: by version line and target.

use super::RuntimeVersion;
use super::lists;
use std::fmt;

/// The names of one build configuration's table, in table order.
#[derive(Debug)]
pub struct NameList {
    /// Global and static variables (`DEFINE_DACVAR`), first in the table.
    pub variables: &'static [&'static str],
    /// Functions (`fn__` members), after the variables.
    pub functions: &'static [&'static str],
    /// Classes whose vtable address follows, after the functions.
    pub vtables: &'static [&'static str],
}

impl NameList {
    /// Variables + functions: the table header's `numGlobals`.
    pub fn num_globals(&self) -> u32 {
        (self.variables.len() + self.functions.len()) as u32
    }

    /// The table header's `numVptrs`.
    pub fn num_vptrs(&self) -> u32 {
        self.vtables.len() as u32
    }
}

/// Operating system and processor of the runtime binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// `coreclr.dll` / `clr.dll`, AMD64.
    WindowsX64,
    /// `coreclr.dll` / `clr.dll`, i386.
    WindowsX86,
    /// `libcoreclr.so`, x86-64.
    LinuxX64,
}

impl Target {
    /// Stable display name.
    pub fn name(self) -> &'static str {
        match self {
            Target::WindowsX64 => "Windows x64",
            Target::WindowsX86 => "Windows x86",
            Target::LinuxX64 => "Linux x64",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A release line whose table layout is fixed across its patch releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// CoreCLR 2.1 (and 2.2, same sources and defines): file versions `4.6.*`.
    CoreClr21,
    /// CoreCLR 3.1: file versions `4.700.*` (3.0 shares the number space but
    /// has a different list; the count checks reject it).
    CoreClr31,
}

/// One supported (line, target) pair and where its names come from.
struct Known {
    line: Line,
    target: Target,
    list: &'static NameList,
    label: &'static str,
}

static KNOWN: &[Known] = &[
    Known {
        line: Line::CoreClr31,
        target: Target::WindowsX64,
        list: &lists::CORECLR_3_1_WINDOWS_X64,
        label: "CoreCLR 3.1 (4.700.*) Windows x64, dotnet/coreclr v3.1.23 dacvars.h",
    },
    Known {
        line: Line::CoreClr31,
        target: Target::WindowsX86,
        list: &lists::CORECLR_3_1_WINDOWS_X86,
        label: "CoreCLR 3.1 (4.700.*) Windows x86, dotnet/coreclr v3.1.23 dacvars.h",
    },
    Known {
        line: Line::CoreClr31,
        target: Target::LinuxX64,
        list: &lists::CORECLR_3_1_LINUX_X64,
        label: "CoreCLR 3.1 (4.700.*) Linux x64, dotnet/coreclr v3.1.23 dacvars.h",
    },
    Known {
        line: Line::CoreClr21,
        target: Target::WindowsX86,
        list: &lists::CORECLR_2_1_WINDOWS_X86,
        label: "CoreCLR 2.1 (4.6.*) Windows x86, dotnet/coreclr v2.1.30 dacvars.h",
    },
];

/// The release line of a file version, if it is one we know.
pub fn line_of(version: &RuntimeVersion) -> Option<Line> {
    match version.file_version {
        [4, 700, _, _] => Some(Line::CoreClr31),
        [4, 6, _, _] => Some(Line::CoreClr21),
        _ => None,
    }
}

/// The name list for `version` on `target`, with a label naming its source.
pub fn select(version: &RuntimeVersion, target: Target) -> Option<(&'static NameList, &'static str)> {
    let line = line_of(version)?;
    KNOWN.iter().find(|k| k.line == line && k.target == target).map(|k| (k.list, k.label))
}

/// Every supported (version line, target), for error messages.
pub fn known() -> Vec<String> {
    KNOWN.iter().map(|k| k.label.to_string()).collect()
}

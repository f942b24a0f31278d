//! The identity of the module and its assembly, references to other
//! assemblies, and `ldstr` literals.

use super::Metadata;
use super::error::{MetadataError, Result};
use super::schema::TableId;
use super::token::{Token, USER_STRING_TOKEN_TYPE};
use std::borrow::Cow;

/// A four-part assembly version.
///
/// ```
/// use clr_heap::metadata::Version;
/// assert_eq!(Version { major: 4, minor: 0, build: 0, revision: 0 }.to_string(), "4.0.0.0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// Major part.
    pub major: u16,
    /// Minor part.
    pub minor: u16,
    /// Build part.
    pub build: u16,
    /// Revision part.
    pub revision: u16,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}.{}", self.major, self.minor, self.build, self.revision)
    }
}

/// The identity of an assembly (from the Assembly or an AssemblyRef row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssemblyName<'a> {
    /// Simple name, e.g. `mscorlib`.
    pub name: Cow<'a, str>,
    /// Version.
    pub version: Version,
    /// Culture; empty means neutral.
    pub culture: Cow<'a, str>,
    /// Public key (Assembly, or AssemblyRef with flag 0x1) or 8-byte token.
    pub public_key_or_token: &'a [u8],
    /// `AssemblyFlags`.
    pub flags: u32,
}

/// Prints the display name .NET uses: `mscorlib, Version=4.0.0.0, Culture=neutral`.
impl std::fmt::Display for AssemblyName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let culture = if self.culture.is_empty() { "neutral" } else { &self.culture };
        write!(f, "{}, Version={}, Culture={culture}", self.name, self.version)
    }
}

impl<'a> Metadata<'a> {
    /// The assembly this module's manifest describes; `None` for a module
    /// without a manifest (a `.netmodule`).
    pub fn assembly(&self) -> Result<Option<AssemblyName<'a>>> {
        if self.rows(TableId::Assembly) == 0 {
            return Ok(None);
        }
        let a = self.assembly_row(1)?;
        Ok(Some(AssemblyName {
            name: a.name,
            version: Version { major: a.major, minor: a.minor, build: a.build, revision: a.revision },
            culture: a.culture,
            public_key_or_token: a.public_key,
            flags: a.flags,
        }))
    }

    /// The identity of AssemblyRef `rid`.
    pub fn assembly_ref_name(&self, rid: u32) -> Result<AssemblyName<'a>> {
        let a = self.assembly_ref(rid)?;
        Ok(AssemblyName {
            name: a.name,
            version: Version { major: a.major, minor: a.minor, build: a.build, revision: a.revision },
            culture: a.culture,
            public_key_or_token: a.public_key_or_token,
            flags: a.flags,
        })
    }

    /// The module's file name from the Module table, e.g. `System.dll`.
    pub fn module_name(&self) -> Result<Cow<'a, str>> {
        Ok(self.module_row(1)?.name)
    }

    /// The module version id (a per-build GUID, on-disk byte order; see
    /// [`format_guid`](super::format_guid)), if the Module row has one.
    pub fn mvid(&self) -> Result<Option<[u8; 16]>> {
        Ok(self.module_row(1)?.mvid)
    }

    /// The string literal of an `ldstr` token (`0x70xxxxxx`: a `#US` offset).
    ///
    /// The metadata of a test assembly holds `"hello"` behind some token:
    /// ```no_run
    /// # fn f(md: &clr_heap::metadata::Metadata) -> clr_heap::metadata::Result<()> {
    /// use clr_heap::metadata::Token;
    /// assert_eq!(md.user_string(Token(0x7000_0001))?, "hello");
    /// # Ok(()) }
    /// ```
    pub fn user_string(&self, token: Token) -> Result<String> {
        if token.kind() != USER_STRING_TOKEN_TYPE {
            return Err(MetadataError::WrongToken { token: token.0, expected: "user string (0x70)" });
        }
        self.user_strings().get(token.rid())
    }

    /// The name of the assembly that defines what `token` (TypeDef or
    /// TypeRef) names, as far as this metadata knows: this assembly for
    /// TypeDefs and module-scoped TypeRefs, the AssemblyRef's name otherwise.
    /// Type forwarding is not followed (.NET Core facades such as
    /// `System.Runtime` stay as they are referenced).
    pub fn defining_assembly(&self, token: Token) -> Result<Option<Cow<'a, str>>> {
        let own = || -> Result<Option<Cow<'a, str>>> { Ok(self.assembly()?.map(|a| a.name)) };
        match token.table() {
            Some(TableId::TypeDef) => own(),
            Some(TableId::TypeRef) => {
                let scope = self.type_ref_scope(token.rid())?;
                match scope.table() {
                    Some(TableId::AssemblyRef) if !scope.is_null() => {
                        Ok(Some(self.assembly_ref(scope.rid())?.name))
                    }
                    Some(TableId::Module | TableId::ModuleRef) => own(),
                    _ => Ok(None),
                }
            }
            _ => Err(MetadataError::WrongToken { token: token.0, expected: "TypeDef or TypeRef" }),
        }
    }

    /// The name of the core library (home of `System.Object` and the
    /// primitives) as this metadata refers to it: this assembly when it
    /// defines `System.Object`, else the first AssemblyRef called
    /// `mscorlib`, `System.Private.CoreLib`, `netstandard` or `System.Runtime`.
    pub fn core_library_name(&self) -> Result<Option<Cow<'a, str>>> {
        if self.find_type_def("System", "Object")?.is_some() {
            return Ok(self.assembly()?.map(|a| a.name));
        }
        for wanted in ["mscorlib", "System.Private.CoreLib", "netstandard", "System.Runtime"] {
            for rid in 1..=self.rows(TableId::AssemblyRef) {
                let name = self.assembly_ref(rid)?.name;
                if name == wanted {
                    return Ok(Some(name));
                }
            }
        }
        Ok(None)
    }
}

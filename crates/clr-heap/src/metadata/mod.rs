//! A zero-copy reader of ECMA-335 (CLI) metadata.
//!
//! [`Metadata`] wraps the bytes of a metadata blob — starting at its `BSJB`
//! root, as [`crate::pe`] finds it in an image — and answers the questions a
//! dump analyser asks: the name of TypeDef `rid` as SOS prints it, the fields
//! of a type with their types, a method's signature, the assembly's name.
//!
//! Layout of this module, one concept per file:
//!
//! | file | ECMA-335 | content |
//! |---|---|---|
//! | `root.rs` | §II.24.2.1–2 | `BSJB` root, stream headers |
//! | `heaps.rs` | §II.24.2.3–5 | `#Strings`, `#US`, `#Blob`, `#GUID`, compressed integers |
//! | `schema.rs` | §II.22, §II.24.2.6 | the 45 table schemas, coded indexes |
//! | `tables.rs` | §II.24.2.6 | `#~`/`#-` header, row counts, widths, raw rows |
//! | `rows.rs` | §II.22 | typed rows and their getters |
//! | `types.rs` | §II.22.37–38, §II.22.32 | TypeDef, nesting, full type names |
//! | `members.rs` | §II.22.15, §II.22.26 | fields and methods of a type, flags |
//! | `assembly.rs` | §II.22.2, §II.22.5 | assembly identity, module, user strings |
//! | `signature.rs` | §II.23.2 | signature decoding into [`SigType`] |
//! | `format.rs` | — | SOS-style names of signature types and methods |
//!
//! Nothing here panics on bad input, and no allocation is sized by an
//! untrusted count beyond what the blob can hold; errors are
//! [`MetadataError`]s naming the stream, heap or table and an offset from
//! the metadata root.

mod assembly;
mod error;
mod format;
mod heaps;
mod members;
mod root;
mod rows;
mod schema;
mod signature;
mod tables;
mod token;
mod types;

pub use assembly::{AssemblyName, Version};
pub use error::{MetadataError, Result};
pub use format::{NameContext, SigStyle};
pub use heaps::{
    BlobHeap, GuidHeap, StringsHeap, UserStringsHeap, decompress_i32, decompress_u32, format_guid,
};
pub use members::{field_flags, method_flags};
pub use root::{METADATA_SIGNATURE, Root, Stream};
pub use rows::*;
pub use schema::{CodedIndex, Col, TABLE_COUNT, TableId, columns};
pub use signature::{
    CallingConvention, MethodSig, SigType, decode_field_sig, decode_local_sig, decode_method_sig,
    decode_method_spec, decode_type_spec,
};
pub use tables::{Row, TableLayout, Tables, decode_coded};
pub use token::{Token, USER_STRING_TOKEN_TYPE};
pub use types::{TypeDefRow, type_flags};

/// A metadata blob, parsed just enough to answer questions lazily.
///
/// ```no_run
/// use clr_heap::metadata::Metadata;
/// # fn metadata_bytes() -> Vec<u8> { Vec::new() }
/// let bytes = metadata_bytes(); // starts with "BSJB"
/// let md = Metadata::parse(&bytes)?;
/// println!("{} {}", md.assembly()?.map(|a| a.to_string()).unwrap_or_default(), md.version());
/// for rid in 1..=md.tables().rows(clr_heap::metadata::TableId::TypeDef) {
///     println!("{}", md.full_type_name(rid)?);
/// }
/// # Ok::<(), clr_heap::metadata::MetadataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Metadata<'a> {
    data: &'a [u8],
    root: Root<'a>,
    strings: StringsHeap<'a>,
    user_strings: UserStringsHeap<'a>,
    blobs: BlobHeap<'a>,
    guids: GuidHeap<'a>,
    tables: Tables<'a>,
    /// [`Metadata::core_library_name`] scans every TypeDef: asked once per
    /// generic argument while printing, it is worth remembering.
    core_library: std::sync::OnceLock<Option<String>>,
}

impl<'a> Metadata<'a> {
    /// Parses the root, the stream headers and the tables header of `data`.
    /// Heaps are only located here; their entries are read on demand.
    pub fn parse(data: &'a [u8]) -> Result<Metadata<'a>> {
        let root = Root::parse(data)?;
        let heap = |name: &str| root.stream(name).map(|s| s.data).unwrap_or_default();
        let (tables_stream, uncompressed) = match (root.stream("#~"), root.stream("#-")) {
            (Some(s), _) => (s, false),
            (None, Some(s)) => (s, true),
            (None, None) => return Err(MetadataError::MissingStream { stream: "#~" }),
        };
        let tables = Tables::parse(tables_stream.data, u64::from(tables_stream.offset), uncompressed)?;
        Ok(Metadata {
            data,
            strings: StringsHeap::new(heap("#Strings")),
            user_strings: UserStringsHeap::new(heap("#US")),
            blobs: BlobHeap::new(heap("#Blob"), "#Blob"),
            guids: GuidHeap::new(heap("#GUID")),
            tables,
            root,
            core_library: std::sync::OnceLock::new(),
        })
    }

    /// The whole metadata blob.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The root: version string and stream headers.
    pub fn root(&self) -> &Root<'a> {
        &self.root
    }

    /// The runtime version string of the root, e.g. `v4.0.30319`.
    pub fn version(&self) -> &str {
        &self.root.version
    }

    /// The tables stream.
    pub fn tables(&self) -> &Tables<'a> {
        &self.tables
    }

    /// The `#Strings` heap (empty when the stream is absent).
    pub fn strings(&self) -> StringsHeap<'a> {
        self.strings
    }

    /// The `#US` heap (empty when the stream is absent).
    pub fn user_strings(&self) -> UserStringsHeap<'a> {
        self.user_strings
    }

    /// The `#Blob` heap (empty when the stream is absent).
    pub fn blobs(&self) -> BlobHeap<'a> {
        self.blobs
    }

    /// The `#GUID` heap (empty when the stream is absent).
    pub fn guids(&self) -> GuidHeap<'a> {
        self.guids
    }

    /// [`Metadata::core_library_name`], computed once.
    pub(crate) fn core_library(&self) -> Result<Option<String>> {
        if let Some(name) = self.core_library.get() {
            return Ok(name.clone());
        }
        let name = self.core_library_name()?.map(|c| c.into_owned());
        Ok(self.core_library.get_or_init(|| name).clone())
    }

    /// Rows in `table`.
    pub fn rows(&self, table: TableId) -> u32 {
        self.tables.rows(table)
    }
}

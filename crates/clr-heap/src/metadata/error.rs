//! Typed errors of the metadata reader.
//!
//! Every error names the stream, heap or table concerned and an offset
//! relative to the start of the metadata root (the `BSJB` signature), so a
//! message can be checked against a hex dump of the blob.

use super::schema::TableId;

/// Anything that can be wrong with a metadata blob or a question asked of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// A structure extends past the end of the blob or of its stream.
    #[error("{what} at metadata offset {offset:#x} needs {needed} bytes but only {available} remain")]
    Truncated {
        /// What was being read (e.g. "#Blob heap").
        what: String,
        /// Offset from the metadata root.
        offset: u64,
        /// Bytes the structure needs.
        needed: u64,
        /// Bytes actually available there.
        available: u64,
    },
    /// A structure is present but its content is impossible.
    #[error("{what} at metadata offset {offset:#x} is corrupt: {reason}")]
    Corrupt {
        /// What was being read.
        what: String,
        /// Offset from the metadata root.
        offset: u64,
        /// Why the content cannot be right.
        reason: String,
    },
    /// A stream the question needs is absent.
    #[error("the metadata has no {stream} stream")]
    MissingStream {
        /// The stream's name, e.g. `#~`.
        stream: &'static str,
    },
    /// A row number outside its table.
    #[error("{table} row {rid} does not exist (the table has {rows} rows)")]
    NoSuchRow {
        /// The table.
        table: TableId,
        /// The 1-based row number asked for.
        rid: u32,
        /// Rows the table has.
        rows: u32,
    },
    /// An index outside its heap.
    #[error("{heap} index {index:#x} is outside the heap ({size:#x} bytes)")]
    BadHeapIndex {
        /// `#Strings`, `#US`, `#Blob` or `#GUID`.
        heap: &'static str,
        /// The index.
        index: u32,
        /// The heap's size in bytes (entries for `#GUID`).
        size: u32,
    },
    /// A token of the wrong table for the question.
    #[error("token {token:#010x} is not a {expected} token")]
    WrongToken {
        /// The token given.
        token: u32,
        /// What was expected.
        expected: &'static str,
    },
    /// A signature blob that does not follow ECMA-335 §II.23.2.
    #[error("signature at #Blob offset {blob_offset:#x}, byte {position}: {reason}")]
    BadSignature {
        /// Offset of the signature in the `#Blob` heap (0 when decoded from loose bytes).
        blob_offset: u32,
        /// Byte position inside the signature.
        position: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias of the metadata reader.
pub type Result<T, E = MetadataError> = std::result::Result<T, E>;

impl MetadataError {
    pub(crate) fn corrupt(what: impl Into<String>, offset: u64, reason: impl Into<String>) -> Self {
        MetadataError::Corrupt { what: what.into(), offset, reason: reason.into() }
    }
}

/// `dump_format::read::Bytes` reports in its own error type; its offsets are
/// already relative to the metadata root because every window made here
/// starts from that base.
impl From<dump_format::Error> for MetadataError {
    fn from(e: dump_format::Error) -> Self {
        match e {
            dump_format::Error::Truncated { what, offset, needed, available } => {
                MetadataError::Truncated { what, offset, needed, available }
            }
            dump_format::Error::Corrupt { what, offset, reason } => {
                MetadataError::Corrupt { what, offset, reason }
            }
            other => MetadataError::corrupt("metadata", 0, other.to_string()),
        }
    }
}

//! `NT_FILE`: the process's file-backed mappings.
//!
//! Layout, in words of the ELF class: `count`, `page_size`, then `count`
//! triples `(start, end, file_offset_in_pages)`, then `count` NUL-terminated
//! path names back to back.

use super::header::Class;
use crate::error::{Error, Result};
use crate::read::Bytes;

/// One file mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedFile {
    /// First address of the mapping.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Offset in the file, in units of [`FileNote::page_size`] as the kernel
    /// writes it. (Some writers, e.g. early .NET `createdump`, stored bytes
    /// here; the value is kept as written.)
    pub file_offset_pages: u64,
    /// Path of the mapped file (may end in ` (deleted)`).
    pub path: String,
}

impl MappedFile {
    /// Size of the mapping in bytes.
    pub fn size(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// True when `addr` lies in the mapping.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.start && addr < self.end
    }
}

/// A decoded `NT_FILE` note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNote {
    /// The page size the offsets are counted in.
    pub page_size: u64,
    /// The mappings, in the order the note lists them (ascending address
    /// when the kernel wrote it).
    pub files: Vec<MappedFile>,
    /// File offset of the descriptor.
    pub offset: u64,
}

impl FileNote {
    /// Decodes the descriptor of an `NT_FILE` note of a core of `class`.
    /// The count is checked against the note's size before anything is
    /// allocated; fewer names than mappings is an error.
    pub fn parse(desc: Bytes<'_>, class: Class) -> Result<FileNote> {
        let b = desc.named("NT_FILE note");
        let w = class.word();
        let count = b.ptr(0, w)?;
        let page_size = b.ptr(w, w)?;
        let triples = b.array(2 * w, count, 3 * w)?;
        let names_off = 2 * w + triples.len();
        let names = b.rest(names_off)?;
        let mut rest = names.data();
        let mut files = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let t = i * 3 * w;
            // Each name ends with a NUL; the last may instead run to the end
            // of the note (some writers drop the final NUL), if not empty.
            let (path, next) = match rest.iter().position(|&c| c == 0) {
                Some(n) => (&rest[..n], &rest[n + 1..]),
                None if !rest.is_empty() => (rest, &rest[rest.len()..]),
                None => {
                    return Err(Error::corrupt(
                        "NT_FILE note",
                        b.file_offset(0),
                        format!("{count} mappings but only {i} path names"),
                    ));
                }
            };
            rest = next;
            files.push(MappedFile {
                start: triples.ptr(t, w)?,
                end: triples.ptr(t + w, w)?,
                file_offset_pages: triples.ptr(t + 2 * w, w)?,
                path: String::from_utf8_lossy(path).into_owned(),
            });
        }
        Ok(FileNote { page_size, files, offset: b.file_offset(0) })
    }
}

//! CommentStreamA (NUL-terminated ANSI) and CommentStreamW (UTF-16) streams.

use super::{Minidump, StreamType};
use crate::error::Result;
use crate::read::utf16le;

impl<'a> Minidump<'a> {
    /// Every comment stream's text, in directory order. A comment whose bytes
    /// lie outside the file is an error; an absent one is simply not listed.
    pub fn comments(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in self.directory() {
            let wide = match entry.kind {
                StreamType::COMMENT_A => false,
                StreamType::COMMENT_W => true,
                _ => continue,
            };
            let b = entry.location.bytes(self.data(), entry.kind.label())?;
            out.push(if wide { utf16le(b.data()) } else { b.cstr(0, b.len())? });
        }
        Ok(out)
    }
}

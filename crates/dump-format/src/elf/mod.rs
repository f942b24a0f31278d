//! Linux ELF core container. (Being written.)

use crate::dump::Loaded;
use crate::error::Result;

/// What opening a MINIDUMP keeps: segments and notes.
#[derive(Debug, Default)]
pub struct Index {}

/// Typed, lazy access to an ELF core's segments and notes.
#[derive(Clone, Copy)]
pub struct ElfCore<'a> {
    #[allow(dead_code)]
    data: &'a [u8],
    #[allow(dead_code)]
    index: &'a Index,
}

impl<'a> ElfCore<'a> {
    pub(crate) fn new(data: &'a [u8], index: &'a Index) -> Self {
        ElfCore { data, index }
    }
}

pub(crate) fn load(_data: &[u8]) -> Result<Loaded> {
    Ok(Loaded::default())
}

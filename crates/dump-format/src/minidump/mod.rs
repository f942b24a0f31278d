//! Windows MINIDUMP (`MDMP`) container. (Being written.)

use crate::dump::Loaded;
use crate::error::Result;

/// What opening a MINIDUMP keeps: the stream directory.
#[derive(Debug, Default)]
pub struct Index {}

/// Typed, lazy access to a MINIDUMP's streams.
#[derive(Clone, Copy)]
pub struct Minidump<'a> {
    #[allow(dead_code)]
    data: &'a [u8],
    #[allow(dead_code)]
    index: &'a Index,
}

impl<'a> Minidump<'a> {
    pub(crate) fn new(data: &'a [u8], index: &'a Index) -> Self {
        Minidump { data, index }
    }
}

pub(crate) fn load(_data: &[u8]) -> Result<Loaded> {
    Ok(Loaded::default())
}

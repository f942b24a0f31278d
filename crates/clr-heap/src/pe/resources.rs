//! The resource directory (data directory 2): a lookup by type and name, and
//! the file version of the `VS_VERSIONINFO` resource.
//!
//! The directory is a tree of three levels — type, name, language — whose
//! entries hold offsets from the directory's start. The walk follows exactly
//! those three levels (so it cannot recurse deeper), refuses an entry that
//! points back at a directory it has already passed through (so a damaged
//! tree cannot loop), checks every offset against the directory's size and
//! every count against the PE limit before reading the entries, and reads
//! the bytes through [`PeImage::read`], which checks them against the image.

use super::{DataDirectory, ImageSource, PeError, PeImage, corrupt};

/// `RT_RCDATA`: raw application-defined data.
pub const RT_RCDATA: u32 = 10;
/// `RT_VERSION`: the `VS_VERSIONINFO` block.
pub const RT_VERSION: u32 = 16;

const DIR_RESOURCE: usize = 2;
/// No real directory comes near this; a larger size is corruption.
const MAX_RESOURCE_DIR: u32 = 64 << 20;
/// Most entries read from one directory table.
const MAX_DIR_ENTRIES: u32 = 4096;
/// Bytes of the version resource searched for `VS_FIXEDFILEINFO`.
const MAX_VERSION_SCAN: u32 = 1024;
/// `VS_FIXEDFILEINFO.dwSignature`.
const FIXED_FILE_INFO_SIGNATURE: u32 = 0xFEEF_04BD;
/// The high bit of an entry's name (a string) or target (a subdirectory).
const HIGH_BIT: u32 = 0x8000_0000;

/// How a level of the resource tree is matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKey<'a> {
    /// A numeric id (`RT_RCDATA`, a resource number).
    Id(u32),
    /// A name, compared as the loader does: ASCII, case-insensitive.
    Name(&'a str),
}

/// Where a resource's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceData {
    /// RVA of the bytes.
    pub rva: u32,
    /// Their size.
    pub size: u32,
}

impl PeImage {
    /// Directory 2: the resource directory.
    pub fn resource_directory(&self) -> DataDirectory {
        self.directory(DIR_RESOURCE)
    }

    /// Finds the resource of type `kind` named `name` (the first name when
    /// `None`), in its first language. An absent entry is
    /// [`PeError::NoResource`] naming the level that lacked it; a damaged
    /// tree is [`PeError::Corrupt`] at the RVA of the offending table.
    pub fn find_resource(
        &self,
        src: &(impl ImageSource + ?Sized),
        kind: ResourceKey<'_>,
        name: Option<ResourceKey<'_>>,
    ) -> Result<ResourceData, PeError> {
        let dir = self.resource_directory();
        if dir.is_empty() {
            return Err(PeError::NoResource { detail: "the image has no resource directory".into() });
        }
        if dir.size > MAX_RESOURCE_DIR {
            return Err(corrupt("resource directory", dir.rva, format!("size {:#x}", dir.size)));
        }
        let walk = Walk { image: self, src, dir };
        let types = walk.subdirectory(0, Some(kind), "type", &[])?;
        let names = walk.subdirectory(types, name, "name", &[0])?;
        let (is_dir, data) = walk.pick(names, None, "language", &[0, types])?;
        if is_dir {
            return Err(walk.bad(names, "language entry is a directory, not data"));
        }
        let entry = walk.read(data, 16, "resource data entry")?;
        Ok(ResourceData { rva: u32_at(&entry, 0), size: u32_at(&entry, 4) })
    }

    /// The file version in the image's `VS_VERSIONINFO` resource
    /// (`VS_FIXEDFILEINFO.dwFileVersionMS/LS`), e.g. `[4, 700, 22, 11601]`.
    pub fn file_version(&self, src: &(impl ImageSource + ?Sized)) -> Result<[u16; 4], PeError> {
        let r = self.find_resource(src, ResourceKey::Id(RT_VERSION), None)?;
        let bytes = self.read(src, r.rva, r.size.min(MAX_VERSION_SCAN), "version resource")?;
        let at = (0..bytes.len().saturating_sub(16))
            .step_by(4)
            .find(|&i| u32_at(&bytes, i) == FIXED_FILE_INFO_SIGNATURE)
            .ok_or_else(|| corrupt("version resource", r.rva, "no VS_FIXEDFILEINFO signature"))?;
        let (ms, ls) = (u32_at(&bytes, at + 8), u32_at(&bytes, at + 12));
        Ok([(ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16])
    }
}

/// A little-endian `u32` of a buffer whose length was checked (0 past its end).
fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2).map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

/// One walk of the tree; offsets are from the directory's start.
struct Walk<'a, S: ?Sized> {
    image: &'a PeImage,
    src: &'a S,
    dir: DataDirectory,
}

impl<S: ImageSource + ?Sized> Walk<'_, S> {
    fn rva(&self, off: u32) -> u32 {
        self.dir.rva.saturating_add(off)
    }

    fn bad(&self, off: u32, reason: &str) -> PeError {
        corrupt("resource directory", self.rva(off), reason)
    }

    /// `len` bytes at `off`, which must lie inside the directory.
    fn read(&self, off: u32, len: u32, what: &'static str) -> Result<Vec<u8>, PeError> {
        if u64::from(off) + u64::from(len) > u64::from(self.dir.size) {
            return Err(
                self.bad(off, &format!("{what} lies past the directory's {:#x} bytes", self.dir.size))
            );
        }
        self.image.read(self.src, self.rva(off), len, what)
    }

    /// The subdirectory the entry chosen by `key` of the table at `off` leads to.
    fn subdirectory(
        &self,
        off: u32,
        key: Option<ResourceKey<'_>>,
        level: &str,
        above: &[u32],
    ) -> Result<u32, PeError> {
        let (is_dir, to) = self.pick(off, key, level, above)?;
        if !is_dir {
            return Err(self.bad(off, &format!("{level} entry is not a directory")));
        }
        Ok(to)
    }

    /// The entry of the table at `off` chosen by `key` (the first when
    /// `None`): (leads to a subdirectory, offset of it or of the data entry).
    /// `above` holds the tables already passed through, which no entry may
    /// lead back to.
    fn pick(
        &self,
        off: u32,
        key: Option<ResourceKey<'_>>,
        level: &str,
        above: &[u32],
    ) -> Result<(bool, u32), PeError> {
        let head = self.read(off, 16, "resource directory")?;
        let count = u32::from(u16_at(&head, 12)) + u32::from(u16_at(&head, 14));
        if count > MAX_DIR_ENTRIES {
            return Err(self.bad(off, &format!("{count} entries")));
        }
        let entries = self.read(off.saturating_add(16), count * 8, "resource directory entries")?;
        for e in entries.chunks_exact(8) {
            let (name, target) = (u32_at(e, 0), u32_at(e, 4));
            let hit = match key {
                None => true,
                Some(ResourceKey::Id(id)) => name & HIGH_BIT == 0 && name == id,
                Some(ResourceKey::Name(want)) => {
                    name & HIGH_BIT != 0 && self.name_is(name & !HIGH_BIT, want)?
                }
            };
            if !hit {
                continue;
            }
            let (is_dir, to) = (target & HIGH_BIT != 0, target & !HIGH_BIT);
            if to >= self.dir.size {
                return Err(self.bad(off, &format!("{level} entry points to {to:#x}, outside the directory")));
            }
            if is_dir && (to == off || above.contains(&to)) {
                return Err(self.bad(off, &format!("{level} entry leads back to the table at {to:#x}")));
            }
            return Ok((is_dir, to));
        }
        let want = match key {
            Some(ResourceKey::Id(id)) => format!("type {id}"),
            Some(ResourceKey::Name(n)) => format!("name {n}"),
            None => "any entry".into(),
        };
        Err(PeError::NoResource { detail: format!("{level} level has no {want}") })
    }

    /// Compares the counted UTF-16 string at `off` with `want` (ASCII,
    /// case-insensitive, as the loader does).
    fn name_is(&self, off: u32, want: &str) -> Result<bool, PeError> {
        let len = u32::from(u16_at(&self.read(off, 2, "resource name")?, 0));
        if len as usize != want.len() {
            return Ok(false);
        }
        let units = self.read(off.saturating_add(2), len * 2, "resource name")?;
        Ok(units.chunks_exact(2).zip(want.bytes()).all(|(u, c)| {
            let u = u16::from_le_bytes([u[0], u[1]]);
            u == u16::from(c.to_ascii_uppercase()) || u == u16::from(c.to_ascii_lowercase())
        }))
    }
}

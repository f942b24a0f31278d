//! The ReadyToRun "native format" pieces the method entry points need
//! (`src/coreclr/vm/nativeformatreader.h`): variable-length unsigned
//! integers and the `NativeArray` (a 16-ary sparse tree per block of 16
//! indices). Offsets are RVAs; only the bytes of one section are held, and
//! an offset outside them is "not found", never a panic.

/// Indices per block of a `NativeArray`.
const BLOCK: u32 = 16;

/// The bytes of one image section, addressed by RVA.
pub struct Section<'b> {
    /// RVA of `bytes[0]`.
    pub rva: u32,
    /// The section's bytes.
    pub bytes: &'b [u8],
}

impl Section<'_> {
    fn u8(&self, at: u32) -> Option<u32> {
        self.bytes.get(at.checked_sub(self.rva)? as usize).map(|&b| u32::from(b))
    }

    fn le(&self, at: u32, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |acc, i| Some(acc | (self.u8(at.checked_add(i)?)? << (8 * i))))
    }

    /// `NativeReader::DecodeUnsigned`: `(value, offset after it)`.
    pub fn unsigned(&self, at: u32) -> Option<(u32, u32)> {
        let b = self.u8(at)?;
        let next = |i: u32| self.u8(at.checked_add(i)?);
        Some(if b & 1 == 0 {
            (b >> 1, at + 1)
        } else if b & 2 == 0 {
            ((b >> 2) | (next(1)? << 6), at + 2)
        } else if b & 4 == 0 {
            ((b >> 3) | (next(1)? << 5) | (next(2)? << 13), at + 3)
        } else if b & 8 == 0 {
            ((b >> 4) | (next(1)? << 4) | (next(2)? << 12) | (next(3)? << 20), at + 4)
        } else if b & 16 == 0 {
            (self.le(at + 1, 4)?, at + 5)
        } else {
            return None;
        })
    }

    /// The runtime-function index a method entry at `at` starts with
    /// (`ReadyToRunInfo::GetEntryPoint`: low bit = has fixups, then the id).
    pub fn method_entry(&self, at: u32) -> Option<u32> {
        let (id, _) = self.unsigned(at)?;
        Some(if id & 1 != 0 { id >> 2 } else { id >> 1 })
    }
}

/// A decoded `NativeArray` header.
pub struct NativeArray<'s, 'b> {
    section: &'s Section<'b>,
    base: u32,
    count: u32,
    index_size: u32,
}

impl<'s, 'b> NativeArray<'s, 'b> {
    /// The array whose header is at `at`.
    pub fn new(section: &'s Section<'b>, at: u32) -> Option<Self> {
        let (val, base) = section.unsigned(at)?;
        Some(NativeArray { section, base, count: val >> 2, index_size: val & 3 })
    }

    /// Number of indices.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether the array has no indices.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The offset of element `index`, when present (`NativeArray::TryGetAt`).
    pub fn get(&self, index: u32) -> Option<u32> {
        if index >= self.count {
            return None;
        }
        let s = self.section;
        let block = index / BLOCK;
        let mut offset = match self.index_size {
            0 => s.u8(self.base + block)?,
            1 => s.le(self.base + 2 * block, 2)?,
            _ => s.le(self.base + 4 * block, 4)?,
        }
        .checked_add(self.base)?;
        let mut bit = BLOCK >> 1;
        while bit > 0 {
            let (val, after) = s.unsigned(offset)?;
            if index & bit != 0 {
                if val & 2 != 0 {
                    offset = offset.checked_add(val >> 2)?;
                    bit >>= 1;
                    continue;
                }
            } else if val & 1 != 0 {
                offset = after;
                bit >>= 1;
                continue;
            }
            // A special leaf: the one index this subtree holds.
            if val & 3 == 0 && (val >> 2) == index & (BLOCK - 1) {
                return Some(after);
            }
            return None;
        }
        Some(offset)
    }
}

//! The bit reader of the GC info encoding: a byte stream read least
//! significant bit first, with the encoder's variable-length numbers.

/// A position in a GC info blob, in bits from its first byte.
#[derive(Debug, Clone)]
pub struct Bits<'a> {
    bytes: &'a [u8],
    pos: u64,
}

impl<'a> Bits<'a> {
    /// A reader at bit `pos` of `bytes`.
    pub fn at(bytes: &'a [u8], pos: u64) -> Self {
        Bits { bytes, pos }
    }

    /// The current position (bits from the blob's start).
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Moves to bit `pos`.
    pub fn seek(&mut self, pos: u64) {
        self.pos = pos;
    }

    /// Skips `n` bits; fails past the end of the bytes read.
    pub fn skip(&mut self, n: u64) -> Result<(), String> {
        let to = self.pos.checked_add(n).ok_or("GC info: position overflows")?;
        if to > self.bytes.len() as u64 * 8 {
            return Err(format!("GC info: bit {to} is past the {} bytes read", self.bytes.len()));
        }
        self.pos = to;
        Ok(())
    }

    /// Moves up to the next byte boundary.
    pub fn align_byte(&mut self) {
        self.pos = self.pos.next_multiple_of(8);
    }

    /// `n` bits (at most 64), the first read the least significant.
    pub fn read(&mut self, n: u32) -> Result<u64, String> {
        debug_assert!(n <= 64);
        let mut v = 0u64;
        let mut done = 0u32;
        while done < n {
            let byte = usize::try_from(self.pos / 8).ok().and_then(|i| self.bytes.get(i)).copied();
            let Some(byte) = byte else {
                return Err(format!("GC info: bit {} is past the {} bytes read", self.pos, self.bytes.len()));
            };
            let shift = (self.pos % 8) as u32;
            let take = (8 - shift).min(n - done);
            let chunk = (u64::from(byte) >> shift) & ((1u64 << take) - 1);
            v |= chunk << done;
            done += take;
            self.pos += u64::from(take);
        }
        Ok(v)
    }

    /// One bit.
    pub fn bit(&mut self) -> Result<bool, String> {
        Ok(self.read(1)? != 0)
    }

    /// An unsigned number in chunks of `base` payload bits, each followed
    /// by a "more" bit, lowest chunk first.
    pub fn var_unsigned(&mut self, base: u32) -> Result<u64, String> {
        let (mut v, mut shift) = (0u64, 0u32);
        loop {
            let chunk = self.read(base + 1)?;
            if shift >= 64 {
                return Err(format!("GC info: a number longer than 64 bits at bit {}", self.pos));
            }
            v |= (chunk & ((1 << base) - 1)) << shift;
            if chunk & (1 << base) == 0 {
                return Ok(v);
            }
            shift += base;
        }
    }

    /// A signed number: as [`Bits::var_unsigned`], sign-extended from its
    /// last payload bit.
    pub fn var_signed(&mut self, base: u32) -> Result<i64, String> {
        let (mut v, mut shift) = (0u64, 0u32);
        loop {
            let chunk = self.read(base + 1)?;
            if shift >= 64 {
                return Err(format!("GC info: a number longer than 64 bits at bit {}", self.pos));
            }
            v |= (chunk & ((1 << base) - 1)) << shift;
            shift += base;
            if chunk & (1 << base) == 0 {
                let unused = 64u32.saturating_sub(shift);
                return Ok(((v << unused) as i64) >> unused);
            }
        }
    }
}

/// `ceil(log2(x))` (0 for 0 and 1): the width of the safe-point offsets.
pub fn ceil_log2(x: u64) -> u32 {
    if x <= 1 { 0 } else { 64 - (x - 1).leading_zeros() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_the_encoder_writes_them() {
        // 13 with base 2: chunks 0b101 then 0b011, LSB first: 0x1D.
        assert_eq!(Bits::at(&[0x1D], 0).var_unsigned(2), Ok(13));
        // -3 with base 6: 0b0111101 = 0x3D.
        assert_eq!(Bits::at(&[0x3D], 0).var_signed(6), Ok(-3));
        // 40 with base 6: chunk 104 (40 | 64) then 0.
        assert_eq!(Bits::at(&[104, 0], 0).var_signed(6), Ok(40));
        assert_eq!((ceil_log2(1), ceil_log2(2), ceil_log2(3), ceil_log2(64), ceil_log2(65)), (0, 1, 2, 6, 7));
        // Reading past the end is an error, never a panic.
        assert!(Bits::at(&[0xFF], 0).var_unsigned(8).is_err());
        assert!(Bits::at(&[], 0).read(1).is_err());
    }
}

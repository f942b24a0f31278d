//! GC info: which registers and stack slots of a method's frame hold object
//! references at a given code offset — what makes stack roots precise.
//!
//! The JIT writes one blob per method (CoreCLR `GcInfoEncoder`, format
//! version 2 on x64 in .NET Core 3.x): a header (code length, frame
//! register, size of the outgoing-argument area), the call sites of a
//! partially interruptible method or the interruptible ranges of a fully
//! interruptible one, the slot table (registers, tracked stack slots,
//! untracked stack slots), then liveness: a bit vector per call site, or
//! 64-byte chunks of transitions. JIT'd code finds the blob through its
//! `RealCodeHeader` (`phdrJitGCInfo`), ReadyToRun code right after the
//! method's `UNWIND_INFO`.
//!
//! Every count is bounded and every read checked: a blob that does not
//! parse is an error, and the caller falls back to a conservative scan.
//! The decoding is proven on real dumps by its own invariants (a
//! non-leaf frame's return address must be one of its method's call
//! sites; every live slot must hold null or an object start).

pub mod bits;
pub mod frame;

use bits::{Bits, ceil_log2};

/// More slots than any method has: a corrupt count is refused.
const MAX_SLOTS: u64 = 1 << 14;
/// Methods longer than this (1 GiB) are not real.
const MAX_CODE: u64 = 1 << 30;

/// What a stack slot's offset is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackBase {
    /// The caller's SP (this frame's SP before the call that made it).
    CallerSp,
    /// This frame's SP.
    Sp,
    /// This frame's frame register (RBP).
    FrameRegister,
}

/// Where a slot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotLocation {
    /// A register (x64 numbering: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 5 RBP, 6 RSI, 7 RDI, 8–15 R8–R15).
    Register(u8),
    /// A stack slot: `offset` bytes from `base`.
    Stack {
        /// The base.
        base: StackBase,
        /// Bytes from the base.
        offset: i64,
    },
}

/// One slot of the slot table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Where it is.
    pub location: SlotLocation,
    /// It may point inside an object (a byref).
    pub interior: bool,
    /// The object it references is pinned.
    pub pinned: bool,
    /// False for untracked slots (live wherever the method is on the stack).
    pub tracked: bool,
}

/// A decoded GC info header and slot table.
#[derive(Debug, Clone)]
pub struct GcInfo {
    /// Bytes of code the blob covers (the method and its funclets).
    pub code_length: u64,
    /// The frame register, when the method has one (RBP: 5).
    pub stack_base_register: Option<u8>,
    /// Bytes of outgoing-argument area above SP (never reported for a caller frame).
    pub outgoing_area: u64,
    /// Funclet parents are reported by their funclet only.
    pub report_only_leaf: bool,
    /// Number of call sites (partially interruptible code).
    pub safe_points: u64,
    safe_point_bits: u32,
    safe_points_at: u64,
    /// Interruptible ranges `[start, stop)` (fully interruptible code).
    pub ranges: Vec<(u64, u64)>,
    /// The slot table: tracked slots first, untracked last.
    pub slots: Vec<Slot>,
    /// How many of `slots` are tracked.
    pub tracked: usize,
    live_at: u64,
}

impl GcInfo {
    /// Decodes the header and slot table of the blob starting at `bytes[0]`
    /// (`bytes` may run past its end: the size is not recorded).
    ///
    /// ```
    /// use clr_stack::gcinfo::{GcInfo, SlotLocation, StackBase};
    /// // A slim header: RBP frame, 64 bytes of code, call sites at 0x15 and
    /// // 0x35 (stored minus one), RSI tracked, [rbp-0x18] tracked,
    /// // [rbp-0x20] untracked; RSI live across the first call.
    /// let blob = [0x06, 0x44, 0x14, 0x3d, 0x93, 0x61, 0x0f, 0x79, 0x48];
    /// let info = GcInfo::decode(&blob)?;
    /// assert_eq!((info.code_length, info.safe_points, info.tracked), (64, 2, 2));
    /// let live = info.live_slots(&blob, 0x15 - 1, false, true)?;
    /// assert_eq!(live[0].location, SlotLocation::Register(6));
    /// assert_eq!(live[1].location, SlotLocation::Stack { base: StackBase::FrameRegister, offset: -0x20 });
    /// # Ok::<(), String>(())
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<GcInfo, String> {
        let mut b = Bits::at(bytes, 0);
        let fat = b.bit()?;
        let (flags, code_length, safe_points, ranges, outgoing, sbr);
        if !fat {
            let has_sbr = b.bit()?;
            b.read(2)?; // return kind
            code_length = b.var_unsigned(8)?;
            safe_points = b.var_unsigned(2)?;
            (flags, ranges, outgoing) = (if has_sbr { 0x40 } else { 0 }, 0, 0);
            sbr = has_sbr.then_some(5u8);
        } else {
            flags = b.read(10)?;
            b.read(4)?; // return kind
            code_length = b.var_unsigned(8)?;
            if flags & 0x4 != 0 {
                b.var_unsigned(5)?; // prolog size
                b.var_unsigned(3)?; // epilog size
            } else if flags & 0x32 != 0 {
                b.var_unsigned(5)?;
            }
            // Security object, GS cookie, PSPSym, generics context: slots the header names.
            for mask in [0x2, 0x4, 0x8, 0x30] {
                if flags & mask != 0 {
                    b.var_signed(6)?;
                }
            }
            sbr = if flags & 0x40 != 0 { Some((b.var_unsigned(3)? ^ 5) as u8) } else { None };
            if flags & 0x100 != 0 {
                b.var_unsigned(4)?;
            }
            if flags & 0x200 != 0 {
                b.var_signed(6)?;
            }
            outgoing = b.var_unsigned(3)?.checked_mul(8).ok_or("GC info: outgoing area overflows")?;
            safe_points = b.var_unsigned(2)?;
            ranges = b.var_unsigned(1)?;
        }
        if code_length == 0 || code_length > MAX_CODE {
            return Err(format!("GC info: code length {code_length}"));
        }
        // At most one call site or range per byte of code.
        if safe_points > code_length || ranges > code_length {
            return Err(format!("GC info: {safe_points} call sites, {ranges} ranges in {code_length} bytes"));
        }
        if sbr.is_some_and(|r| r > 15 || r == 4) {
            return Err(format!("GC info: frame register {sbr:?}"));
        }
        let safe_point_bits = ceil_log2(code_length);
        let safe_points_at = b.pos();
        b.skip(safe_points * u64::from(safe_point_bits))?;
        let mut range_list = Vec::new();
        let mut last = 0u64;
        for _ in 0..ranges {
            let start = last.saturating_add(b.var_unsigned(6)?);
            let stop = start.saturating_add(b.var_unsigned(6)?).saturating_add(1);
            if stop > code_length {
                return Err(format!("GC info: interruptible range [{start:#x}, {stop:#x}) past the code"));
            }
            range_list.push((start, stop));
            last = stop;
        }
        let (slots, tracked) = slot_table(&mut b)?;
        Ok(GcInfo {
            code_length,
            stack_base_register: sbr,
            outgoing_area: outgoing,
            report_only_leaf: flags & 0x80 != 0,
            safe_points,
            safe_point_bits,
            safe_points_at,
            ranges: range_list,
            slots,
            tracked,
            live_at: b.pos(),
        })
    }

    /// The call site whose stored offset is `offset` (a return address
    /// minus one), by binary search over the sorted table.
    pub fn safe_point(&self, bytes: &[u8], offset: u64) -> Result<Option<u64>, String> {
        let (mut lo, mut hi) = (0u64, self.safe_points);
        let mut b = Bits::at(bytes, 0);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            b.seek(self.safe_points_at + mid * u64::from(self.safe_point_bits));
            let v = b.read(self.safe_point_bits)?;
            match v.cmp(&offset) {
                std::cmp::Ordering::Equal => return Ok(Some(mid)),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Ok(None)
    }

    /// The slots holding references at code offset `offset` — for a caller
    /// frame (`leaf` false) its return address minus one, as the runtime
    /// asks — in slot-table order: the live tracked slots, then every
    /// untracked slot. A caller frame's scratch registers are left out
    /// (`windows`: RSI and RDI are preserved across calls there); its
    /// outgoing-area stack slots are left to the caller, who knows SP.
    pub fn live_slots(
        &self,
        bytes: &[u8],
        offset: u64,
        leaf: bool,
        windows: bool,
    ) -> Result<Vec<Slot>, String> {
        let sp = self.safe_point(bytes, offset)?;
        let mut live = vec![false; self.tracked];
        if sp.is_none()
            && !self.ranges.is_empty()
            && !self.ranges.iter().any(|&(s, e)| offset >= s && offset < e)
        {
            // Outside every interruptible range (a prolog or epilog): the runtime reports nothing.
            return Ok(Vec::new());
        }
        if self.tracked > 0 {
            let n = self.tracked as u64;
            let mut b = Bits::at(bytes, self.live_at);
            let indirect = if self.safe_points > 0 && b.bit()? { Some(b.var_unsigned(3)? + 1) } else { None };
            if let Some(i) = sp {
                match indirect {
                    None => {
                        b.skip(i * n)?;
                        for l in live.iter_mut() {
                            *l = b.bit()?;
                        }
                    }
                    Some(w) => {
                        let w32 =
                            u32::try_from(w).ok().filter(|&w| w <= 32).ok_or("GC info: pointer width")?;
                        let table = b.pos();
                        b.skip(i * w)?;
                        let at = b.read(w32)?;
                        let start = (table + self.safe_points * w).next_multiple_of(8);
                        b.seek(start.saturating_add(at));
                        live = live_vector(&mut b, self.tracked)?;
                    }
                }
            } else if !self.ranges.is_empty() {
                if indirect.is_some() {
                    return Err("GC info: call sites with shared vectors and interruptible ranges".into());
                }
                b.skip(self.safe_points * n)?;
                live = self.fully_interruptible(&mut b, offset)?;
            }
        }
        let callee_saved = |r: u8| matches!(r, 3 | 5 | 12..=15) || (windows && matches!(r, 6 | 7));
        let mut out = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            let keep = match (s.tracked, s.location) {
                (false, _) => true,
                (true, SlotLocation::Register(r)) => {
                    live.get(i).copied().unwrap_or(false) && (leaf || callee_saved(r))
                }
                (true, _) => live.get(i).copied().unwrap_or(false),
            };
            if keep {
                out.push(*s);
            }
        }
        Ok(out)
    }

    /// Liveness of the tracked slots at `offset` in fully interruptible
    /// code: `b` is at the chunk pointer table.
    fn fully_interruptible(&self, b: &mut Bits, offset: u64) -> Result<Vec<bool>, String> {
        let mut pseudo = None;
        let mut before = 0u64;
        for &(s, e) in &self.ranges {
            if offset >= s && offset < e {
                pseudo = Some(before + (offset - s));
            }
            before += e - s;
        }
        let none = vec![false; self.tracked];
        let Some(pseudo) = pseudo else { return Ok(none) };
        let chunks = before.div_ceil(64);
        let w = b.var_unsigned(3)?;
        if w == 0 {
            return Ok(none);
        }
        let w32 = u32::try_from(w).ok().filter(|&w| w <= 32).ok_or("GC info: chunk pointer width")?;
        let table = b.pos();
        let chunks_start = (table + chunks * w).next_multiple_of(8);
        let (wanted, delta) = (pseudo / 64, pseudo % 64);
        let mut c = wanted;
        let ptr = loop {
            b.seek(table + c * w);
            let p = b.read(w32)?;
            if p != 0 {
                break p;
            }
            if c == 0 {
                return Ok(none);
            }
            c -= 1;
        };
        b.seek(chunks_start + ptr - 1);
        let could = live_vector(b, self.tracked)?;
        let set: Vec<usize> = (0..self.tracked).filter(|&i| could[i]).collect();
        let mut live = vec![false; self.tracked];
        for &i in &set {
            live[i] = b.bit()?;
        }
        if c == wanted {
            for &i in &set {
                // At most 63 transitions per slot and chunk (offsets 1..63).
                for _ in 0..64 {
                    if !b.bit()? {
                        break;
                    }
                    if b.read(6)? > delta {
                        live[i] = !live[i];
                    }
                }
            }
        }
        Ok(live)
    }
}

/// The slot table: registers, tracked stack slots, untracked stack slots.
fn slot_table(b: &mut Bits) -> Result<(Vec<Slot>, usize), String> {
    let regs = if b.bit()? { b.var_unsigned(2)? } else { 0 };
    let (stack, untracked) = if b.bit()? { (b.var_unsigned(2)?, b.var_unsigned(1)?) } else { (0, 0) };
    if regs.saturating_add(stack).saturating_add(untracked) > MAX_SLOTS {
        return Err(format!("GC info: {regs} registers, {stack} stack slots, {untracked} untracked"));
    }
    let mut slots = Vec::new();
    let (mut prev_flags, mut prev_reg) = (0u64, 0u64);
    for k in 0..regs {
        let (reg, flags) = if k == 0 || prev_flags != 0 {
            (b.var_unsigned(3)?, b.read(2)?)
        } else {
            (prev_reg.saturating_add(b.var_unsigned(2)?).saturating_add(1), 0)
        };
        if reg > 15 || reg == 4 {
            return Err(format!("GC info: register slot {reg}"));
        }
        slots.push(slot(SlotLocation::Register(reg as u8), flags, true));
        (prev_flags, prev_reg) = (flags, reg);
    }
    for (count, tracked) in [(stack, true), (untracked, false)] {
        let (mut prev_flags, mut prev_off) = (0u64, 0i64);
        for k in 0..count {
            let base = match b.read(2)? {
                0 => StackBase::CallerSp,
                1 => StackBase::Sp,
                2 => StackBase::FrameRegister,
                v => return Err(format!("GC info: stack slot base {v}")),
            };
            let (off, flags) = if k == 0 || prev_flags != 0 {
                (b.var_signed(6)?, b.read(2)?)
            } else {
                let d = i64::try_from(b.var_unsigned(4)?).map_err(|_| "GC info: stack slot delta")?;
                (prev_off.saturating_add(d), 0)
            };
            let offset = off.checked_mul(8).ok_or("GC info: stack slot offset overflows")?;
            slots.push(slot(SlotLocation::Stack { base, offset }, flags, tracked));
            (prev_flags, prev_off) = (flags, off);
        }
    }
    Ok((slots, (regs + stack) as usize))
}

fn slot(location: SlotLocation, flags: u64, tracked: bool) -> Slot {
    Slot { location, interior: flags & 1 != 0, pinned: flags & 2 != 0, tracked }
}

/// A live-state vector over `n` tracked slots: plain bits, or runs.
fn live_vector(b: &mut Bits, n: usize) -> Result<Vec<bool>, String> {
    let mut v = vec![false; n];
    if !b.bit()? {
        for x in v.iter_mut() {
            *x = b.bit()?;
        }
        return Ok(v);
    }
    let neg = b.bit()?;
    let (skip_base, run_base) = if neg { (2, 4) } else { (4, 2) };
    let mut idx = b.var_unsigned(skip_base)?;
    let mut set = true;
    // Every run is at least one slot long: at most `n` runs.
    while idx < n as u64 {
        let k = b.var_unsigned(if set { run_base } else { skip_base })?.saturating_add(1);
        if set {
            for x in v.iter_mut().take(idx.saturating_add(k).min(n as u64) as usize).skip(idx as usize) {
                *x = true;
            }
        }
        idx = idx.saturating_add(k);
        set = !set;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's worked examples, made with a model of the 3.1 encoder
    /// from its sources (the real-dump proof is in `tests/gcinfo_truth.rs`).
    #[test]
    fn partially_interruptible_slim_header() {
        let blob = [0x06, 0x44, 0x14, 0x3d, 0x93, 0x61, 0x0f, 0x79, 0x48, 0x00];
        let info = GcInfo::decode(&blob).unwrap(); // ok: a literal test blob
        assert_eq!((info.code_length, info.stack_base_register, info.safe_points), (64, Some(5), 2));
        assert_eq!(info.slots.len(), 3);
        let fr = |offset| SlotLocation::Stack { base: StackBase::FrameRegister, offset };
        let at = |o| {
            info.live_slots(&blob, o, false, true).unwrap().iter().map(|s| s.location).collect::<Vec<_>>() // ok: a literal test blob
        };
        assert_eq!(at(0x14), [SlotLocation::Register(6), fr(-0x20)]);
        assert_eq!(at(0x34), [fr(-0x18), fr(-0x20)]);
        assert_eq!(at(0x15), [fr(-0x20)], "not a call site: untracked only");
        // RSI is scratch on Linux: a caller frame does not report it.
        let linux = info.live_slots(&blob, 0x14, false, false).unwrap(); // ok: a literal test blob
        assert_eq!(linux.iter().map(|s| s.location).collect::<Vec<_>>(), [fr(-0x20)]);
    }

    #[test]
    fn fully_interruptible_fat_header() {
        let blob = [0x81, 0x00, 0x18, 0x40, 0x08, 0x31, 0x2a, 0x80, 0x22, 0x26, 0x92, 0x51, 0x09, 0x02];
        let info = GcInfo::decode(&blob).unwrap(); // ok: a literal test blob
        assert_eq!(
            (info.code_length, info.outgoing_area, info.ranges.as_slice()),
            (48, 0x20, &[(8, 44)][..])
        );
        let at =
            |o| info.live_slots(&blob, o, true, true).unwrap().iter().map(|s| s.location).collect::<Vec<_>>(); // ok: a literal test blob
        assert_eq!(at(0x13), [SlotLocation::Register(0), SlotLocation::Register(3)]);
        assert_eq!(at(0x14), [SlotLocation::Register(3)]);
        assert!(at(0x28).is_empty());
        assert!(at(0x4).is_empty(), "prolog: nothing");
    }

    /// Random and mutated blobs: decoding and every query end (error or
    /// answer), never panic; answers stay inside the slot table.
    #[test]
    fn mutated_blobs_never_panic() {
        let seeds: [&[u8]; 2] = [
            &[0x06, 0x44, 0x14, 0x3d, 0x93, 0x61, 0x0f, 0x79, 0x48, 0x00],
            &[0x81, 0x00, 0x18, 0x40, 0x08, 0x31, 0x2a, 0x80, 0x22, 0x26, 0x92, 0x51, 0x09, 0x02],
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..20_000 {
            let mut blob: Vec<u8> = if round % 4 == 0 {
                (0..next() % 64).map(|_| next() as u8).collect()
            } else {
                seeds[round % 2].to_vec()
            };
            for _ in 0..1 + next() % 4 {
                if !blob.is_empty() {
                    let i = (next() % blob.len() as u64) as usize;
                    blob[i] ^= 1 << (next() % 8);
                }
            }
            blob.extend((0..next() % 16).map(|_| next() as u8));
            let Ok(info) = GcInfo::decode(&blob) else { continue };
            for _ in 0..8 {
                let offset = next() % info.code_length.max(1);
                if let Ok(live) = info.live_slots(&blob, offset, next() % 2 == 0, next() % 2 == 0) {
                    assert!(live.len() <= info.slots.len());
                }
            }
        }
    }

    #[test]
    fn truncated_or_hostile_blobs_are_errors() {
        let blob = [0x06, 0x44, 0x14, 0x3d, 0x93, 0x61, 0x0f, 0x79, 0x48, 0x00];
        for n in 0..8 {
            assert!(GcInfo::decode(&blob[..n]).is_err(), "{n} bytes");
        }
        // A fat header claiming a huge slot table.
        assert!(GcInfo::decode(&[0xFF; 64]).is_err());
    }
}

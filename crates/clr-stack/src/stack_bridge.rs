//! Crossing code the walker cannot unwind (`stack.rs`): an active
//! `InlinedCallFrame` gives the managed caller's registers; otherwise the
//! first frame-pointer chain above SP is taken (two chained links, each
//! return address a call site in known code); otherwise a scan above the
//! next runtime Frame for a return address into managed code. Whatever a
//! scan finds is marked.

use crate::frames::ExplicitFrame;
use crate::stack::{Found, SCAN_LIMIT, StackWalker, Walk};
use crate::unwind::{RBP, Regs, is_return_address};

impl StackWalker<'_, '_, '_, '_> {
    /// Crosses native code: an active `InlinedCallFrame`, else the first
    /// frame-pointer chain above SP, else a scan above the next Frame.
    pub(crate) fn bridge(
        &self,
        w: &mut Walk,
        explicit: &[ExplicitFrame],
        range: (u64, u64),
        why: &str,
    ) -> Result<(), String> {
        let mem = self.rt.dump.memory();
        let p = self.rt.layout.ptr;
        let sp = w.regs.sp;
        let next = explicit.iter().find(|f| f.address >= sp);
        // GCFrames only protect references inside native code; the frame a
        // helper erects for its managed caller is the first other one.
        let transition = explicit.iter().find(|f| f.address >= sp && f.name != Some("GCFrame")).or(next);
        if let Some(r) = next.and_then(|f| f.resume).filter(|r| r.sp > sp && r.sp < range.1) {
            w.regs = Regs::new(r.ip, r.sp);
            w.regs.set(RBP, Some(r.fp));
            w.found = Found::RuntimeFrame;
            w.certain = true;
            w.chain_certain = true;
            w.note = None;
            return Ok(());
        }
        // Windows x64 code keeps no frame-pointer chain; elsewhere native code does.
        if !(self.x64 && self.windows)
            && let Some(link) = self.chain_scan(sp, sp.saturating_add(SCAN_LIMIT).min(range.1), range)
        {
            let (saved, ret) = (mem.ptr(link).unwrap_or(0), mem.ptr(link + p).unwrap_or(0));
            w.regs = Regs::new(ret, link + 2 * p);
            w.regs.set(RBP, Some(saved));
            w.found = Found::FramePointer;
            w.mark(&format!("{why}: frame-pointer chain found by scanning at {link:#x}"));
            w.chain_certain = false;
            return Ok(());
        }
        if let Some(f) = transition {
            let limit = f.address.saturating_add(SCAN_LIMIT).min(range.1);
            if let Some(slot) = self.scan_checked(f.address, limit) {
                let ip = mem.ptr(slot).map_err(|e| e.to_string())?;
                w.regs = Regs::new(ip, slot + p);
                w.found = Found::Scan;
                w.mark(&format!(
                    "{why}: return address found by scanning above [{}: {:#x}]",
                    f.label(),
                    f.address
                ));
                return Ok(());
            }
        }
        Err(format!("{why}; no runtime Frame or frame-pointer chain above {sp:#x}"))
    }

    /// The first frame-pointer link `[s] = fp, [s+ptr] = return address` in
    /// `[from, to)` whose next link is valid too (two links: one word pair
    /// that merely looks like a link is common, two chained ones are not).
    pub(crate) fn chain_scan(&self, from: u64, to: u64, range: (u64, u64)) -> Option<u64> {
        let mem = self.rt.dump.memory();
        let p = self.rt.layout.ptr;
        let link = |s: u64| {
            let (fp, ret) = (mem.ptr(s).ok()?, mem.ptr(s + p).ok()?);
            (fp > s
                && fp < range.1
                && fp % p == 0
                && self.is_code(ret)
                && is_return_address(&self.info_reader(), ret))
            .then_some(fp)
        };
        let mut s = from.next_multiple_of(p);
        while s < to {
            if let Some(fp) = link(s)
                && (link(fp).is_some() || mem.ptr(fp).ok() == Some(0))
            {
                return Some(s);
            }
            s += p;
        }
        None
    }

    /// As [`Self::scan`] for managed return addresses, but on x64 a candidate
    /// counts only when its method's unwind data lead on to another call
    /// site (a stale copy of a return address rarely does).
    pub(crate) fn scan_checked(&self, from: u64, to: u64) -> Option<u64> {
        let mem = self.rt.dump.memory();
        let p = self.rt.layout.ptr;
        let mut at = from;
        while at < to {
            let slot = self.scan(at, to, true)?;
            if !self.x64 {
                return Some(slot);
            }
            let ip = mem.ptr(slot).ok()?;
            let mut r = Regs::new(ip, slot + p);
            let leads_on = self.code.lookup(ip).and_then(|ci| ci.unwind).is_some_and(|rf| {
                crate::unwind::x64::unwind(&mem, &self.info_reader(), &rf, &mut r).is_ok()
                    && self.is_code(r.ip)
                    && is_return_address(&self.info_reader(), r.ip)
            });
            if leads_on {
                return Some(slot);
            }
            at = slot + p;
        }
        None
    }

    /// The first slot in `[from, to)` holding a return address (into managed
    /// code only, when `managed`) that follows a call instruction.
    pub(crate) fn scan(&self, from: u64, to: u64, managed: bool) -> Option<u64> {
        let mem = self.rt.dump.memory();
        let p = self.rt.layout.ptr;
        let mut a = from.next_multiple_of(p);
        while a < to {
            if let Ok(v) = mem.ptr(a) {
                let code = if managed { self.code.lookup(v).is_some() } else { self.is_code(v) };
                if code && is_return_address(&self.info_reader(), v) {
                    return Some(a);
                }
            }
            a += p;
        }
        None
    }

    /// Inside managed code or a module of the dump.
    pub(crate) fn is_code(&self, a: u64) -> bool {
        self.code.is_managed(a) || self.rt.dump.modules().iter().any(|m| a >= m.base && a < m.end())
    }
}

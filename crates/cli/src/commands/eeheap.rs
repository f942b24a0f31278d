//! `clrscope eeheap --gc`: the GC heaps and their segments, like SOS.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::output::{Table, hex_ptr, jhex};
use clr_heap::gc::SegmentKind;
use serde::Serialize;

#[derive(Serialize)]
struct Segment {
    address: String,
    kind: &'static str,
    begin: String,
    allocated: String,
    committed: String,
    allocated_size: u64,
    committed_size: u64,
}

#[derive(Serialize)]
struct Heap {
    index: usize,
    address: Option<String>,
    generation_starts: Vec<Option<String>>,
    segments: Vec<Segment>,
    size: u64,
}

#[derive(Serialize)]
struct Body {
    server: bool,
    heaps: Vec<Heap>,
    total_size: u64,
}

/// Runs the command.
pub fn run(ctx: &Ctx) -> Result<ExitCode, CliError> {
    let rt = ctx.runtime()?;
    let heap =
        rt.heap.as_ref().map_err(|e| CliError::NotFound(format!("the GC heap could not be read: {e}")))?;
    let heaps: Vec<Heap> = (0..heap.heaps.len())
        .map(|i| {
            let segs: Vec<&clr_heap::gc::Segment> = heap.segments.iter().filter(|s| s.heap == i).collect();
            let eph = segs.iter().find(|s| s.kind == SegmentKind::Ephemeral);
            let segments: Vec<Segment> = segs
                .iter()
                .map(|s| Segment {
                    address: jhex(s.address),
                    kind: s.kind.name(),
                    begin: jhex(s.start),
                    allocated: jhex(s.end),
                    committed: jhex(s.committed),
                    allocated_size: s.len(),
                    committed_size: s.committed.saturating_sub(s.address),
                })
                .collect();
            Heap {
                index: i,
                address: heap.heaps[i].address.map(jhex),
                generation_starts: vec![
                    eph.and_then(|s| s.gen0_start).map(jhex),
                    eph.and_then(|s| s.gen1_start).map(jhex),
                    segs.iter()
                        .find(|s| matches!(s.kind, SegmentKind::Gen2 | SegmentKind::Ephemeral))
                        .map(|s| jhex(s.start)),
                ],
                size: segs.iter().fold(0u64, |a, s| a.saturating_add(s.len())),
                segments,
            }
        })
        .collect();
    let body = Body {
        server: heap.server,
        total_size: heaps.iter().fold(0u64, |a, h| a.saturating_add(h.size)),
        heaps,
    };
    ctx.finish("eeheap", &body, || {
        let p = ctx.ptr();
        let mut s = format!("Number of GC Heaps: {}\n", body.heaps.len());
        for (h, desc) in body.heaps.iter().zip(&heap.heaps) {
            if body.server {
                s.push_str("------------------------------\n");
                s.push_str(&format!(
                    "Heap {} ({})\n",
                    h.index,
                    desc.address.map(|a| hex_ptr(a, p)).unwrap_or_default()
                ));
            }
            for (g, start) in h.generation_starts.iter().enumerate() {
                s.push_str(&format!(
                    "generation {g} starts at {}\n",
                    start.clone().unwrap_or_else(|| "unknown".into())
                ));
            }
            for (title, kinds) in [
                ("Small object heap", &[SegmentKind::Ephemeral, SegmentKind::Gen2][..]),
                ("Large object heap", &[SegmentKind::Large][..]),
                ("Pinned object heap", &[SegmentKind::Pinned][..]),
            ] {
                let segs: Vec<&clr_heap::gc::Segment> =
                    heap.segments.iter().filter(|x| x.heap == h.index && kinds.contains(&x.kind)).collect();
                if segs.is_empty() {
                    continue;
                }
                s.push_str(&format!("{title}\n"));
                let mut t = Table::new(&[
                    " segment",
                    "begin",
                    "allocated",
                    "committed",
                    ">allocated size",
                    ">committed size",
                ]);
                for x in segs {
                    t.row(vec![
                        format!(" {}", hex_ptr(x.address, p)),
                        hex_ptr(x.start, p),
                        hex_ptr(x.end, p),
                        hex_ptr(x.committed, p),
                        format!("{:#x} ({})", x.len(), x.len()),
                        format!(
                            "{:#x} ({})",
                            x.committed.saturating_sub(x.address),
                            x.committed.saturating_sub(x.address)
                        ),
                    ]);
                }
                s.push_str(&t.render());
            }
            s.push_str(&format!("Heap Size:               Size: {:#x} ({}) bytes.\n", h.size, h.size));
        }
        s.push_str("------------------------------\n");
        s.push_str(&format!(
            "GC Heap Size:            Size: {:#x} ({}) bytes.\n",
            body.total_size, body.total_size
        ));
        s
    })
}

//! A heap with damaged objects: the walk reports each invalid object with its
//! address and reason, resynchronises, and still finds the objects around
//! the damage — it never stops early, never loops, never panics.

use clr_heap::Runtime;
use clr_heap::gc::HeapItem;
use dump_format::Dump;

#[test]
fn damaged_objects_are_reported_and_the_walk_resynchronises() {
    let Some(dir) = testkit::generated("linux-x64-3.1-wks") else { return };
    let original = std::fs::read(testkit::dump_file(&dir)).unwrap_or_default();
    let clean = Dump::from_bytes(original.clone()).unwrap_or_else(|e| panic!("{e}"));
    let rt = Runtime::open(&clean, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{e}"));
    // Collect object addresses and their file offsets from the clean walk.
    let mut cache = rt.mt_cache();
    let objects: Vec<u64> = rt
        .walk(&mut cache)
        .map(|w| w.filter_map(|i| if let HeapItem::Object(o) = i { Some(o.address) } else { None }).collect())
        .unwrap_or_default();
    assert!(objects.len() > 200_000);
    let mem = clean.memory();
    let file_offset = |addr: u64| {
        let r = mem.region_of(addr)?;
        Some((r.file_offset + (addr - r.start)) as usize)
    };
    let mut rng = 0x1234_5678_9abc_def1u64;
    for round in 0..6 {
        let mut data = original.clone();
        let mut damaged = Vec::new();
        for _ in 0..(1 + round * 3) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let addr = objects[(rng % objects.len() as u64) as usize];
            if let Some(off) = file_offset(addr) {
                // Overwrite the MethodTable pointer with garbage.
                data[off..off + 8].copy_from_slice(&(rng | 1).to_le_bytes());
                damaged.push(addr);
            }
        }
        let dump = Dump::from_bytes(data).unwrap_or_else(|e| panic!("{e}"));
        let rt = Runtime::open(&dump, &testkit::clr_options(&dir)).unwrap_or_else(|e| panic!("{e}"));
        let mut cache = rt.mt_cache();
        let mut valid = 0usize;
        let mut invalid = Vec::new();
        let walk = rt.walk(&mut cache).unwrap_or_else(|e| panic!("{e}"));
        for item in walk {
            match item {
                HeapItem::Object(_) => valid += 1,
                HeapItem::Invalid { address, reason, .. } => invalid.push((address, reason)),
            }
        }
        damaged.sort_unstable();
        damaged.dedup();
        for d in &damaged {
            assert!(invalid.iter().any(|(a, _)| a == d), "round {round}: damaged object {d:#x} not reported");
        }
        // Each damaged object costs at most itself and the objects up to the
        // next word holding a known type: the rest of the heap is still read.
        assert!(
            valid + damaged.len() * 64 >= objects.len(),
            "round {round}: only {valid} of {} objects after {} damaged",
            objects.len(),
            damaged.len()
        );
        assert!(valid < objects.len(), "round {round}: damaged objects were counted as valid");
    }
}

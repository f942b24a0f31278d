//! The PE layer: file and mapped layouts give the same metadata, a range
//! missing from the source is an error naming its RVA, damage is an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clr_heap::metadata::Metadata;
use clr_heap::pe::{FnSource, ImageSource, Layout, PeError, PeImage};
use common::*;
use std::path::Path;

/// Lays the file out as the loader would: headers, then each section at its RVA.
fn map_image(file: &[u8]) -> Vec<u8> {
    let image = PeImage::parse(file, Layout::File).unwrap();
    let mut mapped = vec![0u8; image.size_of_image as usize];
    let headers = image.size_of_headers as usize;
    mapped[..headers].copy_from_slice(&file[..headers]);
    for s in &image.sections {
        let len = s.raw_size.min(s.virtual_size.max(1)) as usize;
        let (src, dst) = (s.raw_pointer as usize, s.virtual_address as usize);
        mapped[dst..dst + len].copy_from_slice(&file[src..src + len]);
    }
    mapped
}

fn mscorlib() -> Option<Vec<u8>> {
    let path = fixture(Path::new(MONO_MSCORLIB), "apt-get install -y mono-mcs")?;
    Some(std::fs::read(path).unwrap())
}

#[test]
fn file_and_mapped_layouts_agree() {
    let Some(file) = mscorlib() else { return };
    let from_file = PeImage::parse(file.as_slice(), Layout::File).unwrap();
    assert!(!from_file.is_pe32_plus, "mono's mscorlib is a PE32 (AnyCPU) image");
    assert_eq!(from_file.machine, 0x14c);
    assert!(from_file.sections.iter().any(|s| s.name == ".text"));
    assert_eq!(from_file.data_directories.len(), 16);
    let cli = from_file.cli.unwrap();
    assert!(cli.cb >= 72 && cli.flags & 1 != 0, "IL-only flag");
    assert_eq!(from_file.ready_to_run_header_rva(), None);

    let mapped = map_image(&file);
    let from_memory = PeImage::parse(mapped.as_slice(), Layout::Mapped).unwrap();
    assert_eq!(from_memory.cli, from_file.cli);
    assert_eq!(from_memory.sections, from_file.sections);
    let a = from_file.read_metadata(file.as_slice()).unwrap();
    let b = from_memory.read_metadata(mapped.as_slice()).unwrap();
    assert_eq!(a, b);
    assert_eq!(from_memory.metadata_slice(&mapped).unwrap(), a.as_slice());
    assert_eq!(&a[..4], b"BSJB");
    Metadata::parse(&b).unwrap();
    // Debug entries (mono's build carries none or a CodeView entry): readable either way.
    assert_eq!(
        from_file.debug_entries(file.as_slice()).unwrap(),
        from_memory.debug_entries(mapped.as_slice()).unwrap()
    );
}

#[test]
fn a_page_missing_from_the_dump_is_an_error_naming_its_rva() {
    let Some(file) = mscorlib() else { return };
    let mapped = map_image(&file);
    let md = PeImage::parse(mapped.as_slice(), Layout::Mapped).unwrap().cli.unwrap().metadata;
    // A source that, like a partial dump, lacks the page holding the metadata root.
    let page = u64::from(md.rva) & !0xFFF;
    let source = FnSource(|offset: u64, buf: &mut [u8]| {
        let end = offset + buf.len() as u64;
        if offset < page + 0x1000 && end > page {
            return Err(format!("memory at {:#x} was not captured", 0x1000_0000 + page));
        }
        mapped.as_slice().read_at(offset, buf)
    });
    let image = PeImage::parse(&source, Layout::Mapped).unwrap();
    let err = image.read_metadata(&source).unwrap_err();
    assert!(matches!(err, PeError::Unavailable { rva, .. } if rva == md.rva), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("RVA {:#x}", md.rva)) && text.contains("not captured"), "{text}");
}

#[test]
fn native_images_and_damaged_headers_are_errors() {
    let Some(file) = mscorlib() else { return };
    // A native ELF file is no PE.
    let elf = std::fs::read("/proc/self/exe").unwrap();
    assert!(PeImage::parse(elf.as_slice(), Layout::File).is_err());
    // Every truncation inside the headers, and a stride through the file.
    let headers = PeImage::parse(file.as_slice(), Layout::File).unwrap().size_of_headers as usize;
    let cuts = (0..headers.min(file.len())).chain((headers..file.len()).step_by(4093));
    for cut in cuts {
        let short = &file[..cut];
        if let Ok(image) = PeImage::parse(short, Layout::File) {
            let _ = image.read_metadata(short);
            let _ = image.debug_entries(short);
        }
    }
    // Every header byte flipped, one at a time.
    let mut damaged = file.clone();
    for pos in 0..headers {
        for mask in [0x01u8, 0x80, 0xFF] {
            damaged[pos] ^= mask;
            if let Ok(image) = PeImage::parse(damaged.as_slice(), Layout::File) {
                if let Ok(blob) = image.read_metadata(damaged.as_slice()) {
                    let _ = Metadata::parse(&blob);
                }
            }
            damaged[pos] ^= mask;
        }
    }
    // A directory beyond SizeOfImage is refused before anything is allocated for it.
    let mapped = map_image(&file);
    let image = PeImage::parse(mapped.as_slice(), Layout::Mapped).unwrap();
    assert!(image.read(mapped.as_slice(), image.size_of_image - 4, 8, "test").is_err());
    assert!(image.read(mapped.as_slice(), 0, u32::MAX, "test").is_err());
}

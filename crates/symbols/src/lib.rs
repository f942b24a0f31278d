//! # symbols — symbol paths, symbol servers, PDB and ELF symbols
//!
//! Purpose (not built yet; see ARCHITECTURE.md): parse WinDbg symbol paths,
//! look files up in symbol stores (local caches and opt-in HTTP servers) and
//! turn addresses into `module!function+0xoffset`. It stands beside the CLR
//! crates and depends only on `dump-format` for module identities.
//!
//! This crate deliberately holds no code yet: nothing here pretends to work.

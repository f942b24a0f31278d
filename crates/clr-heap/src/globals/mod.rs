//! Routes to the runtime's global variables, without the DAC.
//!
//! Each route yields `name → address of the variable` (names C++-qualified:
//! `ThreadStore::s_pThreadStore`, `g_pFreeObjectMethodTable`, …):
//!
//! * [`elf_symbols`] — the runtime binary's ELF symbol table (Linux; the
//!   binary found at its path from the dump or in a `--runtime-dir`), after
//!   checking that its build id is the dumped one;
//! * [`dac_table`] — the DAC globals table the runtime carries for its own
//!   debugger (Windows resource, Linux `g_dacTable`), named by the
//!   `dacvars.h` list of that version.
//!
//! The first route that answers wins; every other route that answers is
//! compared with it, and each disagreement is recorded as a failed check.

pub mod dac_table;
pub mod elf_symbols;

use crate::runtime::diagnostics::Diagnostics;
use std::collections::BTreeMap;

/// Where a global's address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The runtime binary's ELF symbol table.
    ElfSymbols,
    /// The runtime's DAC globals table.
    DacTable,
}

impl Route {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            Route::ElfSymbols => "ELF symbol table of the runtime binary",
            Route::DacTable => "DAC globals table",
        }
    }
}

/// The runtime's global variables found so far.
#[derive(Debug, Default, Clone)]
pub struct Globals {
    vars: BTreeMap<String, (u64, Route)>,
}

impl Globals {
    /// Address of the variable `name`, when a route found it.
    ///
    /// ```
    /// let g = clr_heap::globals::Globals::default();
    /// assert_eq!(g.address("g_pStringClass"), None);
    /// ```
    pub fn address(&self, name: &str) -> Option<u64> {
        self.vars.get(name).map(|v| v.0)
    }

    /// The route that found `name`.
    pub fn route(&self, name: &str) -> Option<Route> {
        self.vars.get(name).map(|v| v.1)
    }

    /// Number of variables known.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// True when no route found anything.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Adds a route's answers: new names are taken, known names are compared
    /// and a disagreement is recorded in `diag` (the first route keeps its value).
    pub fn merge(
        &mut self,
        route: Route,
        found: impl IntoIterator<Item = (String, u64)>,
        diag: &mut Diagnostics,
    ) {
        let mut agreed = 0usize;
        let mut added = 0usize;
        for (name, addr) in found {
            match self.vars.get(&name) {
                Some(&(have, by)) if have != addr => diag.check(
                    format!("globals: {name} agrees between routes"),
                    false,
                    format!("{} says {have:#x}, {} says {addr:#x}", by.name(), route.name()),
                ),
                Some(_) => agreed += 1,
                None => {
                    self.vars.insert(name, (addr, route));
                    added += 1;
                }
            }
        }
        if agreed > 0 {
            diag.check(
                format!("globals: {} agrees with earlier routes", route.name()),
                true,
                format!("{agreed} variables equal"),
            );
        }
        diag.found(format!("{added} globals"), route.name());
    }
}

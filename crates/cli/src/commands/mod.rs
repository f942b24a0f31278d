//! One module per command; each opens nothing itself but receives the dump.

mod analyze;
mod check;
mod clrstack;
mod clrthreads;
mod da;
mod diff;
mod dso;
mod dumpheap;
mod dumpobj;
mod eeheap;
mod exception;
mod finalizequeue;
mod gchandles;
mod gcroot;
mod info;
mod memory;
mod modules;
mod names;
mod pe;
mod request;
mod requests;
mod requests_held;
mod runaway;
mod runtime;
mod session;
mod strings;
mod symbols;
mod syncblk;
mod threads;
mod triage;

use crate::args::Command;
use crate::exit::{CliError, ExitCode};
use crate::output::Options;
use dump_format::Dump;

/// Opens the dump and runs the command.
pub fn dispatch(cmd: &Command, opts: &Options, io: Io<'_>) -> Result<ExitCode, CliError> {
    let path = cmd.dump_path();
    let dump =
        Dump::open(path).map_err(|source| CliError::Dump { path: path.display().to_string(), source })?;
    let ctx = Ctx { opts, path, dump: &dump, io: std::cell::RefCell::new(io), warnings: Default::default() };
    match cmd {
        Command::Info(_) => info::run(&ctx),
        Command::Threads { native, .. } => threads::run(&ctx, *native),
        Command::Runaway(_) => runaway::run(&ctx),
        Command::Modules { unloaded, .. } => modules::run(&ctx, *unloaded),
        Command::Memory { regions, .. } => memory::run(&ctx, *regions),
        Command::Exception(_) => exception::run(&ctx),
        Command::Runtime { diagnostics, .. } => runtime::run(&ctx, *diagnostics),
        Command::Eeheap { .. } => eeheap::run(&ctx),
        Command::Dumpheap(a) if a.strings => strings::run_histogram(&ctx, a),
        Command::Dumpheap(a) => dumpheap::run(&ctx, a),
        Command::Do { address, .. } => dumpobj::run(&ctx, *address),
        Command::Da { address, start, length, details, .. } => {
            da::run(&ctx, *address, *start, *length, *details)
        }
        Command::Strings { top, .. } => strings::run(&ctx, *top),
        Command::Gcroot { address, all, .. } => gcroot::run(&ctx, *address, *all),
        Command::Gchandles { stat, .. } => gchandles::run(&ctx, *stat),
        Command::Finalizequeue(_) => finalizequeue::run(&ctx),
        Command::Syncblk { all, .. } => syncblk::run(&ctx, *all),
        Command::Requests(a) => requests::run(&ctx, &requests::Filter::from(a)),
        Command::Request { address, .. } => request::run(&ctx, *address),
        Command::Session { address, request, .. } => session::run(&ctx, *address, *request),
        Command::Analyze { commands, .. } => analyze::run(&ctx, commands),
        Command::Check { rules, .. } => check::run(&ctx, rules),
        Command::Diff { later, .. } => diff::run(&ctx, later),
        Command::Triage { html, .. } => triage::run(&ctx, html.as_deref()),
        Command::Symbols { fetch, .. } => symbols::run(&ctx, *fetch),
        Command::Clrstack { thread, all, args, .. } => {
            clrstack::run(&ctx, &clrstack::Request { thread: *thread, all: *all, args: *args })
        }
        Command::Dso { thread, all, .. } => dso::run(&ctx, *thread, *all),
        Command::Pe { address, thread, all, nested, .. } => {
            pe::run(&ctx, &pe::Request { address: *address, thread: *thread, all: *all, nested: *nested })
        }
    }
}

/// Where a command writes: its answer, and warnings.
pub struct Io<'a> {
    /// The answer (stdout).
    pub out: &'a mut dyn std::io::Write,
    /// Warnings and progress (stderr).
    pub err: &'a mut dyn std::io::Write,
}

/// What every command gets.
pub struct Ctx<'a, 'w> {
    /// Output streams.
    pub io: std::cell::RefCell<Io<'w>>,
    /// Global output options.
    pub opts: &'a Options,
    /// The dump's path as given.
    pub path: &'a std::path::Path,
    /// The opened dump.
    pub dump: &'a Dump,
    /// Warnings of the command itself (the dump's own are added at the end).
    pub warnings: std::cell::RefCell<Vec<String>>,
}

impl Ctx<'_, '_> {
    /// Prints the answer (text or JSON) and the warnings; see `output::finish`.
    pub fn finish<T: serde::Serialize>(
        &self,
        command: &str,
        body: &T,
        text: impl FnOnce() -> String,
    ) -> Result<ExitCode, CliError> {
        let mut io = self.io.borrow_mut();
        let Io { out, err } = &mut *io;
        let extra = self.warnings.borrow().clone();
        crate::output::finish(*out, *err, self.opts, command, self.path, self.dump, &extra, body, text)
    }

    /// Opens the .NET runtime of the dump; a failed validation check becomes
    /// a warning naming the check (details: `runtime --diagnostics`).
    pub fn runtime(&self) -> Result<clr_heap::Runtime<'_>, CliError> {
        let mut rt = clr_heap::Runtime::open(self.dump, &self.opts.clr)?;
        // The threads' allocation contexts make the heap walk exact where the
        // GC left no objects yet; without them it falls back on zero fill.
        let contexts = {
            let ts = clr_heap::types::TypeSystem::new(&rt);
            clr_stack::threads::Threads::read(&ts).map(|t| t.alloc_contexts())
        };
        if let Ok(c) = contexts {
            rt.add_alloc_contexts(c);
        }
        let failed = rt.diagnostics.failures().count();
        if failed > 0 {
            self.warn(format!("{failed} runtime checks failed; see `clrscope runtime --diagnostics`"));
        }
        Ok(rt)
    }

    /// A symbol locator from `--symbol-path` or `_NT_SYMBOL_PATH`, offline
    /// (only `symbols --fetch` downloads); `None` with a warning when the path
    /// does not parse.
    pub fn symbol_locator(&self) -> Option<::symbols::store::Locator> {
        let path = match &self.opts.symbol_path {
            Some(p) => ::symbols::SymbolPath::parse(p),
            None => ::symbols::SymbolPath::from_env(),
        };
        match path {
            Ok(path) => Some(::symbols::store::Locator::new(path, ::symbols::store::Access::Offline)),
            Err(e) => {
                self.warn(format!("symbol path ignored: {e}"));
                None
            }
        }
    }

    /// Adds a warning printed after the answer.
    pub fn warn(&self, w: impl Into<String>) {
        self.warnings.borrow_mut().push(w.into());
    }

    /// Pointer size of the dumped process (for address widths).
    pub fn ptr(&self) -> usize {
        self.dump.arch().pointer_size()
    }
}

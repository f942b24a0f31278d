//! The command line, declared with clap.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Read .NET memory dumps (Windows MINIDUMP, Linux ELF core) without WinDbg,
/// SOS or the DAC.
#[derive(Debug, Parser)]
#[command(name = "clrscope", version, about, max_term_width = 100)]
pub struct Cli {
    /// Print one JSON document on stdout instead of text (stable shape,
    /// described in the README).
    #[arg(long, global = true)]
    pub json: bool,
    /// Exit with code 4 when the answer is partial (the dump is damaged or
    /// incomplete and warnings were printed).
    #[arg(long, global = true)]
    pub strict: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The dump a command reads.
#[derive(Debug, Args)]
pub struct DumpArg {
    /// Path of the dump file (MINIDUMP .dmp or ELF core).
    pub dump: PathBuf,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Container, architecture, OS, process, times, streams and counts.
    Info(DumpArg),
    /// Threads: the OS view with `--native` (the managed view comes with the CLR reader).
    Threads {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// List OS threads (id, name, CPU times, stack, IP, SP, TEB).
        #[arg(long)]
        native: bool,
    },
    /// Threads by CPU time, like WinDbg's `!runaway` (user, kernel, elapsed).
    Runaway(DumpArg),
    /// Loaded modules: base, size, version, timestamp, PDB or build id.
    Modules {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// Also list unloaded modules (MINIDUMP only).
        #[arg(long)]
        unloaded: bool,
    },
    /// Memory summary by usage, type, state and protection (`!address -summary`).
    Memory {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// List every region instead of the summary.
        #[arg(long)]
        regions: bool,
    },
    /// The exception (or signal) that caused the dump.
    Exception(DumpArg),
}

impl Command {
    /// The dump path every command takes.
    pub fn dump_path(&self) -> &PathBuf {
        match self {
            Command::Info(d) | Command::Runaway(d) | Command::Exception(d) => &d.dump,
            Command::Threads { dump, .. } | Command::Modules { dump, .. } | Command::Memory { dump, .. } => {
                &dump.dump
            }
        }
    }
}

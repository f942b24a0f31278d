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
    /// A directory holding the runtime binary (libcoreclr.so, coreclr.dll,
    /// clr.dll) when it is not at the path the dump recorded. Repeatable.
    #[arg(long, global = true, value_name = "DIR")]
    pub runtime_dir: Vec<PathBuf>,
    /// A directory holding assemblies whose images the dump lacks (heap-only
    /// dumps). Repeatable.
    #[arg(long, global = true, value_name = "DIR")]
    pub assembly_dir: Vec<PathBuf>,
    /// Ignore the runtime's own tables and find the GC heap by segment
    /// signature scan (the route for dumps whose runtime tables are missing).
    #[arg(long, global = true)]
    pub ignore_tables: bool,
    /// Where symbol files are, in WinDbg's grammar: `srv*CACHE*URL`,
    /// `cache*DIR`, directories, `;`-separated (default: `_NT_SYMBOL_PATH`).
    /// Servers are contacted only by `symbols --fetch`.
    #[arg(long, global = true, value_name = "PATH")]
    pub symbol_path: Option<String>,
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
    /// Managed threads, like SOS `!threads` (alias `clrthreads`); `--native`
    /// lists the OS threads instead.
    #[command(alias = "clrthreads")]
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
    /// The .NET runtime: flavour, version, GC mode, heaps (`--diagnostics`:
    /// how each fact was found and every check that ran).
    Runtime {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// Print what was found, how, every check, and the layout offsets used.
        #[arg(long)]
        diagnostics: bool,
    },
    /// GC heaps and segments, like SOS `!eeheap -gc`.
    Eeheap {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The GC heap (the default and, so far, the only part shown).
        #[arg(long)]
        gc: bool,
    },
    /// Objects on the GC heap, like SOS `!dumpheap`.
    Dumpheap(DumpheapArgs),
    /// One object and its fields, like SOS `!dumpobj` (alias `dumpobj`).
    #[command(alias = "dumpobj")]
    Do {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The object's address (hex).
        #[arg(value_parser = parse_hex)]
        address: u64,
    },
    /// An array and its elements, like SOS `!dumparray` (alias `dumparray`).
    #[command(alias = "dumparray")]
    Da {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The array's address (hex).
        #[arg(value_parser = parse_hex)]
        address: u64,
        /// First element to show.
        #[arg(long, default_value_t = 0)]
        start: u64,
        /// How many elements to show (default: all, at most 10,000).
        #[arg(long)]
        length: Option<u64>,
        /// Show each element's fields (objects and structs).
        #[arg(long)]
        details: bool,
    },
    /// An exception object, like SOS `!pe` (alias `printexception`): type,
    /// message, inner exception, stack trace, HResult. Without ADDR: the last
    /// thrown exception of `--thread`, of every thread (`--all`), or of the
    /// thread that raised the dump's exception record.
    #[command(alias = "printexception")]
    Pe {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The exception object's address (hex).
        #[arg(value_parser = parse_hex)]
        address: Option<u64>,
        /// The managed thread id (the `ID` column of `threads`) whose last thrown exception to show.
        #[arg(long, value_name = "ID", conflicts_with_all = ["address", "all"])]
        thread: Option<u32>,
        /// Every managed thread's last thrown exception.
        #[arg(long, conflicts_with = "address")]
        all: bool,
        /// Also show each inner exception in full.
        #[arg(long)]
        nested: bool,
    },
    /// Managed stacks, like SOS `!clrstack`: per thread `Child SP`, `IP`,
    /// `Call Site`; runtime transition frames as `[InlinedCallFrame: addr]`;
    /// frames the unwinder is unsure of are marked `(?)`. Without `--thread`:
    /// the thread of the dump's exception record, else every thread.
    Clrstack {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The managed thread id (the `ID` column of `threads`).
        #[arg(long, value_name = "ID", conflicts_with = "all")]
        thread: Option<u32>,
        /// Every managed thread (`~*e !clrstack`).
        #[arg(long)]
        all: bool,
        /// Show each managed frame's parameters (`-a`/`-p`).
        #[arg(long)]
        args: bool,
    },
    /// Objects referenced from a thread's stack and registers, like SOS
    /// `!dso` (alias `dumpstackobjects`).
    #[command(alias = "dumpstackobjects")]
    Dso {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The managed thread id (the `ID` column of `threads`).
        #[arg(long, value_name = "ID", conflicts_with = "all")]
        thread: Option<u32>,
        /// Every managed thread.
        #[arg(long)]
        all: bool,
    },
    /// A session in SOS's command language (`!dumpheap -stat`, `~*e !clrstack`,
    /// …), like `dotnet-dump analyze`: `-c` commands, then a prompt (or the
    /// commands piped to stdin).
    Analyze {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// A command to run first (repeatable, in order; `exit` ends the session).
        #[arg(short = 'c', long = "command", value_name = "COMMAND")]
        commands: Vec<String>,
    },
    /// Two dumps of the same process compared: heap growth by type (count,
    /// bytes), new and vanished types, hung threads (same stack, no CPU time
    /// between the dumps), requests in flight in both.
    Diff {
        /// The earlier dump.
        #[command(flatten)]
        dump: DumpArg,
        /// The later dump.
        later: PathBuf,
    },
    /// The whole investigation on one page, most important first: crash,
    /// deadlocks, finalizer, exceptions, blocked and busy threads, requests,
    /// the biggest types and what roots them, fragmentation; each finding with
    /// the command that shows its evidence.
    Triage {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// Also write a self-contained HTML page (inline CSS and SVG charts).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Budgets for CI: measures each rule of a TOML rules file on the dump;
    /// exit code 0 when all pass, 6 when any fails.
    Check {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The rules file (TOML, `[[rule]]` tables; see the README).
        #[arg(long, value_name = "FILE")]
        rules: PathBuf,
    },
    /// ASP.NET requests (alias `aspxpages`), like NetExt `!whttp`: context,
    /// start, completed, timeout, running time, thread, status, verb, URL;
    /// `--holding TYPE` / `--top N`: what each in-flight request's stack keeps alive.
    #[command(alias = "aspxpages")]
    Requests(RequestsArgs),
    /// One ASP.NET request in full: headers, form, cookies, server variables,
    /// items, errors, response, session id.
    Request {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The HttpContext (or Kestrel request object) address (hex).
        #[arg(value_parser = parse_hex)]
        address: u64,
    },
    /// An ASP.NET InProc session: id, mode, timeout, items.
    Session {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The HttpSessionState or HttpSessionStateContainer address (hex).
        #[arg(value_parser = parse_hex, required_unless_present = "request")]
        address: Option<u64>,
        /// The session of this HttpContext instead (hex).
        #[arg(long, value_parser = parse_hex, value_name = "ADDR", conflicts_with = "address")]
        request: Option<u64>,
    },
    /// Who keeps an object alive, like SOS `!gcroot`: every root (thread
    /// stacks and registers — conservative —, strong handles, the f-reachable
    /// queue, statics) with its shortest chain to the object.
    Gcroot {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// The object's address (hex).
        #[arg(value_parser = parse_hex)]
        address: u64,
        /// Every root, also repeated stack slots and handles whose chain runs through a static.
        #[arg(long)]
        all: bool,
    },
    /// The GC handle table, like SOS `!gchandles`: handle, type, target.
    Gchandles {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// Only the statistics (targets per type, handles per kind).
        #[arg(long)]
        stat: bool,
    },
    /// The finalization queue, like SOS `!finalizequeue` (alias `fq`).
    #[command(alias = "fq")]
    Finalizequeue(DumpArg),
    /// Monitors and deadlocks, like SOS `!syncblk`.
    Syncblk {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// Every sync block in use, not only held or waited-on ones.
        #[arg(long)]
        all: bool,
    },
    /// Duplicate strings (value, count, bytes wasted) and the longest strings.
    Strings {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// How many rows in each list.
        #[arg(long, default_value_t = 20)]
        top: usize,
    },
    /// Per module: the symbol file it needs (PDB GUID/age, ELF build id) and
    /// where the symbol path has it; `--fetch` downloads from its servers.
    Symbols {
        /// The dump to read.
        #[command(flatten)]
        dump: DumpArg,
        /// Download what is missing from the servers the symbol path names
        /// (without it, no network is used).
        #[arg(long)]
        fetch: bool,
    },
}

/// `dumpheap` options (SOS names).
#[derive(Debug, Args)]
pub struct DumpheapArgs {
    /// The dump to read.
    #[command(flatten)]
    pub dump: DumpArg,
    /// Only the statistics per type (MT, Count, TotalSize, Class Name).
    #[arg(long)]
    pub stat: bool,
    /// Only objects whose type name contains this text.
    #[arg(long = "type", value_name = "SUBSTRING")]
    pub type_name: Option<String>,
    /// Only objects of this MethodTable (hex).
    #[arg(long, value_parser = parse_hex)]
    pub mt: Option<u64>,
    /// Only objects of at least this many bytes.
    #[arg(long)]
    pub min: Option<u64>,
    /// Only objects of at most this many bytes.
    #[arg(long)]
    pub max: Option<u64>,
    /// Only objects of this generation: 0, 1, 2, loh, poh.
    #[arg(long = "gen", value_parser = parse_gen)]
    pub generation: Option<u8>,
    /// Only addresses, one per line.
    #[arg(long)]
    pub short: bool,
    /// Sort statistics by count instead of total size.
    #[arg(long)]
    pub bycount: bool,
    /// Statistics of string values instead of types (`Count TotalSize String Value`).
    #[arg(long)]
    pub strings: bool,
    /// Only objects reachable from a root (one marking pass from every root gcroot knows).
    #[arg(long, conflicts_with = "dead")]
    pub live: bool,
    /// Only objects no root reaches (garbage the next GC would free).
    #[arg(long)]
    pub dead: bool,
}

/// `requests` options (NetExt `!whttp` filter names).
#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// The dump to read.
    #[command(flatten)]
    pub dump: DumpArg,
    /// Only requests not finished.
    #[arg(long)]
    pub running: bool,
    /// Only requests a thread is executing.
    #[arg(long)]
    pub with_thread: bool,
    /// Only this status code.
    #[arg(long, value_name = "N")]
    pub status: Option<i32>,
    /// Only this verb (GET, POST, …).
    #[arg(long, value_name = "V")]
    pub verb: Option<String>,
    /// Count objects of this type (exact name, else substring) reachable from each in-flight request's stack.
    #[arg(long, value_name = "TYPE")]
    pub holding: Option<String>,
    /// List the N types holding the most bytes reachable from each in-flight request's stack.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
}

/// Parses `0x…` or bare hex.
pub fn parse_hex(s: &str) -> Result<u64, String> {
    u64::from_str_radix(s.trim_start_matches("0x").trim_start_matches("0X"), 16)
        .map_err(|e| format!("{s:?} is not a hex address: {e}"))
}

fn parse_gen(s: &str) -> Result<u8, String> {
    match s.to_ascii_lowercase().as_str() {
        "0" | "gen0" => Ok(0),
        "1" | "gen1" => Ok(1),
        "2" | "gen2" => Ok(2),
        "3" | "loh" | "large" => Ok(3),
        "4" | "poh" | "pinned" => Ok(4),
        _ => Err(format!(
            "Unknown generation: {s}. Only gen0, gen1, gen2, loh (large) and poh (pinned) are supported"
        )),
    }
}

impl Command {
    /// The dump path every command takes.
    pub fn dump_path(&self) -> &PathBuf {
        match self {
            Command::Info(d) | Command::Runaway(d) | Command::Exception(d) => &d.dump,
            Command::Gcroot { dump, .. }
            | Command::Gchandles { dump, .. }
            | Command::Syncblk { dump, .. } => &dump.dump,
            Command::Finalizequeue(d) => &d.dump,
            Command::Threads { dump, .. }
            | Command::Modules { dump, .. }
            | Command::Memory { dump, .. }
            | Command::Runtime { dump, .. }
            | Command::Eeheap { dump, .. } => &dump.dump,
            Command::Dumpheap(a) => &a.dump.dump,
            Command::Requests(a) => &a.dump.dump,
            Command::Request { dump, .. } | Command::Session { dump, .. } => &dump.dump,
            Command::Do { dump, .. }
            | Command::Da { dump, .. }
            | Command::Strings { dump, .. }
            | Command::Pe { dump, .. }
            | Command::Clrstack { dump, .. }
            | Command::Dso { dump, .. }
            | Command::Analyze { dump, .. }
            | Command::Check { dump, .. }
            | Command::Diff { dump, .. }
            | Command::Triage { dump, .. }
            | Command::Symbols { dump, .. } => &dump.dump,
        }
    }
}

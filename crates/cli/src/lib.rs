//! `clrscope` — a thin command line over the clrscope crates.
//!
//! The crate only composes: it parses arguments ([`args`]), opens the dump
//! through `dump-format`, asks the library layers, and prints either SOS-style
//! text or a stable JSON document ([`output`]). Errors are mapped to the
//! documented exit codes in [`exit`]. [`run`] is the whole program, callable
//! in-process (the binary and the end-to-end tests both use it).
//!
//! ```no_run
//! let (mut out, mut err) = (Vec::new(), Vec::new());
//! let code = clrscope::run(["clrscope", "info", "core.1234", "--json"], &mut out, &mut err);
//! assert_eq!(code, 0);
//! ```

pub mod args;
mod commands;
pub mod exit;
mod html;
mod output;
mod progress;
pub mod sos;
pub mod triage;

use clap::Parser;
use exit::{CliError, ExitCode};
use std::io::Write;

/// Runs `clrscope` with `args` (the first item is the program name), writing
/// the answer to `out` and errors and warnings to `err`; returns the exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let code = match args::Cli::try_parse_from(args) {
        Ok(cli) => {
            let opts = output::Options {
                json: cli.json,
                strict: cli.strict,
                clr: clr_heap::Options {
                    runtime_dirs: cli.runtime_dir.clone(),
                    assembly_dirs: cli.assembly_dir.clone(),
                    ignore_tables: cli.ignore_tables,
                },
                symbol_path: cli.symbol_path.clone(),
            };
            match commands::dispatch(&cli.command, &opts, commands::Io { out, err }) {
                Ok(code) => code,
                Err(e) => {
                    // A reader that went away (`| head`) is not an error to report.
                    if e.exit_code() != ExitCode::Ok {
                        let _ = writeln!(err, "{}", message(&e));
                    }
                    e.exit_code()
                }
            }
        }
        Err(e) => {
            // Help and version go to stdout; usage errors to stderr.
            let text = e.render().to_string();
            if e.use_stderr() {
                let _ = err.write_all(text.as_bytes());
                ExitCode::Usage
            } else {
                let _ = out.write_all(text.as_bytes());
                ExitCode::Ok
            }
        }
    };
    code as i32
}

/// `clrscope: error: …` with every cause in the chain.
fn message(e: &CliError) -> String {
    let mut msg = format!("clrscope: error: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

//! `clrscope` — a thin command line over the clrscope crates.
//!
//! The binary only composes: it parses arguments ([`args`]), opens the dump
//! through `dump-format`, asks the library layers, and prints either SOS-style
//! text or a stable JSON document ([`output`]). Errors are mapped to the
//! documented exit codes in [`exit`].

mod args;
mod commands;
mod exit;
mod output;

use clap::Parser;
use exit::{CliError, ExitCode};

fn main() {
    let code = match args::Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(e) => {
            // clap prints help/version to stdout and usage errors to stderr.
            let _ = e.print();
            if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            }
        }
    };
    std::process::exit(code as i32);
}

fn run(cli: args::Cli) -> ExitCode {
    let opts = output::Options {
        json: cli.json,
        strict: cli.strict,
    };
    match commands::dispatch(&cli.command, &opts) {
        Ok(outcome) => outcome,
        Err(e) => {
            report(&e);
            e.exit_code()
        }
    }
}

fn report(e: &CliError) {
    let mut msg = format!("clrscope: error: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    eprintln!("{msg}");
}

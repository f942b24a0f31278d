//! `clrscope analyze DUMP [-c COMMAND]...`: a session in SOS's command
//! language, like `dotnet-dump analyze`: the `-c` commands run in order; then
//! an interactive prompt when stdin is a terminal, or the commands piped to
//! stdin, one per line; `exit` (or end of input) ends the session.

use super::Ctx;
use crate::exit::{CliError, ExitCode};
use crate::sos::{Line, help, translate};
use std::io::{BufRead, IsTerminal};

/// Runs the session.
pub fn run(ctx: &Ctx, commands: &[String]) -> Result<ExitCode, CliError> {
    let mut worst = ExitCode::Ok;
    for c in commands {
        match execute(ctx, c)? {
            Some(code) if code != ExitCode::Ok => worst = code,
            Some(_) => {}
            None => return Ok(worst),
        }
    }
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    if interactive {
        let mut io = ctx.io.borrow_mut();
        writeln!(io.out, "Loading dump: {}", ctx.path.display())?;
        writeln!(io.out, "Ready to process analysis commands. Type 'help' to list available commands.")?;
        writeln!(io.out, "Type 'quit' or 'exit' to exit the session.")?;
    }
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            let mut io = ctx.io.borrow_mut();
            write!(io.out, "> ")?;
            io.out.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        match execute(ctx, &line)? {
            Some(code) if code != ExitCode::Ok => worst = code,
            Some(_) => {}
            None => break,
        }
    }
    Ok(worst)
}

/// Runs one line; `None` means the session ends.
fn execute(ctx: &Ctx, line: &str) -> Result<Option<ExitCode>, CliError> {
    let args = match translate(line) {
        Ok(Line::Exit) => return Ok(None),
        Ok(Line::Nothing) => return Ok(Some(ExitCode::Ok)),
        Ok(Line::Help) => {
            ctx.io.borrow_mut().out.write_all(help().as_bytes())?;
            return Ok(Some(ExitCode::Ok));
        }
        Ok(Line::Run(args)) => args,
        Err(e) => {
            writeln!(ctx.io.borrow_mut().err, "{e}")?;
            return Ok(Some(ExitCode::Usage));
        }
    };
    // `COMMAND DUMP ARGS…` plus the session's global options.
    let mut argv: Vec<std::ffi::OsString> = vec!["clrscope".into()];
    let mut it = args.into_iter();
    if let Some(cmd) = it.next() {
        argv.push(cmd.into());
    }
    argv.push(ctx.path.as_os_str().to_os_string());
    argv.extend(it.map(Into::into));
    let o = ctx.opts;
    if o.json {
        argv.push("--json".into());
    }
    for d in &o.clr.runtime_dirs {
        argv.push("--runtime-dir".into());
        argv.push(d.clone().into_os_string());
    }
    for d in &o.clr.assembly_dirs {
        argv.push("--assembly-dir".into());
        argv.push(d.clone().into_os_string());
    }
    if o.clr.ignore_tables {
        argv.push("--ignore-tables".into());
    }
    let mut io = ctx.io.borrow_mut();
    let crate::commands::Io { out, err } = &mut *io;
    let code = crate::run(argv, *out, *err);
    Ok(Some(match code {
        0 => ExitCode::Ok,
        1 => ExitCode::Usage,
        2 => ExitCode::DumpUnreadable,
        3 => ExitCode::NoRuntime,
        4 => ExitCode::Partial,
        _ => ExitCode::NotFound,
    }))
}

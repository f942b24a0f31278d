//! The SOS command language, as users type it in WinDbg or `dotnet-dump
//! analyze`, translated into clrscope's own command line.
//!
//! `!dumpheap -stat` → `dumpheap --stat`; `~*e !clrstack` → `clrstack --all`;
//! the `!` is optional, names are case-insensitive, SOS's single-dash flags
//! become long flags, and the aliases users know map to the same commands.

/// What one line of input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Run clrscope with these arguments (the dump path is inserted after the
    /// command name by the caller).
    Run(Vec<String>),
    /// Leave the session.
    Exit,
    /// Print the list of commands.
    Help,
    /// Nothing to do (an empty line or a comment).
    Nothing,
}

/// SOS / WinDbg command names and the clrscope command each maps to, with
/// flags implied by the name.
const COMMANDS: &[(&str, &[&str])] = &[
    ("dumpheap", &["dumpheap"]),
    ("do", &["do"]),
    ("dumpobj", &["do"]),
    ("da", &["da"]),
    ("dumparray", &["da"]),
    ("eeheap", &["eeheap"]),
    ("gcroot", &["gcroot"]),
    ("pe", &["pe"]),
    ("printexception", &["pe"]),
    ("threads", &["threads"]),
    ("clrthreads", &["threads"]),
    ("clrstack", &["clrstack"]),
    ("dso", &["dso"]),
    ("dumpstackobjects", &["dso"]),
    ("fq", &["finalizequeue"]),
    ("finalizequeue", &["finalizequeue"]),
    ("syncblk", &["syncblk"]),
    ("gchandles", &["gchandles"]),
    ("runaway", &["runaway"]),
    ("aspxpages", &["requests"]),
    ("aspxpagesext", &["requests"]),
    ("whttp", &["requests"]),
    ("requests", &["requests"]),
    ("eeversion", &["runtime"]),
    ("runtime", &["runtime"]),
    ("strings", &["strings"]),
    ("lm", &["modules"]),
    ("modules", &["modules"]),
    ("address", &["memory"]),
    ("memory", &["memory"]),
    ("info", &["info"]),
    ("symbols", &["symbols"]),
];

/// SOS flags whose clrscope spelling differs from `--<same name>`.
const FLAG_RENAMES: &[(&str, &str, &str)] = &[
    // (command, SOS flag, clrscope flag)
    ("eeheap", "-gc", "--gc"),
    ("memory", "-summary", ""),
    ("pe", "-nested", "--nested"),
    ("clrstack", "-a", "--args"),
    ("clrstack", "-p", "--args"),
];

/// Translates one line of SOS input.
///
/// ```
/// use clrscope::sos::{translate, Line};
/// assert_eq!(translate("!dumpheap -stat -type Order"), Ok(Line::Run(vec![
///     "dumpheap".into(), "--stat".into(), "--type".into(), "Order".into()])));
/// assert_eq!(translate("~*e !clrstack"), Ok(Line::Run(vec!["clrstack".into(), "--all".into()])));
/// assert_eq!(translate("q"), Ok(Line::Exit));
/// ```
pub fn translate(line: &str) -> Result<Line, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with('*') {
        return Ok(Line::Nothing);
    }
    let lower = line.to_ascii_lowercase();
    match lower.as_str() {
        "q" | "quit" | "exit" | "qq" => return Ok(Line::Exit),
        "help" | "?" | "!help" | "!sos.help" => return Ok(Line::Help),
        // WinDbg's own commands users reach for in the same session.
        "~" | "~*" => return Ok(Line::Run(vec!["threads".into(), "--native".into()])),
        ".exr -1" | ".ecxr" | "!analyze -v" => return Ok(Line::Run(vec!["exception".into()])),
        ".time" | "vertarget" | "||" => return Ok(Line::Run(vec!["info".into()])),
        _ => {}
    }
    // `~*e !clrstack` (every thread) and `~Ns !clrstack` (thread N) prefixes.
    let (prefix_all, rest) = match line.strip_prefix("~*e") {
        Some(r) => (true, r.trim()),
        None => (false, line),
    };
    let mut words = split_words(rest).into_iter();
    let Some(cmd) = words.next() else { return Ok(Line::Nothing) };
    let name = cmd.trim_start_matches('!').to_ascii_lowercase();
    let name = name.rsplit('.').next().unwrap_or(&name).to_string(); // `!sos.dumpheap`
    let Some((_, target)) = COMMANDS.iter().find(|(n, _)| *n == name) else {
        return Err(format!("unknown command '{cmd}' (type 'help' for the list)"));
    };
    let mut out: Vec<String> = target.iter().map(|s| s.to_string()).collect();
    if prefix_all {
        out.push("--all".into());
    }
    for w in words {
        if let Some(&(_, _, to)) =
            FLAG_RENAMES.iter().find(|(c, from, _)| *c == target[0] && w.eq_ignore_ascii_case(from))
        {
            if !to.is_empty() {
                out.push(to.to_string());
            }
        } else if let Some(flag) =
            w.strip_prefix('-').filter(|f| !f.starts_with('-') && f.parse::<i64>().is_err())
        {
            out.push(format!("--{}", flag.to_ascii_lowercase()));
        } else {
            out.push(w);
        }
    }
    Ok(Line::Run(out))
}

/// Splits on white space, keeping double-quoted words together.
fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The help text of the SOS session.
pub fn help() -> String {
    let mut s = String::from("Commands (SOS names; the leading ! is optional; -flags as in SOS):\n");
    let mut names: Vec<&str> = COMMANDS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    for chunk in names.chunks(8) {
        s.push_str("  ");
        s.push_str(&chunk.join(", "));
        s.push('\n');
    }
    s.push_str("  ~*e !clrstack (every thread), ~ (OS threads), .exr -1 (exception record), q / exit\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &[&str]) -> Result<Line, String> {
        Ok(Line::Run(v.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn sos_spellings_translate() {
        assert_eq!(translate("!DumpHeap -stat"), run(&["dumpheap", "--stat"]));
        assert_eq!(
            translate("dumpheap -mt 00007ff8a1b2c3d4"),
            run(&["dumpheap", "--mt", "00007ff8a1b2c3d4"])
        );
        assert_eq!(translate("!do 0x1234"), run(&["do", "0x1234"]));
        assert_eq!(translate("!sos.dumpobj 1234"), run(&["do", "1234"]));
        assert_eq!(translate("!eeheap -gc"), run(&["eeheap", "--gc"]));
        assert_eq!(translate("!pe -nested"), run(&["pe", "--nested"]));
        assert_eq!(translate("!address -summary"), run(&["memory"]));
        assert_eq!(translate("!aspxpages"), run(&["requests"]));
        assert_eq!(translate("~*e !clrstack"), run(&["clrstack", "--all"]));
        assert_eq!(translate("!clrstack -a"), run(&["clrstack", "--args"]));
        assert_eq!(translate("!dumpheap -type \"My Type\""), run(&["dumpheap", "--type", "My Type"]));
        assert_eq!(
            translate("!da -start 2 -length 3 0x10"),
            run(&["da", "--start", "2", "--length", "3", "0x10"])
        );
        assert_eq!(translate("   "), Ok(Line::Nothing));
        assert_eq!(translate("exit"), Ok(Line::Exit));
        assert!(translate("!nosuchcommand").is_err());
    }
}

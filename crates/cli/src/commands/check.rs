//! `clrscope check DUMP --rules FILE`: budgets for CI. Each rule is measured
//! on the dump and printed with its value; the exit code is 0 when every rule
//! passes, 6 when any fails. A rule that cannot be measured on this dump
//! fails — a CI gate never passes on an unknown.
//!
//! ```toml
//! [[rule]]
//! type = "Shop.Models.OrderDto"   # exact type name (or `type_contains = "Dto"`)
//! max_count = 1000
//! max_bytes = "10MB"
//!
//! [[rule]]
//! max_heap = "512MB"              # all objects on the GC heap (free space excluded)
//!
//! [[rule]]
//! max_free = "64MB"               # free space on the GC heap (fragmentation)
//! ```

use super::Ctx;
use super::names::Namer;
use crate::exit::{CliError, ExitCode};
use clr_heap::gc::stat::HeapStat;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One rule of the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    /// A name printed in the report (default: the rule text).
    name: Option<String>,
    #[serde(rename = "type")]
    type_name: Option<String>,
    type_contains: Option<String>,
    max_count: Option<u64>,
    min_count: Option<u64>,
    max_bytes: Option<Size>,
    max_heap: Option<Size>,
    max_free: Option<Size>,
}

/// A size: a number of bytes, or text like `"512MB"`, `"1.5 GiB"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

impl Size {
    fn bytes(&self) -> Result<u64, String> {
        match self {
            Size::Bytes(b) => Ok(*b),
            Size::Text(t) => parse_size(t),
        }
    }
}

/// `"512MB"` → 536870912 (binary units: KB = KiB, MB = MiB, GB = GiB).
fn parse_size(t: &str) -> Result<u64, String> {
    let t = t.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("{t:?} is not a size"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1u64,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        u => return Err(format!("unknown size unit {u:?} in {t:?}")),
    };
    Ok((n * mult as f64) as u64)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rules {
    rule: Vec<Rule>,
}

#[derive(Serialize)]
struct Outcome {
    rule: String,
    measured: String,
    passed: bool,
}

#[derive(Serialize)]
struct Body {
    passed: bool,
    rules: Vec<Outcome>,
}

fn load(path: &Path) -> Result<Rules, CliError> {
    let err = |reason: String| CliError::Rules { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let rules: Rules = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    if rules.rule.is_empty() {
        return Err(err("no [[rule]] in the file".into()));
    }
    Ok(rules)
}

/// Runs the command.
pub fn run(ctx: &Ctx, rules_path: &Path) -> Result<ExitCode, CliError> {
    let rules = load(rules_path)?;
    // A malformed rule is reported before any work on the dump.
    for (i, r) in rules.rule.iter().enumerate() {
        evaluate(i, r, &[]).map_err(|reason| CliError::Rules {
            path: rules_path.display().to_string(),
            reason: format!("rule {}: {reason}", i + 1),
        })?;
    }
    let rt = ctx.runtime()?;
    let mut namer = Namer::new(&rt);
    let mut cache = rt.mt_cache();
    let free_mt = cache.free_mt();
    let stat = HeapStat::collect(&rt, &mut cache, |_| true, |_, _| {})?;
    if !stat.invalid.is_empty() {
        ctx.warn(format!("{} invalid objects on the heap; sizes are of the valid ones", stat.invalid.len()));
    }
    let named: Vec<(String, u64, u64, bool)> =
        stat.types.iter().map(|t| (namer.name(t.mt), t.count, t.total_size, Some(t.mt) == free_mt)).collect();
    let mut outcomes = Vec::new();
    for (i, r) in rules.rule.iter().enumerate() {
        outcomes.extend(evaluate(i, r, &named).map_err(|reason| CliError::Rules {
            path: rules_path.display().to_string(),
            reason: format!("rule {}: {reason}", i + 1),
        })?);
    }
    let passed = outcomes.iter().all(|o| o.passed);
    let body = Body { passed, rules: outcomes };
    let code = ctx.finish("check", &body, || {
        let mut s = String::new();
        for o in &body.rules {
            s.push_str(&format!(
                "{}  {}  ({})\n",
                if o.passed { "PASS" } else { "FAIL" },
                o.rule,
                o.measured
            ));
        }
        s.push_str(if body.passed { "all rules pass\n" } else { "some rules fail\n" });
        s
    })?;
    Ok(if passed { code } else { ExitCode::CheckFailed })
}

/// Measures one rule (a rule may carry several limits: one outcome each).
fn evaluate(i: usize, r: &Rule, types: &[(String, u64, u64, bool)]) -> Result<Vec<Outcome>, String> {
    let label = |what: String| r.name.clone().map(|n| format!("{n}: {what}")).unwrap_or(what);
    let mut out = Vec::new();
    let selector = match (&r.type_name, &r.type_contains) {
        (Some(t), None) => Some((t.as_str(), true)),
        (None, Some(t)) => Some((t.as_str(), false)),
        (None, None) => None,
        (Some(_), Some(_)) => return Err("give `type` or `type_contains`, not both".into()),
    };
    if let Some((sel, exact)) = selector {
        let (count, bytes) = types
            .iter()
            .filter(|(n, ..)| if exact { n == sel } else { n.contains(sel) })
            .fold((0u64, 0u64), |(c, b), t| (c + t.1, b + t.2));
        let what = if exact {
            format!("instances of {sel}")
        } else {
            format!("instances of types containing {sel:?}")
        };
        if let Some(max) = r.max_count {
            out.push(Outcome {
                rule: label(format!("at most {max} {what}")),
                measured: format!("{count}"),
                passed: count <= max,
            });
        }
        if let Some(min) = r.min_count {
            out.push(Outcome {
                rule: label(format!("at least {min} {what}")),
                measured: format!("{count}"),
                passed: count >= min,
            });
        }
        if let Some(max) = &r.max_bytes {
            let max = max.bytes()?;
            out.push(Outcome {
                rule: label(format!("at most {max} bytes of {what}")),
                measured: format!("{bytes} bytes"),
                passed: bytes <= max,
            });
        }
        if out.is_empty() {
            return Err("a type rule needs max_count, min_count or max_bytes".into());
        }
    } else if r.max_count.is_some() || r.min_count.is_some() || r.max_bytes.is_some() {
        return Err("max_count/min_count/max_bytes need `type` or `type_contains`".into());
    }
    if let Some(max) = &r.max_heap {
        let max = max.bytes()?;
        let used: u64 = types.iter().filter(|t| !t.3).map(|t| t.2).sum();
        out.push(Outcome {
            rule: label(format!("GC heap objects at most {max} bytes")),
            measured: format!("{used} bytes"),
            passed: used <= max,
        });
    }
    if let Some(max) = &r.max_free {
        let max = max.bytes()?;
        let free: u64 = types.iter().filter(|t| t.3).map(|t| t.2).sum();
        out.push(Outcome {
            rule: label(format!("free space at most {max} bytes")),
            measured: format!("{free} bytes"),
            passed: free <= max,
        });
    }
    if out.is_empty() {
        return Err(format!("rule {} sets no limit", i + 1));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("512MB"), Ok(512 << 20));
        assert_eq!(parse_size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("12 parsecs").is_err());
    }
}

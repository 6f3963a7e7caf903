//! What every command prints the same way: JSON (pretty, one value), tables padded like
//! docker's tabwriter, and the end of a command that read layers (each problem on standard
//! error, and the exit code that says whether the image was damaged).

use crate::exit;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;
use strata_core::{Analysis, Diagnostic};

pub(crate) fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// Standard output for many lines: Rust's stdout is line-buffered even into a pipe (a
/// `write` per line: 100,000 system calls for `strata ls` of 100,000 files). The caller
/// `flush`es at the end, so a write error (a closed pipe) is reported, not dropped.
pub(crate) fn out_buffered() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::with_capacity(64 * 1024, out())
}

pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<i32> {
    let mut o = out_buffered();
    serde_json::to_writer_pretty(&mut o, value)?;
    writeln!(o)?;
    o.flush()?;
    Ok(exit::OK)
}

/// Ends a command that read layers, after it printed what it could (as GNU tar does): each
/// piece of damage on standard error, and the exit code that says whether there was any.
pub(crate) fn finish(damage: &[&Diagnostic]) -> i32 {
    for d in damage {
        eprintln!("strata: {}: {}", d.subject, d.message);
    }
    if damage.is_empty() {
        exit::OK
    } else {
        eprintln!(
            "strata: the image is damaged ({}): what is above is what could be read",
            strata_core::text::count(damage.len(), "problem")
        );
        exit::DAMAGED
    }
}

/// Every diagnostic of an image and its layers, for JSON outputs.
pub(crate) fn all_diagnostics(image: &strata_core::Image, analysis: &Analysis) -> Vec<Diagnostic> {
    image
        .diagnostics
        .iter()
        .chain(&analysis.diagnostics)
        .cloned()
        .collect()
}

/// Columns padded like docker's tabwriter (three spaces between), to standard output.
pub(crate) fn print_table(rows: &[Vec<String>]) -> Result<()> {
    write_table(&mut out(), rows)
}

/// Columns padded like docker's tabwriter (three spaces between), to `o`.
pub(crate) fn write_table(o: &mut dyn Write, rows: &[Vec<String>]) -> Result<()> {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                line.extend(std::iter::repeat_n(
                    ' ',
                    widths[c] - cell.chars().count() + 3,
                ));
            }
        }
        writeln!(o, "{}", line.trim_end())?;
    }
    Ok(())
}

/// One finding as `strata hints` prints it: code and title, advice, then each piece of evidence.
pub(crate) fn write_hint(o: &mut dyn Write, hint: &strata_core::hints::Hint) -> Result<()> {
    writeln!(o, "[{}] {}", hint.code, hint.title)?;
    writeln!(o, "    {}", hint.advice)?;
    for e in &hint.evidence {
        let mut line = String::from("    -");
        if let Some(l) = e.layer {
            line.push_str(&format!(" layer {l}"));
        }
        if let Some(p) = &e.path {
            line.push_str(&format!(" /{p}"));
        }
        if let Some(b) = e.bytes {
            line.push_str(&format!(" ({})", strata_core::text::format_bytes(b)));
        }
        writeln!(o, "{line}: {}", e.note)?;
    }
    Ok(())
}

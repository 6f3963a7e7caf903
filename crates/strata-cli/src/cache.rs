//! The cache section of `strata diff`: where build B stopped reusing build A's layers, why, what
//! was rebuilt, and the reordering that would have kept more (`strata_core::diff::cache`). The
//! engine decides and words it; this prints it.

use anyhow::Result;
use std::io::Write;
use strata_core::diff::cache::CacheReport;
use strata_core::text::format_bytes;

pub fn print(o: &mut impl Write, c: &CacheReport) -> Result<()> {
    writeln!(o, "Cache: {}", c.summary)?;
    if let Some(b) = &c.broke_at {
        writeln!(o, "  why: {}", b.explanation)?;
        if let (Some(x), Some(y)) = (&b.created_by_a, &b.created_by_b)
            && x.split_whitespace().ne(y.split_whitespace())
        {
            writeln!(o, "  A: {}", x.trim())?;
            writeln!(o, "  B: {}", y.trim())?;
        }
        if !b.paths.is_empty() {
            writeln!(o, "  it added: {}", b.paths.join(", "))?;
        }
    }
    for l in &c.rebuilt {
        writeln!(
            o,
            "  rebuilt B{}  {}  {}",
            l.layer,
            l.digest.as_deref().unwrap_or("-"),
            format_bytes(l.size)
        )?;
    }
    if let Some(r) = &c.reorder {
        writeln!(o, "  hint: {}", r.text)?;
    }
    Ok(())
}

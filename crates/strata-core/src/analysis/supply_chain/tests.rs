//! Whole lookups over recorded answers and archives made in memory.

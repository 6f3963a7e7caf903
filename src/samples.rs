//! The sample images served beside the app (`www/samples/`, made by scripts/samples.sh from
//! the fixtures the real tools build), listed on the start page: one click opens one, with or
//! without a network (the service worker keeps them).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Sample {
    pub file: String,
    pub title: String,
    pub about: String,
    pub size: u64,
}

/// The samples this build carries (the list is compiled in; the files are fetched on a click).
pub fn samples() -> Vec<Sample> {
    serde_json::from_str(include_str!("../www/samples/index.json")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_parses_and_stays_small() {
        let s = super::samples();
        assert!(s.len() >= 3, "{s:?}");
        assert!(s.iter().map(|s| s.size).sum::<u64>() < 15_000_000);
    }
}

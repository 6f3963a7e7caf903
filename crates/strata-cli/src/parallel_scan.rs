//! Layers read on one thread per core: each layer's blob is an independent range of the same
//! file, so two cores decompress, hash and index two layers at once (the web app does the same
//! with one worker per core). Results come back in layer order, bounded as one after another
//! would be: the image-wide entry limit is counted as layers finish, and the first layer past
//! it stops the others.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use strata_core::{Error, Image, LayerScan, Limits, ReadAt, scan_layer};

/// Scans every present layer of `image` from `source` (`None` for a missing blob).
pub fn scan_layers(
    source: &(dyn ReadAt + Sync),
    image: &Image,
    limits: &Limits,
) -> Result<Vec<Option<LayerScan>>, Error> {
    let layers: Vec<_> = image.layers.iter().map(|l| l.location).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(layers.iter().flatten().count())
        .max(1);
    let next = AtomicUsize::new(0);
    let entries = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<LayerScan, Error>>>> =
        Mutex::new((0..layers.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(slot) = layers.get(i) else { break };
                    let Some(loc) = slot else { continue };
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let scan = scan_layer(source, loc.offset, loc.len, limits, &mut |_| {
                        !stop.load(Ordering::Relaxed)
                    });
                    let scan = scan.and_then(|scan| {
                        let n = scan.index.entries.len() as u64;
                        if entries.fetch_add(n, Ordering::Relaxed) + n > limits.max_image_entries {
                            stop.store(true, Ordering::Relaxed);
                            return Err(limits.exceeded(
                                "max_image_entries",
                                format!(
                                    "the image's layers hold more than {} entries",
                                    limits.max_image_entries
                                ),
                            ));
                        }
                        Ok(scan)
                    });
                    if scan.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(scan);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    // The first error in layer order is the one reported, as a sequential read would.
    let mut scans = Vec::with_capacity(results.len());
    let mut first_error = None;
    for (r, loc) in results.into_iter().zip(&layers) {
        match (r, loc) {
            (Some(Ok(scan)), _) => scans.push(Some(scan)),
            (Some(Err(e)), _) => {
                first_error.get_or_insert(e);
                scans.push(None);
            }
            (None, None) => scans.push(None),
            // Not reached: stopped after another layer's error.
            (None, Some(_)) => scans.push(None),
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(scans),
    }
}

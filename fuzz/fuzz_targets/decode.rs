//! The push decompressors directly: gzip and zstd streams cut anywhere.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strata_core::layer::decode::{Decoder, Sink};
use strata_core::{Compression, Error};

struct Bounded(u64);

impl Sink for Bounded {
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.0 += data.len() as u64;
        if self.0 > 32 << 20 {
            return Err(Error::Invalid { what: "fuzz".into(), detail: "enough".into() });
        }
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else { return };
    for c in [Compression::Gzip, Compression::Zstd] {
        let mut d = Decoder::new(c);
        let mut sink = Bounded(0);
        let mut ok = true;
        for part in rest.chunks(usize::from(chunk).max(1)) {
            if d.push(part, &mut sink).is_err() {
                ok = false;
                break;
            }
        }
        if ok {
            let _ = d.finish(&mut sink);
        }
    }
});

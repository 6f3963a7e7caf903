//! A `Blob` (a dropped `File`) as a [`ReadAt`]: each read is `Blob.slice()` read with
//! `FileReaderSync`, which only exists in workers. The archive is never loaded whole: a read
//! costs what it asks for, so a 4 GiB archive is indexed with a few hundred KiB of reads.

use std::cell::Cell;
use strata_core::{ReadAt, SourceError};
use wasm_bindgen::JsCast;
use web_sys::{Blob, FileReaderSync};

#[derive(Debug)]
pub struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
    len: u64,
    /// Bytes read so far: the page shows how little of a big archive it needed.
    bytes_read: Cell<u64>,
}

impl BlobSource {
    pub fn new(blob: Blob) -> Result<Self, SourceError> {
        let reader = FileReaderSync::new().map_err(|e| SourceError(js_text(&e)))?;
        let len = blob.size() as u64;
        Ok(BlobSource {
            blob,
            reader,
            len,
            bytes_read: Cell::new(0),
        })
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.get()
    }

    pub fn blob(&self) -> &Blob {
        &self.blob
    }
}

impl ReadAt for BlobSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        if offset >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let end = self.len.min(offset + buf.len() as u64);
        // f64 holds every offset below 2^53: far beyond any file a browser can open.
        let slice = self
            .blob
            .slice_with_f64_and_f64(offset as f64, end as f64)
            .map_err(|e| SourceError(js_text(&e)))?;
        let array = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|e| SourceError(js_text(&e)))?;
        let bytes = js_sys::Uint8Array::new(&array);
        let n = (bytes.length() as usize).min(buf.len());
        bytes.subarray(0, n as u32).copy_to(&mut buf[..n]);
        self.bytes_read.set(self.bytes_read.get() + n as u64);
        Ok(n)
    }
}

/// The message of a JS exception, for errors shown to the user.
pub fn js_text(value: &wasm_bindgen::JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

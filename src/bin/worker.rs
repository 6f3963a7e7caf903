//! The Web Worker's entry (Trunk builds it as its own wasm): everything it does is in the
//! library's [`strata_web::worker`] module.

fn main() {
    #[cfg(target_arch = "wasm32")]
    strata_web::worker::start();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("the Strata worker runs in a browser; build it with Trunk");
}

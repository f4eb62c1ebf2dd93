//! Fault injection for the tests of atomic output: every change emit makes on disk goes through
//! [`op`], which counts it and, when `KFORGE_TEST_FAULT` asks, stops or fails there.
//!
//! - `KFORGE_TEST_FAULT=stop@N`: before the Nth operation, print
//!   `kforge: test fault: stopped before operation N` to standard error and wait forever, so that
//!   a test can kill the process (SIGKILL) at exactly that point;
//! - `KFORGE_TEST_FAULT=fail@N`: the Nth operation fails with "No space left on device";
//! - `KFORGE_TEST_FAULT=count`: print `kforge: test fault: operation N: <what> <path>` for each
//!   operation and, at the end, `kforge: test fault: N operations`.
//!
//! Unset (always, outside the tests), [`op`] only counts.

use std::io;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    Count,
    Stop(usize),
    Fail(usize),
}

static OPS: AtomicUsize = AtomicUsize::new(0);

fn fault() -> Fault {
    static FAULT: OnceLock<Fault> = OnceLock::new();
    *FAULT.get_or_init(|| {
        let Ok(spec) = std::env::var("KFORGE_TEST_FAULT") else { return Fault::None };
        let at = |s: &str| s.parse::<usize>().ok();
        match spec.split_once('@') {
            Some(("stop", n)) => at(n).map_or(Fault::None, Fault::Stop),
            Some(("fail", n)) => at(n).map_or(Fault::None, Fault::Fail),
            _ if spec == "count" => Fault::Count,
            _ => Fault::None,
        }
    })
}

/// Counts one change on disk (`what` of `path`), and stops or fails there when the test asks.
pub fn op(what: &str, path: &Path) -> io::Result<()> {
    let n = OPS.fetch_add(1, Ordering::SeqCst) + 1;
    match fault() {
        Fault::Stop(at) if at == n => {
            eprintln!("kforge: test fault: stopped before operation {n} ({what} {})", path.display());
            loop {
                std::thread::park();
            }
        }
        Fault::Fail(at) if at == n => Err(io::Error::new(io::ErrorKind::StorageFull, format!("No space left on device (injected at operation {n}, {what})"))),
        Fault::Count => {
            eprintln!("kforge: test fault: operation {n}: {what} {}", path.display());
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Prints the number of operations when the test asked for it.
pub fn report() {
    if fault() == Fault::Count {
        eprintln!("kforge: test fault: {} operations", OPS.load(Ordering::SeqCst));
    }
}

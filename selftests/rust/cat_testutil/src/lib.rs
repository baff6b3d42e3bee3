// SPDX-License-Identifier: GPL-2.0
//! What every cat test program shares.

use std::io::{BufRead, Write};

/// For `catctl start --pid` tests: with CAT_WAIT_STDIN set in the
/// environment, say "cat-ready: pid=N" and wait for one line on stdin, so
/// the tracer can attach before the program does its work.
pub fn wait_for_go() {
    if std::env::var_os("CAT_WAIT_STDIN").is_none() {
        return;
    }
    println!("cat-ready: pid={}", std::process::id());
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

/// A value the optimiser cannot see through, so a loop whose bounds or
/// result go through it is really run. `std::hint::black_box` does this
/// too but is stable only from Rust 1.66; Debian 12's rustc is 1.63.
pub fn opaque<T: Copy>(x: T) -> T {
    // SAFETY: reads an initialised local of a Copy type.
    unsafe { std::ptr::read_volatile(&x) }
}

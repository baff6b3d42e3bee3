// SPDX-License-Identifier: GPL-2.0
//! tokio_bench - N tasks x K yield_now() on a tokio current_thread runtime.
//!
//! Usage: tokio_bench [N [K]]   (default 100 tasks x 199 yields = 20,000
//! polls, small enough for a TCG VM; 1000 x 999 gives 1,000,000 on a host)
//!
//! Every task yields K times, so it is polled exactly K + 1 times, and the
//! runtime polls exactly N * (K + 1) tasks in all: there are no other tasks
//! (current_thread has no worker threads and block_on's future is polled
//! directly, not as a task). It prints that count as `cat-expect: polls=`
//! and its own wall time as `cat-bench:` lines.

use std::time::Instant;

/* The spawn site as a string: line!() in a macro is the invocation line. */
macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

async fn worker(k: u64) -> u64 {
    for _ in 0..k {
        tokio::task::yield_now().await;
    }
    k
}

fn arg(args: &[String], i: usize, default: u64) -> u64 {
    match args.get(i) {
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("tokio_bench: bad number '{}'", s);
            std::process::exit(2);
        }),
        None => default,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, 1, 100);
    let k = arg(&args, 2, 199);
    cat_testutil::wait_for_go();

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");

    let start = Instant::now();
    let (done, site) = rt.block_on(async move {
        let mut handles = Vec::with_capacity(n as usize);
        let mut site = "";
        for _ in 0..n {
            handles.push(tokio::spawn(worker(k))); site = site!();
        }
        let mut done = 0u64;
        for h in handles {
            done += h.await.unwrap();
        }
        (done, site)
    });
    let elapsed = start.elapsed();
    assert_eq!(done, n * k);

    let polls = n * (k + 1);
    println!("cat-expect: runtime=tokio");
    println!("cat-expect: flavor=current_thread");
    println!("cat-expect: spawn_line={} name=worker tasks={} polls={}", site, n, k + 1);
    println!("cat-expect: tasks_spawned={}", n);
    println!("cat-expect: polls={}", polls);
    println!("cat-bench: tasks={} yields={} polls={}", n, k, polls);
    println!("cat-bench: elapsed_ns={}", elapsed.as_nanos());
    println!("cat-bench: ns_per_poll={:.1}", elapsed.as_nanos() as f64 / polls as f64);
}

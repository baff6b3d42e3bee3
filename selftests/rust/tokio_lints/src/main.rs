// SPDX-License-Identifier: GPL-2.0
//! tokio_lints - one task per lint of `catctl report` (timeline.rst,
//! "Lints"), each triggering that lint alone, and one that triggers none,
//! for the cat selftests. Prints `cat-expect:` lines (../README.md) with
//! the lints each task must have (`lints=a,b` or `lints=none`).
//!
//! A current_thread runtime, so that the program decides when each task
//! runs: the wake storm happens while main blocks the only thread, so
//! all its wakes find the task already scheduled. The program ends with
//! `process::exit`, not a runtime shutdown that would cancel (and so
//! complete) the task still waiting at exit.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/*
 * Above the 200 ms long-poll limit the VM tests give `catctl report`
 * (the default 10 ms is within reach of a cold first poll under TCG).
 */
const LONG_POLL_MS: u64 = 500;
const NEVER_YIELD_MS: u64 = 1100; /* above never-yielded's 1 s */
const SELF_WAKES: u32 = 8; /* at least 4, all from inside its poll */
const STORM_WAKES: u32 = 1000; /* at least 100, over 4 per poll */
const QUIET_SLEEPS: u32 = 2;

macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

fn expect(line: String) {
    println!("cat-expect: {}", line);
}

/*
 * Wakes itself and returns Pending @left times: every wake comes from
 * inside its own poll. (tokio >= 1.29 defers yield_now's wake until the
 * poll returned, so a yield_now loop is no self-wake there.)
 */
struct SelfWake {
    left: u32,
}

impl Future for SelfWake {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.left == 0 {
            return Poll::Ready(SELF_WAKES);
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/* Pending until another thread sets `done`; leaves its waker for it. */
struct StormShared {
    waker: Mutex<Option<Waker>>,
    done: AtomicBool,
}

struct Storm {
    shared: Arc<StormShared>,
}

impl Future for Storm {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.shared.done.load(Ordering::Acquire) {
            return Poll::Ready(STORM_WAKES);
        }
        *self.shared.waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/* Woken by the timer only: no lint. */
async fn quiet() -> u32 {
    for _ in 0..QUIET_SLEEPS {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    QUIET_SLEEPS
}

/* Holds the thread in its only poll. */
async fn hold(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    cat_testutil::wait_for_go();
    expect("runtime=tokio".into());
    expect("flavor=current_thread".into());

    let q = tokio::spawn(quiet()); let site_q = site!();
    expect(format!("spawn_line={} name=quiet tasks=1 polls={} lints=none", site_q, QUIET_SLEEPS + 1));
    let sw = tokio::spawn(SelfWake { left: SELF_WAKES }); let site_sw = site!();
    expect(format!("spawn_line={} name=self_wakes tasks=1 polls={} lints=self-wakes", site_sw, SELF_WAKES + 1));
    let lp = tokio::spawn(hold(LONG_POLL_MS)); let site_lp = site!();
    expect(format!("spawn_line={} name=long_poll tasks=1 polls=1 lints=long-poll", site_lp));
    let ny = tokio::spawn(hold(NEVER_YIELD_MS)); let site_ny = site!();
    expect(format!("spawn_line={} name=never_yielded tasks=1 polls=1 lints=long-poll,never-yielded", site_ny));
    /* never sent to: still waiting when the program exits */
    let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
    let _stuck = tokio::spawn(rx); let site_st = site!();
    expect(format!("spawn_line={} name=stuck tasks=1 polls=1 lints=alive-at-exit", site_st));

    let mut sum = q.await.unwrap() as u64;
    sum += sw.await.unwrap() as u64;
    sum += lp.await.unwrap();
    sum += ny.await.unwrap();

    let shared = Arc::new(StormShared { waker: Mutex::new(None), done: AtomicBool::new(false) });
    let st = tokio::spawn(Storm { shared: shared.clone() }); let site_storm = site!();
    expect(format!("spawn_line={} name=wake_storm tasks=1 polls=2 lints=wake-storm", site_storm));
    while shared.waker.lock().unwrap().is_none() {
        tokio::task::yield_now().await;
    }
    let waker = shared.waker.lock().unwrap().clone().unwrap();
    let s2 = shared.clone();
    let storm = std::thread::spawn(move || {
        for _ in 0..STORM_WAKES {
            waker.wake_by_ref();
        }
        s2.done.store(true, Ordering::Release);
    });
    /* blocks the runtime's only thread: the task is polled once after */
    storm.join().unwrap();
    sum += st.await.unwrap() as u64;

    expect("tasks_spawned=6".into());
    expect(format!("polls={}", (QUIET_SLEEPS + 1) + (SELF_WAKES + 1) + 1 + 1 + 1 + 2));
    expect(format!("checksum={}", sum));
    std::mem::forget(tx);
    std::process::exit(0);
}

// SPDX-License-Identifier: GPL-2.0
//! tokio_shapes - spawn shapes of tokio's multi_thread runtime that
//! tokio_multi does not have, for the cat selftests.
//!
//! `JoinSet::spawn`, a task that calls `block_in_place` (the worker hands
//! its core to another thread and goes on polling the task), tasks that
//! spawn tasks, `spawn_blocking` from a loop, and a future larger than
//! 16 KiB (tokio 1.53 boxes those before spawning them). Builds with
//! tokio 1.24 (Debian 12) and tokio 1.53; prints `cat-expect:` lines
//! (../README.md).

use std::time::Duration;

use tokio::task::{yield_now, JoinSet};

const WORKERS: usize = 2;
const JOINSET_TASKS: u32 = 3;
const YIELDS: u32 = 2;
const CHILDREN: u32 = 2;
const BLOCKING: u32 = 2;
const BLOCK_IN_PLACE_MS: u64 = 30;
const BIG: usize = 20 * 1024;

/* The spawn site as a string: line!() in a macro is the invocation line. */
macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

fn expect(line: String) {
    println!("cat-expect: {}", line);
}

/* Yields @n times: the task is polled n + 1 times. */
async fn yielder(n: u32) -> u32 {
    for _ in 0..n {
        yield_now().await;
    }
    n
}

/* Sleeps in block_in_place inside its first poll, then yields: 2 polls. */
async fn in_place(ms: u64) -> u64 {
    let r = tokio::task::block_in_place(|| {
        std::thread::sleep(Duration::from_millis(ms));
        ms
    });
    yield_now().await;
    r
}

/*
 * Spawns @n children (1 yield each: 2 polls) and awaits them in order:
 * polled once to spawn, then at most once per child that was not done
 * yet when awaited.
 */
async fn fanout(n: u32) -> (u32, &'static str) {
    let mut children = Vec::new();
    let mut site = "";
    for _ in 0..n {
        children.push(tokio::spawn(yielder(1))); site = site!();
    }
    let mut sum = 0;
    for c in children {
        sum += c.await.unwrap();
    }
    (sum, site)
}

/* Holds @BIG bytes across an await: the future is larger than 16 KiB. */
async fn big() -> u64 {
    let mut buf = [0u8; BIG];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = cat_testutil::opaque(i as u8);
    }
    yield_now().await;
    buf.iter().map(|&b| b as u64).sum()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    cat_testutil::wait_for_go();
    let mut spawned = 0u32;
    let mut polls_min = 0u32;
    let mut polls_max = 0u32;

    expect("runtime=tokio".into());
    expect("flavor=multi_thread".into());
    expect(format!("worker_threads={}", WORKERS));

    let mut site = "";
    let mut set = JoinSet::new();
    for _ in 0..JOINSET_TASKS {
        set.spawn(yielder(YIELDS)); site = site!();
    }
    expect(format!("spawn_line={} name=joinset tasks={} polls={}", site, JOINSET_TASKS, YIELDS + 1));
    spawned += JOINSET_TASKS;
    polls_min += JOINSET_TASKS * (YIELDS + 1);
    polls_max += JOINSET_TASKS * (YIELDS + 1);

    let bip = tokio::spawn(in_place(BLOCK_IN_PLACE_MS)); let site_bip = site!();
    expect(format!("spawn_line={} name=block_in_place tasks=1 polls=2 blocking_poll_ms={}", site_bip, BLOCK_IN_PLACE_MS));
    spawned += 1;
    polls_min += 2;
    polls_max += 2;

    let fan = tokio::spawn(fanout(CHILDREN)); let site_fan = site!();
    expect(format!("spawn_line={} name=fanout tasks=1 polls_min=1 polls_max={}", site_fan, CHILDREN + 1));
    spawned += 1 + CHILDREN;
    polls_min += 1 + CHILDREN * 2;
    polls_max += CHILDREN + 1 + CHILDREN * 2;

    let bg = tokio::spawn(big()); let site_big = site!();
    expect(format!("spawn_line={} name=big_future tasks=1 polls=2 future_bytes_min={}", site_big, BIG));
    spawned += 1;
    polls_min += 2;
    polls_max += 2;

    let mut blocking = Vec::new();
    for i in 0..BLOCKING {
        site = site!(); blocking.push(tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(5));
            i + 1
        }));
    }
    expect(format!("spawn_blocking_line={} name=spawn_blocking tasks={} polls=1", site, BLOCKING));

    let mut total = 0u64;
    while let Some(r) = set.join_next().await {
        total += r.unwrap() as u64;
    }
    total += bip.await.unwrap();
    let (sum, site_child) = fan.await.unwrap();
    total += sum as u64;
    expect(format!("spawn_line={} name=fanout_child tasks={} polls=2 parent=fanout", site_child, CHILDREN));
    total += bg.await.unwrap();
    for b in blocking {
        total += b.await.unwrap() as u64;
    }

    expect(format!("tasks_spawned={}", spawned));
    expect(format!("blocking_tasks={}", BLOCKING));
    expect(format!("polls_min={}", polls_min));
    expect(format!("polls_max={}", polls_max));
    expect(format!("checksum={}", total));
}

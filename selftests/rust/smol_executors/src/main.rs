// SPDX-License-Identifier: GPL-2.0
//! smol_executors - several smol executors in one process, for the cat
//! selftests.
//!
//! An `Executor` run by two threads of its own, a `LocalExecutor` run by
//! the main thread (with `!Send` tasks), smol's global executor
//! (`smol::spawn`), and a local task that spawns onto the shared
//! executor. All of them are async-task tasks (`RawTask<F, T, S>` in
//! async-task 4.3, `RawTask<F, T, S, M>` from 4.4 on). Builds with smol
//! 1.3 (Debian 12) and smol 2; prints `cat-expect:` lines (../README.md).
//! async-task turns a wake during a poll into one reschedule, so a task
//! that yields n times is polled exactly n + 1 times.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use smol::future::yield_now;
use smol::{Executor, LocalExecutor};

const RUNNERS: usize = 2;
const SHARED_TASKS: u32 = 3;
const LOCAL_TASKS: u32 = 2;
const YIELDS: u32 = 2;

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

async fn local_yielder(n: u32, count: Rc<Cell<u32>>) -> u32 {
    for _ in 0..n {
        yield_now().await;
        count.set(count.get() + 1);
    }
    n
}

/*
 * A local task that spawns one task onto the shared executor and awaits
 * it: polled once to spawn, and at most once more when the child's
 * completion wakes it.
 */
async fn spawner(ex: Arc<Executor<'static>>) -> (u32, &'static str) {
    let child = ex.spawn(yielder(1)); let site = site!();
    (child.await + 1, site)
}

fn main() {
    cat_testutil::wait_for_go();
    let ex: Arc<Executor<'static>> = Arc::new(Executor::new());
    let local = LocalExecutor::new();
    let count = Rc::new(Cell::new(0u32));
    let (stop_tx, stop_rx) = smol::channel::unbounded::<()>();
    let mut spawned = 0u32;
    let mut polls_min = 0u32;
    let mut polls_max = 0u32;

    expect("runtime=smol".into());
    expect(format!("executor_threads={}", RUNNERS));

    let mut site = "";
    let mut shared = Vec::new();
    for _ in 0..SHARED_TASKS {
        shared.push(ex.spawn(yielder(YIELDS))); site = site!();
    }
    expect(format!("spawn_line={} name=executor_spawn tasks={} polls={}", site, SHARED_TASKS, YIELDS + 1));
    spawned += SHARED_TASKS;
    polls_min += SHARED_TASKS * (YIELDS + 1);
    polls_max += SHARED_TASKS * (YIELDS + 1);

    let mut locals = Vec::new();
    for _ in 0..LOCAL_TASKS {
        locals.push(local.spawn(local_yielder(YIELDS, count.clone()))); site = site!();
    }
    expect(format!("spawn_line={} name=local_executor_spawn tasks={} polls={}", site, LOCAL_TASKS, YIELDS + 1));
    spawned += LOCAL_TASKS;
    polls_min += LOCAL_TASKS * (YIELDS + 1);
    polls_max += LOCAL_TASKS * (YIELDS + 1);

    let global = smol::spawn(yielder(1)); let site_global = site!();
    expect(format!("spawn_line={} name=smol_spawn tasks=1 polls=2", site_global));
    spawned += 1;
    polls_min += 2;
    polls_max += 2;

    let sp = local.spawn(spawner(ex.clone())); let site_sp = site!();
    expect(format!("spawn_line={} name=spawner tasks=1 polls_min=1 polls_max=2", site_sp));
    spawned += 2;
    polls_min += 1 + 2;
    polls_max += 2 + 2;

    let runners: Vec<_> = (0..RUNNERS)
        .map(|_| {
            let ex = ex.clone();
            let stop = stop_rx.clone();
            std::thread::spawn(move || smol::block_on(ex.run(stop.recv())))
        })
        .collect();

    let (total, site_child) = smol::block_on(local.run(async {
        let mut total = 0u32;
        for t in shared {
            total += t.await;
        }
        for t in locals {
            total += t.await;
        }
        total += global.await;
        let (n, site_child) = sp.await;
        (total + n, site_child)
    }));
    expect(format!("spawn_line={} name=spawner_child tasks=1 polls=2 parent=spawner", site_child));
    drop(stop_tx);
    for r in runners {
        let _ = r.join();
    }

    expect(format!("tasks_spawned={}", spawned));
    expect("blocking_tasks=0".into());
    expect(format!("polls_min={}", polls_min));
    expect(format!("polls_max={}", polls_max));
    expect(format!("checksum={}", total + count.get()));
}

// SPDX-License-Identifier: GPL-2.0
//! tokio_local - tokio's current_thread runtime with a LocalSet, for the
//! cat selftests.
//!
//! The shapes that do not exist on a multi_thread runtime: `!Send` tasks
//! spawned with `LocalSet::spawn_local` (before the set runs) and
//! `task::spawn_local` (from inside it), `JoinSet::spawn_local`, a local
//! task that spawns and awaits a local child, and one plain `tokio::spawn`
//! onto the current_thread scheduler beside the set. One thread runs
//! everything, so every poll count is exact. Builds with tokio 1.24
//! (Debian 12) and tokio 1.53; prints `cat-expect:` lines (../README.md).

use std::cell::Cell;
use std::rc::Rc;

use tokio::task::{self, yield_now, JoinSet, LocalSet};

const LOCALS: u32 = 3;
const YIELDS: u32 = 2;
const JOINSET_TASKS: u32 = 2;

/* The spawn site as a string: line!() in a macro is the invocation line. */
macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

fn expect(line: String) {
    println!("cat-expect: {}", line);
}

/* Yields @n times: the task is polled n + 1 times. @count is !Send. */
async fn local_yielder(n: u32, count: Rc<Cell<u32>>) -> u32 {
    for _ in 0..n {
        yield_now().await;
        count.set(count.get() + 1);
    }
    n
}

async fn send_yielder(n: u32) -> u32 {
    for _ in 0..n {
        yield_now().await;
    }
    n
}

/*
 * Spawns a child local task (1 yield: 2 polls) and awaits it. The child
 * has not run when the parent first awaits it, so the parent is polled
 * twice: once to spawn, once when the child's completion wakes it.
 */
async fn parent(count: Rc<Cell<u32>>, child_site: Rc<Cell<&'static str>>) -> u32 {
    let child = task::spawn_local(local_yielder(1, count)); child_site.set(site!());
    child.await.unwrap() + 1
}

fn main() {
    cat_testutil::wait_for_go();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let local = LocalSet::new();
    let count = Rc::new(Cell::new(0u32));
    let mut spawned = 0u32;
    let mut polls = 0u32;

    expect("runtime=tokio".into());
    expect("flavor=current_thread".into());

    /* queued on the set before it runs */
    let early = local.spawn_local(local_yielder(YIELDS, count.clone())); let site_early = site!();
    expect(format!("spawn_line={} name=localset_spawn_local tasks=1 polls={}", site_early, YIELDS + 1));
    spawned += 1;
    polls += YIELDS + 1;

    let child_site = Rc::new(Cell::new(""));
    let total = local.block_on(&rt, async {
        let mut total = 0u32;
        let mut site = "";
        let mut locals = Vec::new();
        for _ in 0..LOCALS {
            locals.push(task::spawn_local(local_yielder(YIELDS, count.clone()))); site = site!();
        }
        expect(format!("spawn_line={} name=spawn_local tasks={} polls={}", site, LOCALS, YIELDS + 1));
        spawned += LOCALS;
        polls += LOCALS * (YIELDS + 1);

        let mut set = JoinSet::new();
        for _ in 0..JOINSET_TASKS {
            set.spawn_local(local_yielder(1, count.clone())); site = site!();
        }
        expect(format!("spawn_line={} name=joinset_spawn_local tasks={} polls=2", site, JOINSET_TASKS));
        spawned += JOINSET_TASKS;
        polls += JOINSET_TASKS * 2;

        /* a Send task on the current_thread scheduler, beside the set */
        let plain = tokio::spawn(send_yielder(YIELDS)); let site_plain = site!();
        expect(format!("spawn_line={} name=spawn tasks=1 polls={}", site_plain, YIELDS + 1));
        spawned += 1;
        polls += YIELDS + 1;

        let par = task::spawn_local(parent(count.clone(), child_site.clone())); let site_parent = site!();
        expect(format!("spawn_line={} name=parent tasks=1 polls=2", site_parent));
        spawned += 2;
        polls += 2 + 2;

        for h in locals {
            total += h.await.unwrap();
        }
        while let Some(r) = set.join_next().await {
            total += r.unwrap();
        }
        total += plain.await.unwrap();
        total += par.await.unwrap();
        total
    });
    /* the child's line is known once the parent has run */
    expect(format!("spawn_line={} name=child tasks=1 polls=2 parent=parent", child_site.get()));
    let total = total + rt.block_on(local.run_until(early)).unwrap();

    expect(format!("tasks_spawned={}", spawned));
    expect("blocking_tasks=0".into());
    expect(format!("polls={}", polls));
    expect(format!("checksum={}", total + count.get()));
}

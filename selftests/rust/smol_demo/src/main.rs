// SPDX-License-Identifier: GPL-2.0
//! smol_demo - tasks spawned through smol 1.3's three spawn paths, for
//! the spawn-site tests: `smol::spawn` (the global executor, whose task is
//! created inside smol's own `spawn` function), `Executor::spawn`,
//! `LocalExecutor::spawn`, and a task spawned from inside another task.
//! Every task yields a known number of times, so its poll count is exact.
//! Each spawn site is printed as the file!():line!() of the line holding
//! the spawn call (see selftests/rust/README.md for the cat-expect lines).

use cat_testutil::wait_for_go;
use smol::future::yield_now;
use smol::{Executor, LocalExecutor, Task};

/* The spawn site as a string: line!() in a macro is the invocation line. */
macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

fn expect(line: String) {
    println!("cat-expect: {}", line);
}

/// `n` yields: exactly n + 1 polls.
async fn yielder(n: u32) -> u32 {
    for _ in 0..n {
        yield_now().await;
    }
    n
}

/// Spawns a child from inside a task and waits for it: 2 polls (the
/// child is pending at the first, done at the second).
async fn parent(ex: &'static Executor<'static>) -> u32 {
    let child = ex.spawn(yielder(1)); let site_child = site!();
    expect(format!("spawn_line={} name=child tasks=1 polls=2", site_child));
    child.await + 1
}

fn main() {
    wait_for_go();
    expect("runtime=async-std".to_string());
    let mut spawned = 0u32;
    let mut sum = 0u32;

    // the global executor: the task is made inside smol::spawn
    let mut globals: Vec<Task<u32>> = Vec::new();
    let mut site_global = "";
    for _ in 0..2 {
        globals.push(smol::spawn(yielder(3))); site_global = site!();
    }
    expect(format!("spawn_line={} name=global tasks=2 polls=4", site_global));
    spawned += 2;

    // an executor of the program's own, with a task spawning another
    let ex: &'static Executor<'static> = Box::leak(Box::new(Executor::new()));
    let t_ex = ex.spawn(yielder(2)); let site_ex = site!();
    expect(format!("spawn_line={} name=executor tasks=1 polls=3", site_ex));
    let t_parent = ex.spawn(parent(ex)); let site_parent = site!();
    expect(format!("spawn_line={} name=parent tasks=1 polls=2", site_parent));
    spawned += 3;

    // a LocalExecutor (tasks that are not Send)
    let local = LocalExecutor::new();
    let t_local = local.spawn(yielder(1)); let site_local = site!();
    expect(format!("spawn_line={} name=local tasks=1 polls=2", site_local));
    spawned += 1;

    sum += smol::block_on(ex.run(async { t_ex.await + t_parent.await }));
    sum += smol::block_on(local.run(t_local));
    for t in globals {
        sum += smol::block_on(t);
    }
    expect(format!("tasks_spawned={}", spawned));
    expect(format!("checksum={}", sum));
}

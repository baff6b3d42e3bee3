// SPDX-License-Identifier: GPL-2.0
//! tokio_named - tasks named with `tokio::task::Builder`, for the cat
//! selftests (needs `--cfg tokio_unstable`, see ../Cargo.toml).
//!
//! Named tasks from `Builder::spawn`, `Builder::spawn_local` (on a
//! LocalSet), `Builder::spawn_blocking`, one unnamed `tokio::spawn` beside
//! them, and a named task that spawns a named child. A tracer should show
//! each task's name (`task_name=`) and still the line of the Builder call
//! as its spawn site. current_thread runtime: every poll count is exact.
//! Prints `cat-expect:` lines (../rust/README.md).

use std::time::Duration;

use tokio::task::{yield_now, Builder, LocalSet};

const NAMED: u32 = 2; /* named-0, named-1 */
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

/* Spawns a named child (1 yield: 2 polls) and awaits it: 2 polls. */
async fn supervisor() -> (u32, &'static str) {
    let child = Builder::new().name("worker-child").spawn(yielder(1)).unwrap(); let site = site!();
    (child.await.unwrap() + 1, site)
}

fn main() {
    cat_testutil::wait_for_go();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let local = LocalSet::new();
    let mut polls = 0u32;

    expect("runtime=tokio".into());
    expect("flavor=current_thread".into());

    let total = local.block_on(&rt, async {
        let mut total = 0u32;
        /* one line each: a spawn site has one name */
        let handles = [
            (Builder::new().name("named-0").spawn(yielder(YIELDS)).unwrap(), "named-0", site!()),
            (Builder::new().name("named-1").spawn(yielder(YIELDS)).unwrap(), "named-1", site!()),
        ];
        for (_, name, site) in &handles {
            expect(format!("spawn_line={} name=named task_name={} tasks=1 polls={}", site, name, YIELDS + 1));
            polls += YIELDS + 1;
        }

        let loc = Builder::new().name("local-one").spawn_local(yielder(1)).unwrap(); let site_loc = site!();
        expect(format!("spawn_line={} name=named_local task_name=local-one tasks=1 polls=2", site_loc));
        polls += 2;

        let plain = tokio::spawn(yielder(1)); let site_plain = site!();
        expect(format!("spawn_line={} name=unnamed tasks=1 polls=2", site_plain));
        polls += 2;

        let sup = Builder::new().name("supervisor").spawn(supervisor()).unwrap(); let site_sup = site!();
        expect(format!("spawn_line={} name=supervisor task_name=supervisor tasks=1 polls=2", site_sup));
        polls += 2 + 2;

        let site_blk = site!(); let blk = Builder::new().name("blocking-one").spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(5));
            5u32
        });
        let blk = blk.unwrap();
        expect(format!("spawn_blocking_line={} name=spawn_blocking task_name=blocking-one tasks=1 polls=1", site_blk));
        polls += 1;

        for (h, _, _) in handles {
            total += h.await.unwrap();
        }
        total += loc.await.unwrap();
        total += plain.await.unwrap();
        let (n, site_child) = sup.await.unwrap();
        expect(format!("spawn_line={} name=supervisor_child task_name=worker-child tasks=1 polls=2 parent=supervisor", site_child));
        total += n;
        total + blk.await.unwrap()
    });

    expect(format!("tasks_spawned={}", NAMED + 4));
    expect("blocking_tasks=1".into());
    expect(format!("polls={}", polls));
    expect(format!("checksum={}", total));
}

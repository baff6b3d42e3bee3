// SPDX-License-Identifier: GPL-2.0
//! tokio_multi - a small tokio multi_thread program for the cat selftests.
//!
//! It exercises what the trace rebuilder must get right: several spawn
//! sites, tasks that yield a known number of times, a join! of two
//! branches inside one task, a blocking poll (std::thread::sleep inside an
//! async fn), a long CPU loop inside one poll, one spawn_blocking, a user
//! `impl Future`, an async fn whose Poll is returned in memory (`wide`),
//! and tasks woken by other tasks (mpsc channel, Notify).
//!
//! It prints what it did as `cat-expect: key=value ...` lines (see
//! ../README.md) so the tests can compare them with the trace. Poll counts
//! are exact (`polls=`) where the program makes them so, and a range
//! (`polls_min=`/`polls_max=`) where they depend on which thread runs
//! first. Each spawn site is printed as the file!():line!() of the line
//! that holds the spawn call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio::task::yield_now;

const WORKERS: usize = 2;
const YIELDERS: u32 = 4;
const YIELDS: u32 = 3;
const COUNTDOWN: u32 = 3;
const BLOCKING_POLL_MS: u64 = 30;
/* long enough to pass the 10 ms long-poll threshold on any machine */
const CPU_ITERS: u64 = 200_000_000;
const MESSAGES: u32 = 3;

/* The spawn site as a string: line!() in a macro is the invocation line. */
macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

/* Yields @n times: the task is polled n + 1 times. */
async fn yielder(n: u32) -> u32 {
    for _ in 0..n {
        yield_now().await;
    }
    n
}

async fn fetch_a() -> u32 {
    yield_now().await;
    1
}

async fn fetch_b() -> u32 {
    yield_now().await;
    yield_now().await;
    2
}

/* One task, two branches: the task is polled while either is pending. */
async fn join_two() -> u32 {
    let (a, b) = tokio::join!(fetch_a(), fetch_b());
    a + b
}

/* A blocking poll: the worker thread sleeps inside the task's only poll. */
async fn blocking_sleep(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

/* A long CPU loop inside one poll. */
async fn cpu_loop(iters: u64) -> u64 {
    let mut x: u64 = 1;
    for i in 0..cat_testutil::opaque(iters) {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
    }
    cat_testutil::opaque(x)
}

/*
 * A user-implemented future: Pending @left times, waking itself each
 * time, so the task that awaits it is polled left + 1 times.
 */
struct CountDown {
    left: u32,
}

impl Future for CountDown {
    type Output = u32;

    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.left == 0 {
            return Poll::Ready(COUNTDOWN);
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

async fn countdown() -> u32 {
    CountDown { left: COUNTDOWN }.await
}

/*
 * Its Poll<[u64; 4]> is larger than two registers, so the body returns it
 * through a hidden pointer: args are (return slot, self, cx).
 */
async fn wide(seed: u64) -> [u64; 4] {
    yield_now().await;
    [seed, seed + 1, seed + 2, seed + 3]
}

async fn producer(tx: mpsc::Sender<u32>) {
    for i in 0..MESSAGES {
        tx.send(i + 1).await.expect("receiver alive");
        yield_now().await;
    }
}

async fn consumer(mut rx: mpsc::Receiver<u32>) -> u32 {
    let mut sum = 0;
    while let Some(v) = rx.recv().await {
        sum += v;
    }
    sum
}

async fn waiter(notify: Arc<Notify>) -> u32 {
    notify.notified().await;
    1
}

async fn notifier(notify: Arc<Notify>) {
    yield_now().await;
    notify.notify_one();
}

fn expect(line: String) {
    println!("cat-expect: {}", line);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    cat_testutil::wait_for_go();
    let mut spawned = 0u32;
    let mut polls_min = 0u32;
    let mut polls_max = 0u32;

    expect("runtime=tokio".into());
    expect("flavor=multi_thread".into());
    /* each worker thread runs as one long blocking task of the runtime */
    expect(format!("worker_threads={}", WORKERS));
    expect(format!("runtime_blocking_tasks={}", WORKERS));

    let mut site = "";
    let mut yielders = Vec::new();
    for _ in 0..YIELDERS {
        yielders.push(tokio::spawn(yielder(YIELDS))); site = site!();
    }
    expect(format!("spawn_line={} name=yielder tasks={} polls={}", site, YIELDERS, YIELDS + 1));
    spawned += YIELDERS;
    polls_min += YIELDERS * (YIELDS + 1);
    polls_max += YIELDERS * (YIELDS + 1);

    /* Two deferred wakes in one poll may race with a stealing worker. */
    let joined = tokio::spawn(join_two()); let site_join = site!();
    expect(format!("spawn_line={} name=join_two tasks=1 polls_min=3 polls_max=4", site_join));
    spawned += 1;
    polls_min += 3;
    polls_max += 4;

    let blocking = tokio::spawn(blocking_sleep(BLOCKING_POLL_MS)); let site_bl = site!();
    expect(format!("spawn_line={} name=blocking_sleep tasks=1 polls=1 blocking_poll_ms={}", site_bl, BLOCKING_POLL_MS));
    spawned += 1;
    polls_min += 1;
    polls_max += 1;

    let cpu = tokio::spawn(cpu_loop(CPU_ITERS)); let site_cpu = site!();
    expect(format!("spawn_line={} name=cpu_loop tasks=1 polls=1 cpu_iters={}", site_cpu, CPU_ITERS));
    spawned += 1;
    polls_min += 1;
    polls_max += 1;

    let cd = tokio::spawn(countdown()); let site_cd = site!();
    expect(format!("spawn_line={} name=countdown tasks=1 polls={} user_future=CountDown user_polls={}", site_cd, COUNTDOWN + 1, COUNTDOWN + 1));
    spawned += 1;
    polls_min += COUNTDOWN + 1;
    polls_max += COUNTDOWN + 1;

    let wd = tokio::spawn(wide(10)); let site_wide = site!();
    expect(format!("spawn_line={} name=wide tasks=1 polls=2", site_wide));
    spawned += 1;
    polls_min += 2;
    polls_max += 2;

    let (tx, rx) = mpsc::channel(8);
    let prod = tokio::spawn(producer(tx)); let site_prod = site!();
    let cons = tokio::spawn(consumer(rx)); let site_cons = site!();
    expect(format!("spawn_line={} name=producer tasks=1 polls={}", site_prod, MESSAGES + 1));
    expect(format!("spawn_line={} name=consumer tasks=1 polls_min=1 polls_max={} woken_by=producer", site_cons, MESSAGES + 2));
    spawned += 2;
    polls_min += MESSAGES + 1 + 1;
    polls_max += MESSAGES + 1 + MESSAGES + 2;

    let notify = Arc::new(Notify::new());
    let wt = tokio::spawn(waiter(notify.clone())); let site_wait = site!();
    let nt = tokio::spawn(notifier(notify)); let site_notif = site!();
    expect(format!("spawn_line={} name=waiter tasks=1 polls_min=1 polls_max=2 woken_by=notifier", site_wait));
    expect(format!("spawn_line={} name=notifier tasks=1 polls=2", site_notif));
    spawned += 2;
    polls_min += 1 + 2;
    polls_max += 2 + 2;

    /* An async block: an anonymous future spawned from main. The site is
     * the line where the spawn call starts. */
    let site_anon = site!(); let anon = tokio::spawn(async move {
        yield_now().await;
        7u32
    });
    expect(format!("spawn_line={} name=async_block tasks=1 polls=2", site_anon));
    spawned += 1;
    polls_min += 2;
    polls_max += 2;

    let site_sb = site!(); let sb = tokio::task::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(10));
        42u32
    });
    expect(format!("spawn_blocking_line={} name=spawn_blocking tasks=1 polls=1", site_sb));

    let mut total = 0u32;
    for h in yielders {
        total += h.await.unwrap();
    }
    total += joined.await.unwrap();
    total += blocking.await.unwrap() as u32;
    total += (cpu.await.unwrap() & 1) as u32;
    total += cd.await.unwrap();
    total += wd.await.unwrap().iter().sum::<u64>() as u32;
    prod.await.unwrap();
    total += cons.await.unwrap();
    total += wt.await.unwrap();
    nt.await.unwrap();
    total += anon.await.unwrap();
    total += sb.await.unwrap();

    expect(format!("tasks_spawned={}", spawned));
    expect("blocking_tasks=1".into());
    expect(format!("polls_min={}", polls_min));
    expect(format!("polls_max={}", polls_max));
    expect(format!("checksum={}", total));
}

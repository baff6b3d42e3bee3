// SPDX-License-Identifier: GPL-2.0
//! asyncstd_demo - a small async-std program for the cat selftests.
//!
//! Several spawned tasks from distinct spawn sites: yielders, one task
//! that zips two futures (futures_lite::future::zip) and one that races
//! two (future::or), a user `impl Future`, and a consumer woken through a
//! channel by a producer task. Like the tokio programs it prints
//! `cat-expect:` lines (see ../README.md). async-task coalesces wakes that
//! arrive while a task runs into one reschedule, so the counts below are
//! exact except for the channel consumer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_std::channel;
use async_std::task;
use futures_lite::future;

const YIELDERS: u32 = 3;
const YIELDS: u32 = 2;
const COUNTDOWN: u32 = 2;
const MESSAGES: u32 = 3;

/* The spawn site as a string: line!() in a macro is the invocation line. */
macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

async fn yielder(n: u32) -> u32 {
    for _ in 0..n {
        task::yield_now().await;
    }
    n
}

/* zip: polled until both finish (the longer one yields twice): 3 polls */
async fn zipped() -> u32 {
    let (a, b) = future::zip(yielder(1), yielder(2)).await;
    a + b
}

/* or: done when the first finishes (after one yield): 2 polls */
async fn raced() -> u32 {
    future::or(yielder(1), yielder(5)).await
}

/* A user future, Pending @left times and waking itself each time. */
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

async fn producer(tx: channel::Sender<u32>) {
    for i in 0..MESSAGES {
        tx.send(i + 1).await.expect("receiver alive");
        task::yield_now().await;
    }
}

async fn consumer(rx: channel::Receiver<u32>) -> u32 {
    let mut sum = 0;
    while let Ok(v) = rx.recv().await {
        sum += v;
    }
    sum
}

fn expect(line: String) {
    println!("cat-expect: {}", line);
}

fn main() {
    cat_testutil::wait_for_go();
    task::block_on(async {
        let mut spawned = 0u32;
        let mut polls_min = 0u32;
        let mut polls_max = 0u32;

        expect("runtime=async-std".into());

        let mut site = "";
        let mut ys = Vec::new();
        for _ in 0..YIELDERS {
            ys.push(task::spawn(yielder(YIELDS))); site = site!();
        }
        expect(format!("spawn_line={} name=yielder tasks={} polls={}", site, YIELDERS, YIELDS + 1));
        spawned += YIELDERS;
        polls_min += YIELDERS * (YIELDS + 1);
        polls_max += YIELDERS * (YIELDS + 1);

        let z = task::spawn(zipped()); let site_z = site!();
        expect(format!("spawn_line={} name=zipped tasks=1 polls=3", site_z));
        let r = task::spawn(raced()); let site_r = site!();
        expect(format!("spawn_line={} name=raced tasks=1 polls=2", site_r));
        let cd = task::spawn(countdown()); let site_cd = site!();
        expect(format!("spawn_line={} name=countdown tasks=1 polls={} user_future=CountDown user_polls={}", site_cd, COUNTDOWN + 1, COUNTDOWN + 1));
        spawned += 3;
        polls_min += 3 + 2 + COUNTDOWN + 1;
        polls_max += 3 + 2 + COUNTDOWN + 1;

        let (tx, rx) = channel::bounded(8);
        let p = task::spawn(producer(tx)); let site_p = site!();
        let c = task::spawn(consumer(rx)); let site_c = site!();
        expect(format!("spawn_line={} name=producer tasks=1 polls={}", site_p, MESSAGES + 1));
        expect(format!("spawn_line={} name=consumer tasks=1 polls_min=1 polls_max={} woken_by=producer", site_c, MESSAGES + 2));
        spawned += 2;
        polls_min += MESSAGES + 1 + 1;
        polls_max += MESSAGES + 1 + MESSAGES + 2;

        let mut total = 0;
        for h in ys {
            total += h.await;
        }
        total += z.await + r.await + cd.await;
        p.await;
        total += c.await;

        expect(format!("tasks_spawned={}", spawned));
        expect(format!("polls_min={}", polls_min));
        expect(format!("polls_max={}", polls_max));
        expect(format!("checksum={}", total));
    });
}

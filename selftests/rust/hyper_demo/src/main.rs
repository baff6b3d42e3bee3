// SPDX-License-Identifier: GPL-2.0
//! hyper_demo - tasks that a library spawns through its own executor:
//! hyper 0.14's `Exec` calls `tokio::spawn` from generic code deep inside
//! the server and the client. A server and a client in one process talk
//! over loopback; one request, so each side makes one connection.
//!
//! The spawn site of such a task is the program's own line the library
//! was running under: the `.await` of the server future inside the task
//! the program spawned for it (hyper spawns the connection task from the
//! server's poll), and the `.await` of the request (hyper spawns the
//! client's connection task while the request future is polled). Those
//! lines are printed with their task counts; their poll counts depend on
//! the network and are not printed. See selftests/rust/README.md.
//!
//! In a debug build the program's frame is 40-50 KiB above the client's
//! spawn (hyper's futures live by value in deep frames): trace it with
//! `catctl start --spawn-stack 49152`.

use std::convert::Infallible;
use std::net::SocketAddr;

use cat_testutil::wait_for_go;
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Client, Request, Response, Server};

macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

fn expect(line: String) {
    println!("cat-expect: {}", line);
}

async fn hello(_req: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(Response::new(Body::from("cat")))
}

fn main() {
    wait_for_go();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    expect("runtime=tokio".to_string());
    let body = rt.block_on(async {
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let make = make_service_fn(|_conn| async { Ok::<_, Infallible>(service_fn(hello)) });
        let server = Server::bind(&addr).serve(make);
        let local = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let graceful = server.with_graceful_shutdown(async {
            stopped.await.ok();
        });
        let site_srv = site!(); let srv = tokio::spawn(async move {
            let site_conn = site!(); graceful.await.expect("server");
            site_conn
        });
        expect(format!("spawn_line={} name=server tasks=1", site_srv));

        // no pool: hyper would otherwise spawn one more task per response,
        // to give the connection back once it is idle, but only when it is
        // not idle yet (timing); without a pool the connection is the only one
        let client = Client::builder().pool_max_idle_per_host(0).build_http::<Body>();
        let uri: hyper::Uri = format!("http://{}/", local).parse().expect("uri");
        let resp = client.get(uri).await.expect("request"); let site_client = site!();
        let bytes = hyper::body::to_bytes(resp.into_body()).await.expect("body");
        drop(client);
        stop.send(()).ok();
        let site_conn = srv.await.expect("server task");
        expect(format!("spawn_line={} name=server_connection tasks=1", site_conn));
        expect(format!("spawn_line={} name=client_connection tasks=1", site_client));
        bytes
    });
    expect("tasks_spawned=3".to_string());
    expect(format!("checksum={}", body.len()));
}

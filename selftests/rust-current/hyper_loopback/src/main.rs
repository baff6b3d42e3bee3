// SPDX-License-Identifier: GPL-2.0
//! hyper_loopback - a hyper 1 HTTP/1 server and its client load in one
//! process, over loopback, for the cat selftests.
//!
//! The server is an accept task that spawns one task per connection
//! (`hyper::server::conn::http1`). The load is CLIENTS tasks, each with
//! its own `hyper_util` legacy `Client` without a pool, so each request
//! opens a connection, and the client library spawns that connection's
//! dispatcher task itself, through its executor (`TokioExecutor`): no
//! spawn call of this program is on that path. Its spawn site, for a
//! tracer, is the line of this program that was running when the library
//! spawned: the line that awaits `client.request()`.
//!
//! Task counts are exact (no pool, no DNS lookup for an IP address, so
//! no background connect or idle tasks); poll counts depend on socket
//! readiness, so only a lower bound is printed. The guest VM needs `lo`
//! up (selftests/vm/init). Prints `cat-expect:` lines (../rust/README.md).

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

const WORKERS: usize = 2;
const CLIENTS: u32 = 2;
const REQUESTS: u32 = 3;
const BODY: &str = "hello from cat";

/* The spawn site as a string: line!() in a macro is the invocation line. */
macro_rules! site {
    () => {
        concat!(file!(), ":", line!())
    };
}

fn expect(line: String) {
    println!("cat-expect: {}", line);
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let n = req.uri().path().len();
    Ok(Response::new(Full::new(Bytes::from(format!("{} {}", BODY, n)))))
}

/* Serves @conns connections, one task each, and waits for all of them. */
async fn serve(listener: TcpListener, conns: u32) -> (u32, &'static str) {
    let mut tasks = Vec::new();
    let mut site = "";
    for _ in 0..conns {
        let (stream, _) = listener.accept().await.expect("accept");
        let conn = async move {
            http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await
                .is_ok() as u32
        };
        tasks.push(tokio::spawn(conn)); site = site!();
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap();
    }
    (ok, site)
}

/* @REQUESTS requests, each on a new connection (no pool). */
async fn load(addr: SocketAddr) -> (u64, &'static str) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    let mut bytes = 0u64;
    let mut site = "";
    for i in 0..REQUESTS {
        let uri: hyper::Uri = format!("http://{}/req/{}", addr, i).parse().unwrap();
        let req = Request::get(uri).body(Full::new(Bytes::new())).unwrap();
        let resp = client.request(req).await.expect("request"); site = site!();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        assert!(body.starts_with(BODY.as_bytes()));
        bytes += body.len() as u64;
    }
    (bytes, site)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    cat_testutil::wait_for_go();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1 (is lo up?)");
    let addr = listener.local_addr().unwrap();
    let conns = CLIENTS * REQUESTS;

    expect("runtime=tokio".into());
    expect("flavor=multi_thread".into());
    expect(format!("worker_threads={}", WORKERS));

    let server = tokio::spawn(serve(listener, conns)); let site_server = site!();
    expect(format!("spawn_line={} name=accept tasks=1 polls_min=1", site_server));

    let mut site = "";
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(tokio::spawn(load(addr))); site = site!();
    }
    expect(format!("spawn_line={} name=client tasks={} polls_min=1", site, CLIENTS));

    let mut total = 0u64;
    let mut site_conn = "";
    for c in clients {
        let (b, s) = c.await.unwrap();
        total += b;
        site_conn = s;
    }
    let (ok, site_serve) = server.await.unwrap();
    expect(format!("spawn_line={} name=server_conn tasks={} polls_min=1", site_serve, conns));
    expect(format!("spawn_line={} name=client_conn tasks={} polls_min=1 spawned_by=hyper-util", site_conn, conns));

    expect(format!("tasks_spawned={}", 1 + CLIENTS + 2 * conns));
    expect("blocking_tasks=0".into());
    expect(format!("connections_ok={}", ok));
    expect(format!("checksum={}", total + ok as u64));
}

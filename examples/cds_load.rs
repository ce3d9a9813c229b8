//! A small closed-loop load generator for the CDS Hooks service, on loopback only.
//!
//! ```sh
//! cargo run --release --example cds_load -- [--addr 127.0.0.1:PORT] [--concurrency 8]
//!     [--requests 20000] [--body examples/cds-order-sign.json]
//! ```
//!
//! Without `--addr` it starts the service in-process on an ephemeral loopback port. Each client
//! thread holds one keep-alive HTTP/1.1 connection and sends `POST
//! /cds-services/medcheck-order-sign` back to back; the run stops after `--requests` requests in
//! all or 60 seconds, whichever comes first. It prints latency percentiles and throughput.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use medcheck::KnowledgeBase;
use medcheck::cds::Service;
use medcheck::cds::server;

const MAX_RUN: Duration = Duration::from_secs(60);

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// One request on a kept-alive connection; returns the status.
fn post(reader: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<u16> {
    reader.get_mut().write_all(request)?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(status)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let concurrency: usize =
        arg(&args, "--concurrency").map_or(8, |s| s.parse().expect("--concurrency N"));
    let total: usize =
        arg(&args, "--requests").map_or(20_000, |s| s.parse().expect("--requests N"));
    let body_file =
        arg(&args, "--body").unwrap_or_else(|| "examples/cds-order-sign.json".to_string());
    let body = std::fs::read_to_string(&body_file).expect("the request body file");
    let (_server, addr): (Option<server::Handle>, SocketAddr) = match arg(&args, "--addr") {
        Some(a) => (None, a.parse().expect("--addr IP:PORT")),
        None => {
            let service = Service::new(KnowledgeBase::bundled().clone());
            let h = server::start(service, "127.0.0.1:0".parse().unwrap()).expect("server starts");
            let addr = h.addr();
            (Some(h), addr)
        }
    };
    assert!(
        addr.ip().is_loopback(),
        "load is sent to loopback addresses only"
    );
    let request = format!(
        "POST /cds-services/medcheck-order-sign HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes();
    // Warm up: one request, and check that it succeeds.
    {
        let mut r = BufReader::new(TcpStream::connect(addr).expect("connect"));
        assert_eq!(post(&mut r, &request).expect("warm-up request"), 200);
    }
    let per_thread = total.div_ceil(concurrency);
    let started = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || {
                let stream = TcpStream::connect(addr).expect("connect");
                stream.set_nodelay(true).ok();
                let mut r = BufReader::new(stream);
                let mut latencies = Vec::with_capacity(per_thread);
                let mut errors = 0usize;
                for _ in 0..per_thread {
                    if started.elapsed() > MAX_RUN {
                        break;
                    }
                    let t = Instant::now();
                    match post(&mut r, &request) {
                        Ok(200) => latencies.push(t.elapsed()),
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in threads {
        let (l, e) = t.join().expect("client thread");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1e3
    };
    println!(
        "{} requests ({} errors) in {:.2} s over {concurrency} connections, body {} bytes",
        latencies.len(),
        errors,
        elapsed.as_secs_f64(),
        body.len()
    );
    println!(
        "throughput {:.0} requests/s; latency ms: p50 {:.3}, p90 {:.3}, p99 {:.3}, max {:.3}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
}

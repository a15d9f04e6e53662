//! `hyper-floor ADDRESS`: serves HTTP/1.1 on ADDRESS with hyper on tokio's
//! multi-threaded runtime (as `beacon-cli capture` does), reads every request's
//! body to the end, and answers 204 with nothing else done. Prints nothing;
//! stops when killed.

use std::convert::Infallible;

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};

fn main() {
    let address = std::env::args().nth(1).expect("usage: hyper-floor ADDRESS");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .expect("the address");
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|request: Request<Incoming>| async move {
                    let _ = request.into_body().collect().await;
                    let mut response = Response::new(Empty::<Bytes>::new());
                    *response.status_mut() = StatusCode::NO_CONTENT;
                    Ok::<_, Infallible>(response)
                });
                let io = hyper_util::rt::TokioIo::new(tcp);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
}

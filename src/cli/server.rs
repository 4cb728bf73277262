//! A minimal HTTP/1.1 server on 127.0.0.1 for the demo's sample sites.
//!
//! It answers from a handler function, one request per connection, binds
//! loopback only, on a random port, and stops when dropped. The tests
//! compile this same file into their own binary (`tests/it/support.rs`),
//! where it can also misbehave on purpose — trickle, stall, reset, send
//! raw bytes, speak TLS — to inject faults into the crawler; those modes
//! exist only in test builds, not in the shipped binary.

// The tests use more of it than the demo does.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
#[cfg(test)]
use tokio_rustls::rustls;

/// A request as the handler sees it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("/")
    }
}

/// What to send back.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A normal response (Content-Length is added).
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    #[cfg(test)]
    /// Headers, then the body a few bytes at a time with a pause between.
    Trickle {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        chunk: usize,
        pause: Duration,
    },
    #[cfg(test)]
    /// A long body made of `chunk` sent `repeat` times, as fast as the
    /// reader takes it (a 200 MB page without 200 MB in memory).
    Stream {
        content_type: String,
        chunk: Vec<u8>,
        repeat: usize,
    },
    #[cfg(test)]
    /// Accept, read the request, then say nothing for this long.
    Stall(Duration),
    #[cfg(test)]
    /// Close the connection without answering.
    Reset,
    #[cfg(test)]
    /// Send these bytes as the whole response, as they are.
    Raw(Vec<u8>),
}

impl Reply {
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::with_type(200, "text/html; charset=utf-8", body)
    }

    pub fn with_type(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn status(status: u16) -> Reply {
        Reply::with_type(
            status,
            "text/html; charset=utf-8",
            format!("<h1>{status}</h1>"),
        )
    }

    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// A running server; stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serve `handler` on 127.0.0.1 at a random port, on a thread of its own.
    pub fn start(handler: Handler) -> std::io::Result<Server> {
        Server::spawn(handler, None)
    }

    #[cfg(test)]
    /// The same over HTTPS with this certificate chain (DER, the server's
    /// own first) and PKCS#8 key (DER).
    pub fn start_tls(
        handler: Handler,
        chain: Vec<Vec<u8>>,
        key_der: Vec<u8>,
    ) -> std::io::Result<Server> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into());
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain.into_iter().map(Into::into).collect(), key)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Server::spawn(
            handler,
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        )
    }

    fn spawn(handler: Handler, tls: Option<tokio_rustls::TlsAcceptor>) -> std::io::Result<Server> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("serve-{addr}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("test server runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("listener");
                    tokio::select! {
                        _ = accept_loop(listener, handler, tls) => {}
                        _ = stop_rx => {}
                    }
                });
            })?;
        Ok(Server {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Serve a fixed set of paths (with query) → replies; anything else is 404.
    pub fn routes(routes: Vec<(&str, Reply)>) -> std::io::Result<Server> {
        let map: HashMap<String, Reply> = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        Server::start(Arc::new(move |req: &Request| {
            map.get(&req.target)
                .cloned()
                .unwrap_or_else(|| Reply::status(404))
        }))
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    #[cfg(test)]
    pub fn https_url(&self, path: &str) -> String {
        format!("https://{}{}", self.addr, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    handler: Handler,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let handler = handler.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => {
                    if let Ok(s) = acceptor.accept(stream).await {
                        answer(s, handler).await;
                    }
                }
                None => answer(stream, handler).await,
            }
        });
    }
}

async fn answer<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, handler: Handler) {
    let Some(req) = read_request(&mut stream).await else {
        return;
    };
    let reply = handler(&req);
    let _ = write_reply(&mut stream, &req, reply).await;
    let _ = stream.shutdown().await;
}

async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > 64 * 1024 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Request {
        method,
        target,
        headers,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn head(status: u16, headers: &[(String, String)], length: Option<usize>) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nConnection: close\r\n",
        reason(status)
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = length {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        {
            out.push_str(&format!("Content-Length: {n}\r\n"));
        }
    }
    out.push_str("\r\n");
    out.into_bytes()
}

async fn write_reply<S: AsyncWrite + Unpin>(
    stream: &mut S,
    req: &Request,
    reply: Reply,
) -> std::io::Result<()> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            stream
                .write_all(&head(status, &headers, Some(body.len())))
                .await?;
            if req.method != "HEAD" {
                stream.write_all(&body).await?;
            }
        }
        #[cfg(test)]
        Reply::Trickle {
            status,
            headers,
            body,
            chunk,
            pause,
        } => {
            stream
                .write_all(&head(status, &headers, Some(body.len())))
                .await?;
            for piece in body.chunks(chunk.max(1)) {
                stream.write_all(piece).await?;
                stream.flush().await?;
                tokio::time::sleep(pause).await;
            }
        }
        #[cfg(test)]
        Reply::Stream {
            content_type,
            chunk,
            repeat,
        } => {
            let headers = vec![("Content-Type".to_string(), content_type)];
            stream
                .write_all(&head(200, &headers, Some(chunk.len() * repeat)))
                .await?;
            for _ in 0..repeat {
                stream.write_all(&chunk).await?;
            }
        }
        #[cfg(test)]
        Reply::Stall(d) => tokio::time::sleep(d).await,
        #[cfg(test)]
        Reply::Reset => {}
        #[cfg(test)]
        Reply::Raw(bytes) => stream.write_all(&bytes).await?,
    }
    stream.flush().await
}

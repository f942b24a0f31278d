//! A tiny HTTP/1.1 symbol server on 127.0.0.1 for the tests: fixed routes,
//! one thread per connection, `Connection: close`, and it stops by itself
//! (when dropped, or after a minute at the latest).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a route answers.
#[derive(Clone)]
pub enum Reply {
    /// 200 with this body.
    Body(Vec<u8>),
    /// 200 announcing `announced` bytes, sending `body`, then closing.
    Truncated { body: Vec<u8>, announced: usize },
    /// Waits this long before answering anything.
    Slow(Duration),
    /// This status with an empty body.
    Status(u16),
}

/// A running server; dropping it stops it.
pub struct Server {
    pub url: String,
    stop: Arc<AtomicBool>,
    /// Every request path received, in order.
    pub log: Arc<Mutex<Vec<String>>>,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
}

impl Server {
    /// Serves `routes` (path → reply; anything else is 404).
    pub fn start(routes: HashMap<String, Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(Mutex::new(routes));
        let (stop2, log2, routes2) = (stop.clone(), log.clone(), routes.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut served = 0;
            while !stop2.load(Ordering::Relaxed) && Instant::now() < deadline && served < 1000 {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let (routes, log, stop) = (routes2.clone(), log2.clone(), stop2.clone());
                        std::thread::spawn(move || handle(stream, &routes, &log, &stop));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { url, stop, log, routes }
    }

    /// Adds a route (e.g. one whose content names the server's own URL).
    pub fn route(&self, path: String, reply: Reply) {
        if let Ok(mut r) = self.routes.lock() {
            r.insert(path, reply);
        }
    }

    /// The request paths seen so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn handle(
    mut s: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    log: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while head.len() < 8192 && !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
    if let Ok(mut l) = log.lock() {
        l.push(path.clone());
    }
    let reply = routes.lock().ok().and_then(|r| r.get(&path).cloned()).unwrap_or(Reply::Status(404));
    let _ = match reply {
        Reply::Body(body) => send(&mut s, 200, &body, body.len()),
        Reply::Truncated { body, announced } => send(&mut s, 200, &body, announced),
        Reply::Status(code) => send(&mut s, code, b"", 0),
        Reply::Slow(d) => {
            let until = Instant::now() + d;
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
            }
            send(&mut s, 200, b"late", 4)
        }
    };
}

fn send(s: &mut TcpStream, code: u16, body: &[u8], announced: usize) -> std::io::Result<()> {
    let head = format!("HTTP/1.1 {code} X\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    s.flush()
}

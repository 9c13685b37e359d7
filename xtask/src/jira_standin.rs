//! A tiny stand-in for Jira that `cargo xtask serve` and `cargo xtask demo` start on 127.0.0.1:8089, so the
//! demo runs offline: it answers `GET /rest/api/2/issue/{key}` like Jira REST v2 and logs every request it
//! receives — which shows that dry-run writes never reach it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// Where the stand-in listens (the demo policy grants exactly this prefix).
pub const ADDRESS: &str = "127.0.0.1:8089";

/// Starts the stand-in on a background thread; returns its base URL, or `None` if the port is taken
/// (then the demo's Jira reads fail with a clear connection error instead).
pub fn start() -> Option<String> {
    let listener = match TcpListener::bind(ADDRESS) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!(
                "xtask: the Jira stand-in cannot listen on {ADDRESS} ({err}); Jira reads will fail"
            );
            return None;
        }
    };
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer(stream);
        }
    });
    Some(format!("http://{ADDRESS}"))
}

fn answer(mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let request_line = request_line.trim();
    eprintln!("[jira stand-in] received: {request_line}");
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let key = path.strip_prefix("/rest/api/2/issue/").unwrap_or("");
    let (status, json) = if method == "GET" && !key.is_empty() && !key.contains('/') {
        (
            "200 OK",
            format!(
                r#"{{"key":"{key}","fields":{{"summary":"Retry failed uploads","description":"Uploads fail on flaky networks.","status":{{"name":"To Do"}}}}}}"#
            ),
        )
    } else if method == "POST" {
        ("201 Created", r#"{"id":"10001"}"#.to_owned())
    } else {
        (
            "404 Not Found",
            r#"{"errorMessages":["not found"],"errors":{}}"#.to_owned(),
        )
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
        json.len()
    )
}

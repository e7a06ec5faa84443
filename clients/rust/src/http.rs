//! Just enough HTTP/1.1 over `std::net::TcpStream` for botconfig's API: a JSON request,
//! and the event stream with a read timeout on every read, so a connection that goes
//! silent (a network fault that sends nothing) is noticed within the timeout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// 401 or 403: the token was refused; retrying will not help.
    Refused(String),
    /// Unreachable, broken, silent, or an answer not as it should be; retrying may help.
    Unreachable(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Refused(m) | HttpError::Unreachable(m) => f.write_str(m),
        }
    }
}

fn unreachable(what: &str, error: impl std::fmt::Display) -> HttpError {
    HttpError::Unreachable(format!("{what}: {error}"))
}

/// Where the server is: `http://host:port[/prefix]`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    host: String,
    port: u16,
    prefix: String,
    token: String,
}

impl Endpoint {
    pub fn parse(url: &str, token: &str) -> Result<Self, String> {
        let rest = url
            .trim_end_matches('/')
            .strip_prefix("http://")
            .ok_or_else(|| {
                format!(
                    "the URL must be http://host:port (this client speaks plain HTTP), not {url:?}"
                )
            })?;
        let (authority, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_owned()),
            None => (rest, String::new()),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse().map_err(|_| format!("bad port in {url:?}"))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("no host in {url:?}"));
        }
        Ok(Endpoint {
            host: host.to_owned(),
            port,
            prefix,
            token: token.to_owned(),
        })
    }

    fn connect(&self, timeout: Duration) -> Result<TcpStream, HttpError> {
        let address = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| unreachable("resolving the server", e))?
            .next()
            .ok_or_else(|| HttpError::Unreachable(format!("{} resolves to nothing", self.host)))?;
        let stream = TcpStream::connect_timeout(&address, timeout)
            .map_err(|e| unreachable("connecting", e))?;
        stream.set_read_timeout(Some(timeout)).ok();
        stream.set_write_timeout(Some(timeout)).ok();
        stream.set_nodelay(true).ok();
        Ok(stream)
    }

    fn send(
        &self,
        stream: &mut TcpStream,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<(), HttpError> {
        let mut request = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}:{}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n",
            self.prefix, self.host, self.port, self.token
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        stream
            .write_all(&bytes)
            .map_err(|e| unreachable("sending the request", e))
    }

    /// One request: the status and the body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), HttpError> {
        let mut stream = self.connect(timeout)?;
        self.send(&mut stream, method, path, &[], body)?;
        let mut response = Response::read(BufReader::new(stream))?;
        let mut body = Vec::new();
        response
            .read_to_end(&mut body)
            .map_err(|e| unreachable("reading the answer", e))?;
        refuse(response.status, &body)?;
        Ok((response.status, body))
    }

    /// Opens the event stream; every read waits at most `read_timeout`.
    pub fn stream(
        &self,
        headers: &[(&str, String)],
        read_timeout: Duration,
    ) -> Result<Response, HttpError> {
        let mut stream = self.connect(read_timeout)?;
        self.send(&mut stream, "GET", "/api/v1/stream", headers, None)?;
        let mut response = Response::read(BufReader::new(stream))?;
        if response.status != 200 {
            let mut body = Vec::new();
            response.read_to_end(&mut body).ok();
            refuse(response.status, &body)?;
            return Err(HttpError::Unreachable(format!(
                "the stream answered {}: {}",
                response.status,
                String::from_utf8_lossy(&body)
            )));
        }
        Ok(response)
    }
}

fn refuse(status: u16, body: &[u8]) -> Result<(), HttpError> {
    if status == 401 || status == 403 {
        let reason = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        return Err(HttpError::Refused(format!(
            "the server refused the token ({status}): {reason}"
        )));
    }
    Ok(())
}

/// A response whose body reads de-chunked.
pub struct Response {
    pub status: u16,
    reader: BufReader<TcpStream>,
    chunked: bool,
    /// Bytes left in the current chunk (chunked) or in the body (with a length).
    left: Option<usize>,
    done: bool,
}

impl Response {
    fn read(mut reader: BufReader<TcpStream>) -> Result<Self, HttpError> {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| unreachable("reading the status", e))?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| HttpError::Unreachable(format!("not an HTTP answer: {line:?}")))?;
        let (mut chunked, mut length) = (false, None);
        loop {
            line.clear();
            reader
                .read_line(&mut line)
                .map_err(|e| unreachable("reading the headers", e))?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
                if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                } else if name == "content-length" {
                    length = value.parse().ok();
                }
            }
        }
        Ok(Response {
            status,
            reader,
            chunked,
            left: if chunked { Some(0) } else { length },
            done: false,
        })
    }
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.chunked && self.left == Some(0) {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            if line.trim().is_empty() {
                // The CRLF that ends the previous chunk.
                line.clear();
                self.reader.read_line(&mut line)?;
            }
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| std::io::Error::other(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                self.done = true;
                return Ok(0);
            }
            self.left = Some(size);
        }
        let limit = self.left.map_or(buf.len(), |left| left.min(buf.len()));
        let read = self.reader.read(&mut buf[..limit])?;
        if read == 0 {
            self.done = true;
        }
        if let Some(left) = self.left.as_mut() {
            *left -= read;
            if *left == 0 && !self.chunked {
                self.done = true;
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(answer: &'static [u8]) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut request);
            stream.write_all(answer).unwrap();
        });
        port
    }

    #[test]
    fn a_chunked_body_reads_whole_and_a_refusal_names_itself() {
        let port = serve_once(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n",
        );
        let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}"), "t").unwrap();
        let (status, body) = endpoint
            .request("GET", "/x", None, Duration::from_secs(2))
            .unwrap();
        assert_eq!((status, body.as_slice()), (200, b"{\"a\": 1}".as_slice()));
        let port = serve_once(
            b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 20\r\n\r\n{\"error\":\"revoked\"}\n",
        );
        let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}"), "t").unwrap();
        let refused = endpoint.request("GET", "/x", None, Duration::from_secs(2));
        assert!(matches!(refused, Err(HttpError::Refused(m)) if m.contains("revoked")));
    }

    #[test]
    fn a_silent_connection_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _keep = std::thread::spawn(move || {
            let (_stream, _) = listener.accept().unwrap();
            std::thread::sleep(Duration::from_secs(3));
        });
        let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}"), "t").unwrap();
        let started = std::time::Instant::now();
        let silent = endpoint.request("GET", "/x", None, Duration::from_millis(300));
        assert!(
            matches!(silent, Err(HttpError::Unreachable(_))),
            "{silent:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn urls_are_checked() {
        assert!(Endpoint::parse("https://x", "t")
            .unwrap_err()
            .contains("plain HTTP"));
        assert!(Endpoint::parse("http://:80", "t").is_err());
        assert!(Endpoint::parse("http://h:port", "t").is_err());
        assert!(Endpoint::parse("http://h:3000/prefix/", "t").is_ok());
    }
}

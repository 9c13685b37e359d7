//! Sending a request to addresses that were already checked ([`super::address`]), instead of letting the
//! HTTP client resolve the name again. Otherwise the same as `wasmtime_wasi_http::default_send_request`
//! (which this follows: hyper's HTTP/1 client over a tokio `TcpStream`, TLS by rustls with the webpki
//! roots, the same three timeouts), except that the TCP connection goes to one of `addrs`, while TLS
//! verifies the certificate for the URL's host name (SNI) and the `Host` header stays the name.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// What the gate hands back to wasi-http: the response, and the connection's remaining I/O.
pub type Sent = (
    Response<WasiBody>,
    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
);

/// The TLS client configuration, built once: the webpki roots, no client certificate.
static TLS: LazyLock<Arc<rustls::ClientConfig>> = LazyLock::new(|| {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
});

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

/// Sends `request` (absolute URI) over a connection to the first of `addrs` that answers.
pub async fn send(
    mut request: Request<WasiBody>,
    options: Option<RequestOptions>,
    addrs: &[SocketAddr],
) -> Result<Sent, HttpError> {
    let uri = request.uri().clone();
    let host = uri.host().ok_or(HttpError::HttpRequestUriInvalid)?;
    let use_tls = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| {
        options
            .as_ref()
            .and_then(pick)
            .unwrap_or(Duration::from_secs(600))
    };
    let connect_timeout = timeout(|o| o.connect_timeout);
    let first_byte_timeout = timeout(|o| o.first_byte_timeout);
    let between_bytes_timeout = timeout(|o| o.between_bytes_timeout).max(Duration::new(0, 1));

    let tcp = match tokio::time::timeout(connect_timeout, TcpStream::connect(addrs)).await {
        Ok(stream) => stream.map_err(HttpError::Connect)?,
        Err(_) => return Err(HttpError::ConnectionTimeout),
    };
    let stream: Box<dyn Stream> = if use_tls {
        let name = server_name(host)?;
        let tls = tokio_rustls::TlsConnector::from(TLS.clone())
            .connect(name, tcp)
            .await
            .map_err(HttpError::Tls)?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let (mut sender, conn) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)??;
    // On the wire, the request line carries the path and query only (not a proxy request).
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(uri.path_and_query().map_or("/", |p| p.as_str()))
        .build()
        .map_err(|_| HttpError::HttpRequestUriInvalid)?;
    let send = async move {
        let response = tokio::time::timeout(first_byte_timeout, sender.send_request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(HttpError::from)?;
        let mut timer = tokio::time::interval(between_bytes_timeout);
        timer.reset();
        Ok::<_, HttpError>(response.map(|incoming| TimedBody { incoming, timer }))
    };
    let mut send = pin!(send);
    let mut conn = Some(conn);
    // Wait for the response while driving the connection's I/O.
    let response = poll_fn(|cx| match send.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(result),
        Poll::Pending => {
            let Some(fut) = conn.as_mut() else {
                return Poll::Pending;
            };
            let done = ready!(Pin::new(fut).poll(cx));
            conn = None;
            match done {
                Ok(()) => send.as_mut().poll(cx),
                Err(err) => Poll::Ready(Err(HttpError::from(err))),
            }
        }
    })
    .await?;
    let io = async move {
        let Some(conn) = conn else {
            return Ok(());
        };
        conn.await.map_err(|err| {
            if err.is_timeout() {
                HttpError::HttpResponseTimeout
            } else {
                HttpError::from(err)
            }
        })
    };
    Ok((response.map(BodyExt::boxed_unsync), Box::new(io)))
}

/// The name TLS verifies the certificate for: the URL's host (a bracketed IPv6 literal unwrapped).
fn server_name(host: &str) -> Result<rustls::pki_types::ServerName<'static>, HttpError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok(rustls::pki_types::ServerName::from(ip));
    }
    rustls::pki_types::ServerName::try_from(bare.to_owned())
        .map_err(|_| HttpError::HttpRequestUriInvalid)
}

/// A response body that fails when no frame arrives within the between-bytes timeout.
struct TimedBody {
    incoming: Incoming,
    timer: tokio::time::Interval,
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(err))) if err.is_timeout() => {
                Poll::Ready(Some(Err(HttpError::HttpResponseTimeout)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(HttpError::from(err)))),
            Poll::Ready(Some(Ok(frame))) => {
                self.timer.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.timer.poll_tick(cx));
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

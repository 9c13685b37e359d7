"""Outgoing HTTP through ``wasi:http/outgoing-handler``, the only way out of the sandbox.

The host checks every request against the plugin's URL grants. A request it does not allow raises
:class:`HttpDenied` (a :class:`drydock_plugin.Denied`, so a tool that lets it propagate answers "denied").
In a dry run a write (POST, PUT, PATCH, DELETE, or anything the host counts as one) is not sent: the host
answers it itself and marks the response (:attr:`Response.simulated`). Calls block until the response
body is read (up to ``max_body`` bytes).
"""

import json as _json
from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler
from wit_world.imports import wasi_http_types as t

from .errors import Denied, Failed, InvalidInput

#: The header the host sets on a response it simulated in a dry run instead of sending the request.
SIMULATED_HEADER = "x-drydock-simulated"

#: Response bodies longer than this are cut unless ``max_body`` says otherwise.
DEFAULT_MAX_BODY = 1024 * 1024

_CHUNK = 4096

_METHODS = {
    "GET": t.Method_Get,
    "HEAD": t.Method_Head,
    "POST": t.Method_Post,
    "PUT": t.Method_Put,
    "DELETE": t.Method_Delete,
    "OPTIONS": t.Method_Options,
    "PATCH": t.Method_Patch,
    "TRACE": t.Method_Trace,
    "CONNECT": t.Method_Connect,
}


class HttpDenied(Denied):
    """The host refused the request: its URL is not granted to this plugin for this method."""


class HttpFailed(Failed):
    """The request was sent, or tried, and failed (connection, timeout, protocol)."""


class HttpInvalid(InvalidInput):
    """The request could not be formed: a bad URL, method or header."""


class Response:
    """A response, with its body read up to ``max_body`` bytes."""

    def __init__(self, status, headers, body, truncated):
        #: The status code, e.g. 200.
        self.status = status
        #: ``(name, value)`` pairs in the order received, names in lowercase.
        self.headers = headers
        #: The body as bytes (at most ``max_body`` of them).
        self.body = body
        #: Whether the body was longer than ``max_body`` and was cut.
        self.truncated = truncated

    def header(self, name):
        """The first value of header ``name`` (any case), or ``None``."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def simulated(self):
        """Whether the host answered this request itself (a dry-run write that was never sent)."""
        return self.header(SIMULATED_HEADER) == "true"

    @property
    def text(self):
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        """The body parsed as JSON."""
        return _json.loads(self.body)


def get(url, headers=None, max_body=DEFAULT_MAX_BODY):
    """``GET url``."""
    return request("GET", url, headers=headers, max_body=max_body)


def post(url, body=None, json=None, headers=None, max_body=DEFAULT_MAX_BODY):
    """``POST url`` with ``body`` (bytes or str) or ``json`` (sent as ``application/json``)."""
    return request("POST", url, headers=headers, body=body, json=json, max_body=max_body)


def request(method, url, headers=None, body=None, json=None, max_body=DEFAULT_MAX_BODY):
    """Sends one request and reads its response. ``headers`` is a dict or a list of pairs."""
    label = f"{method} {url}"
    method = method.upper()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HttpInvalid(f"{label}: the URL must be absolute, http:// or https://")
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if json is not None:
        if body is not None:
            raise HttpInvalid(f"{label}: give `body` or `json`, not both")
        body = _json.dumps(json)
        if not any(name.lower() == "content-type" for name, _ in pairs):
            pairs.append(("content-type", "application/json"))
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        fields = t.Fields.from_list([(name, str(value).encode("utf-8")) for name, value in pairs])
    except Err as error:
        raise HttpInvalid(f"{label}: a header is not allowed ({type(error.value).__name__})") from None
    outgoing = t.OutgoingRequest(fields)
    method_value = _METHODS[method]() if method in _METHODS else t.Method_Other(method)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        outgoing.set_method(method_value)
        outgoing.set_scheme(t.Scheme_Https() if parts.scheme == "https" else t.Scheme_Http())
        outgoing.set_authority(parts.netloc)
        outgoing.set_path_with_query(path)
    except Err:
        raise HttpInvalid(f"{label}: the method or URL is not valid") from None
    # The body goes out after the request is handed over (the host may read it before it decides), and
    # each resource is dropped before the one it belongs to, as WASI requires.
    outgoing_body = outgoing.body()
    try:
        future = outgoing_handler.handle(outgoing, None)
    except Err as error:
        raise _error(label, error.value) from None
    try:
        if body:
            with outgoing_body.write() as stream:
                for start in range(0, len(body), _CHUNK):
                    stream.blocking_write_and_flush(body[start : start + _CHUNK])
    except Err:
        pass  # the host stopped reading: the response (or its error) says why
    t.OutgoingBody.finish(outgoing_body, None)
    with future:
        with future.subscribe() as ready:
            ready.block()
        answer = future.get()
    if answer is None or isinstance(answer, Err):
        raise HttpFailed(f"{label}: the host gave no response")
    inner = answer.value
    if isinstance(inner, Err):
        raise _error(label, inner.value)
    with inner.value as response:
        status = response.status()
        with response.headers() as fields:
            received = [
                (name.lower(), value.decode("utf-8", errors="replace")) for name, value in fields.entries()
            ]
        with response.consume() as incoming:
            data, truncated = _read_body(incoming, max_body)
    return Response(status, received, data, truncated)


def _read_body(incoming, max_body):
    chunks, size, truncated = [], 0, False
    with incoming.stream() as stream:
        while True:
            try:
                chunk = stream.blocking_read(_CHUNK)
            except Err:
                break
            if size + len(chunk) > max_body:
                chunks.append(chunk[: max_body - size])
                truncated = True
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks), truncated


def _error(label, code):
    if isinstance(code, t.ErrorCode_HttpRequestDenied):
        return HttpDenied(f"{label}: the host refused it (not granted to this plugin for this method)")
    if isinstance(code, (t.ErrorCode_HttpRequestMethodInvalid, t.ErrorCode_HttpRequestUriInvalid)):
        return HttpInvalid(f"{label}: {type(code).__name__.removeprefix('ErrorCode_')}")
    detail = getattr(code, "value", None)
    name = type(code).__name__.removeprefix("ErrorCode_")
    return HttpFailed(f"{label}: {name}" + (f" ({detail})" if detail else ""))

// Outgoing HTTP through `wasi:http/outgoing-handler`, the only way out of the sandbox.
//
// The host checks every request against the plugin's URL grants: a request it does not allow throws
// `HttpDenied` (a `Denied`, so a tool that lets it propagate answers "denied"); in a dry run a write is
// answered by the host itself (`response.simulated`). Calls block until the body is read (up to `maxBody`).
// `fetch()` also works in plugins, but cannot tell a refusal from a network failure; this can.

import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import { Fields, OutgoingBody, OutgoingRequest } from 'wasi:http/types@0.2.12';
import { Denied, Failed, InvalidInput } from './errors.js';

/** The header the host sets on a response it simulated in a dry run instead of sending the request. */
export const SIMULATED_HEADER = 'x-drydock-simulated';
/** Response bodies longer than this are cut unless `maxBody` says otherwise. */
export const DEFAULT_MAX_BODY = 1024 * 1024;

const CHUNK = 4096n;
const METHODS = ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'];

/** The host refused the request: its URL is not granted to this plugin for this method. */
export class HttpDenied extends Denied {}
/** The request was sent, or tried, and failed (connection, timeout, protocol). */
export class HttpFailed extends Failed {}
/** The request could not be formed: a bad URL, method or header. */
export class HttpInvalid extends InvalidInput {}

/** A response, with its body read up to `maxBody` bytes. */
export class Response {
  constructor(status, headers, body, truncated) {
    /** The status code. */
    this.status = status;
    /** `[name, value]` pairs in the order received, names in lowercase. */
    this.headers = headers;
    /** The body (a Uint8Array). */
    this.body = body;
    /** Whether the body was longer than `maxBody` and was cut. */
    this.truncated = truncated;
  }

  /** The first value of header `name` (any case), or `undefined`. */
  header(name) {
    const wanted = name.toLowerCase();
    const found = this.headers.find(([key]) => key === wanted);
    return found ? found[1] : undefined;
  }

  /** Whether the host answered this request itself (a dry-run write that was never sent). */
  get simulated() {
    return this.header(SIMULATED_HEADER) === 'true';
  }

  /** The body as UTF-8 text. */
  get text() {
    return new TextDecoder().decode(this.body);
  }

  /** The body parsed as JSON. */
  json() {
    return JSON.parse(this.text);
  }
}

/** `GET url`. */
export function get(url, options = {}) {
  return request('GET', url, options);
}

/** `POST url` with `options.body` (string or bytes) or `options.json`. */
export function post(url, options = {}) {
  return request('POST', url, options);
}

/** Sends one request and reads its response. `options`: `headers` (object or pairs), `body`, `json`,
 * `maxBody`. */
export function request(method, url, options = {}) {
  const label = `${method} ${url}`;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpInvalid(`${label}: the URL must be absolute, http:// or https://`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HttpInvalid(`${label}: the URL must be absolute, http:// or https://`);
  }
  const pairs = Array.isArray(options.headers) ? [...options.headers] : Object.entries(options.headers || {});
  let body = options.body;
  if (options.json !== undefined) {
    if (body !== undefined) throw new HttpInvalid(`${label}: give \`body\` or \`json\`, not both`);
    body = JSON.stringify(options.json);
    if (!pairs.some(([name]) => name.toLowerCase() === 'content-type')) {
      pairs.push(['content-type', 'application/json']);
    }
  }
  if (typeof body === 'string') body = new TextEncoder().encode(body);
  let fields;
  try {
    fields = Fields.fromList(pairs.map(([name, value]) => [name, new TextEncoder().encode(String(value))]));
  } catch (error) {
    throw new HttpInvalid(`${label}: a header is not allowed (${describe(error)})`);
  }
  const outgoing = new OutgoingRequest(fields);
  const upper = method.toUpperCase();
  const lower = upper.toLowerCase();
  try {
    outgoing.setMethod(METHODS.includes(lower) ? { tag: lower } : { tag: 'other', val: upper });
    outgoing.setScheme({ tag: parsed.protocol === 'https:' ? 'HTTPS' : 'HTTP' });
    outgoing.setAuthority(parsed.host);
    outgoing.setPathWithQuery(`${parsed.pathname}${parsed.search}`);
  } catch {
    throw new HttpInvalid(`${label}: the method or URL is not valid`);
  }
  // The body goes out after the request is handed over (the host may read it before it decides).
  const outgoingBody = outgoing.body();
  let future;
  try {
    future = handle(outgoing, undefined);
  } catch (error) {
    throw failure(label, payloadOf(error));
  }
  if (body && body.length > 0) {
    const stream = outgoingBody.write();
    try {
      for (let start = 0; start < body.length; start += Number(CHUNK)) {
        stream.blockingWriteAndFlush(body.subarray(start, start + Number(CHUNK)));
      }
    } catch {
      // The host stopped reading: the response (or its error) says why.
    }
    stream[Symbol.dispose]?.();
  }
  OutgoingBody.finish(outgoingBody, undefined);
  future.subscribe().block();
  const answer = future.get();
  if (!answer || answer.tag !== 'ok') throw new HttpFailed(`${label}: the host gave no response`);
  if (answer.val.tag !== 'ok') throw failure(label, answer.val.val);
  const response = answer.val.val;
  const status = response.status();
  const headers = response.headers().entries().map(([name, value]) => [name.toLowerCase(), new TextDecoder().decode(value)]);
  const maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
  const incoming = response.consume();
  const stream = incoming.stream();
  const chunks = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(CHUNK);
    } catch {
      break; // closed: the whole body was read
    }
    if (size + chunk.length > maxBody) {
      chunks.push(chunk.subarray(0, maxBody - size));
      size = maxBody;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  stream[Symbol.dispose]?.();
  const joined = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return new Response(status, headers, joined, truncated);
}

function payloadOf(error) {
  return error && typeof error === 'object' && 'payload' in error ? error.payload : error;
}

function describe(error) {
  const why = payloadOf(error);
  return why && why.tag ? why.tag : String(why);
}

function failure(label, code) {
  const tag = code && code.tag ? code.tag : String(code);
  if (tag === 'HTTP-request-denied') {
    return new HttpDenied(`${label}: the host refused it (not granted to this plugin for this method)`);
  }
  if (tag === 'HTTP-request-method-invalid' || tag === 'HTTP-request-URI-invalid') {
    return new HttpInvalid(`${label}: ${tag}`);
  }
  const value = code && code.val;
  const detail =
    value === undefined || value === null
      ? ''
      : ` (${typeof value === 'object' ? JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v)) : value})`;
  return new HttpFailed(`${label}: ${tag}${detail}`);
}

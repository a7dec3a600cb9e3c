// secretpath AssemblyScript guest SDK: ABI v1 (wasmhost/ABI.md), including
// v1.1's OK_IN_BUFFER fast path. See ../README.md.
//
// The entry file of a backend re-exports the ABI and registers a Backend:
//
//   export * from "@secretpath/guest-sdk/assembly/abi";
//   import { Backend, register } from "@secretpath/guest-sdk/assembly";
//   class MyBackend extends Backend { ... }
//   register(new MyBackend());

export { JSONReader, Kind, Span } from "./json";

// @ts-ignore: decorator
@inline export const BUFFER_SIZE: i32 = 4096;

/** ABI v1 status codes (ABI.md §4). */
export enum Status {
  OK = 0,
  NOT_FOUND = 1,
  INVALID_ARGUMENT = 2,
  UNAVAILABLE = 3,
  PERMISSION_DENIED = 4,
  INTERNAL = 5,
  UNIMPLEMENTED = 6,
  RESOURCE_EXHAUSTED = 7,
}

/** Log levels. */
export enum Level { DEBUG = 0, INFO = 1, WARN = 2, ERROR = 3 }

/**
 * The backend. The host calls init once per instance, then the lookups, one
 * at a time. A lookup calls result() and returns Status.OK, or returns
 * another status (optionally after error()).
 */
export class Backend {
  /** The tenant's backend_kwargs, a JSON object as UTF-8 bytes ("{}" when none). */
  init(kwargs: Uint8Array): Status { return Status.OK; }
  /** id is the lookup's id decoded from UTF-8; idBytes() gives its bytes. */
  getConnection(id: string): Status { return Status.UNIMPLEMENTED; }
  getVariable(key: string): Status { return Status.UNIMPLEMENTED; }
  getConfig(key: string): Status { return Status.UNIMPLEMENTED; }
}

// ---- Imports (ABI.md §5) ----------------------------------------------------

// @ts-ignore: decorator
@external("secretpath_v1", "kwargs_read") declare function kwargs_read(buf: usize, limit: i32): i32;
// @ts-ignore: decorator
@external("secretpath_v1", "result_set") declare function result_set(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("secretpath_v1", "error_set") declare function error_set(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("secretpath_v1", "log") declare function host_log(level: i32, ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("secretpath_v1", "log_enabled") declare function log_enabled(level: i32): i32;
// @ts-ignore: decorator
@external("secretpath_v1", "env_get") declare function env_get(name: usize, nlen: i32, buf: usize, limit: i32): i32;
// @ts-ignore: decorator
@external("secretpath_v1", "clock_now") declare function clock_now(): i64;
// @ts-ignore: decorator
@external("secretpath_v1", "http_request") declare function http_request(m: usize, ml: i32, u: usize, ul: i32, h: usize, hl: i32, b: usize, bl: i32): i32;
// @ts-ignore: decorator
@external("secretpath_v1", "http_response_body") declare function http_response_body(buf: usize, limit: i32): i32;
// @ts-ignore: decorator
@external("secretpath_v1", "http_response_header") declare function http_response_header(name: usize, nlen: i32, buf: usize, limit: i32): i32;

// ---- State ------------------------------------------------------------------

const OK_IN_BUFFER: i32 = 8;
const RESULT_NONE = 0, RESULT_IN_BUFFER = 1, RESULT_SET = 2;

/** The exchange buffer: static, never moves. */
export const exchange: usize = memory.data(BUFFER_SIZE, 16);
let resultMode = RESULT_NONE;
let registered: Backend | null = null;
let currentId: Uint8Array = new Uint8Array(0);

/** register makes b the module's backend: call it from the entry file's top level. */
export function register(b: Backend): void { registered = b; }

export function backend(): Backend {
  const b = registered;
  if (b == null) { error("no backend registered (call register at the top level)"); unreachable(); }
  return changetype<Backend>(b);
}

/** The current lookup's id as bytes (valid for the call). */
export function idBytes(): Uint8Array { return currentId; }

// ---- Results and errors -----------------------------------------------------

/** Sets the lookup's result (copied at once) and returns Status.OK. */
export function resultBytes(p: usize, n: i32): Status {
  if (n <= BUFFER_SIZE - 4) {
    store<u32>(exchange, <u32>n);
    memory.copy(exchange + 4, p, <usize>n);
    resultMode = RESULT_IN_BUFFER;
  } else {
    result_set(p, n);
    resultMode = RESULT_SET;
  }
  return Status.OK;
}

/** result of a byte array. */
export function result(v: Uint8Array): Status { return resultBytes(v.dataStart, v.byteLength); }

/** result of an ArrayBuffer. */
export function resultBuffer(v: ArrayBuffer): Status { return resultBytes(changetype<usize>(v), v.byteLength); }

/** result of a string, sent as UTF-8. */
export function resultString(s: string): Status {
  const n = String.UTF8.byteLength(s);
  if (n <= BUFFER_SIZE - 4) {
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, exchange + 4);
    store<u32>(exchange, <u32>n);
    resultMode = RESULT_IN_BUFFER;
    return Status.OK;
  }
  return resultBuffer(String.UTF8.encode(s));
}

/**
 * Sets the failure message and returns status: `return error("vault: sealed", Status.UNAVAILABLE)`.
 * The host logs it (1 KiB kept): never put a secret, a token or a URL in it.
 */
export function error(msg: string, status: Status = Status.INTERNAL): Status {
  const b = String.UTF8.encode(msg);
  error_set(changetype<usize>(b), b.byteLength);
  return status;
}

// ---- Logging ----------------------------------------------------------------

/** Logs msg (a no-op unless the tenant is granted "log"). */
export function log(level: Level, msg: string): void {
  const b = String.UTF8.encode(msg);
  host_log(level, changetype<usize>(b), b.byteLength);
}

/** Whether a message at level would be logged: test it before formatting. */
export function logEnabled(level: Level): bool { return log_enabled(level) != 0; }

// ---- Capabilities -------------------------------------------------------------

/** env: an allow-listed environment variable, or null. */
export function getenv(name: string): string | null {
  const nb = String.UTF8.encode(name);
  const n = env_get(changetype<usize>(nb), nb.byteLength, 0, 0);
  if (n < 0) return null;
  const buf = new ArrayBuffer(n);
  env_get(changetype<usize>(nb), nb.byteLength, changetype<usize>(buf), n);
  return String.UTF8.decode(buf);
}

/** clock: monotonic nanoseconds. */
export function now(): i64 { return clock_now(); }

export const HTTP_BAD_REQUEST: i32 = -2, HTTP_NETWORK: i32 = -3, HTTP_NOT_ALLOWED: i32 = -4;

/**
 * http: one request. headers are "Name: value" lines separated by "\n".
 * Returns the HTTP status or HTTP_BAD_REQUEST, HTTP_NETWORK, HTTP_NOT_ALLOWED.
 */
export function httpRequest(method: string, url: string, headers: string = "", body: Uint8Array | null = null): i32 {
  const m = String.UTF8.encode(method), u = String.UTF8.encode(url), h = String.UTF8.encode(headers);
  return httpRequestBytes(changetype<usize>(m), m.byteLength, changetype<usize>(u), u.byteLength,
    changetype<usize>(h), h.byteLength, body ? body.dataStart : 0, body ? body.byteLength : 0);
}

/** httpRequest with raw pointers (no conversion). */
export function httpRequestBytes(m: usize, ml: i32, u: usize, ul: i32, h: usize, hl: i32, b: usize, bl: i32): i32 {
  return http_request(m, ml, u, ul, h, hl, b, bl);
}

/** The last response's body (of this call). */
export function httpBody(): Uint8Array {
  const n = http_response_body(0, 0);
  const out = new Uint8Array(max(n, 0));
  if (n > 0) http_response_body(out.dataStart, n);
  return out;
}

/** A header of the last response, or null. */
export function httpHeader(name: string): string | null {
  const nb = String.UTF8.encode(name);
  const n = http_response_header(changetype<usize>(nb), nb.byteLength, 0, 0);
  if (n < 0) return null;
  const buf = new ArrayBuffer(n);
  http_response_header(changetype<usize>(nb), nb.byteLength, changetype<usize>(buf), n);
  return String.UTF8.decode(buf);
}

/** Makes the last response's body the result, with no copy when it fits the buffer; returns Status.OK. */
export function httpResult(): Status {
  const n = http_response_body(exchange + 4, BUFFER_SIZE - 4);
  if (n <= BUFFER_SIZE - 4) {
    store<u32>(exchange, <u32>max(n, 0));
    resultMode = RESULT_IN_BUFFER;
    return Status.OK;
  }
  return result(httpBody());
}

// ---- The ABI exports' implementation (re-exported by ./abi) -----------------

export function _init(): i32 {
  const n = kwargs_read(0, 0);
  const kw = new Uint8Array(n);
  kwargs_read(kw.dataStart, n);
  return backend().init(kw);
}

export function _lookup(kind: i32, n: i32): i32 {
  if (n < 0 || n > BUFFER_SIZE) return error("id longer than the exchange buffer", Status.INVALID_ARGUMENT);
  const idb = new Uint8Array(n);
  memory.copy(idb.dataStart, exchange, <usize>n);
  currentId = idb;
  const id = String.UTF8.decodeUnsafe(exchange, <usize>n);
  resultMode = RESULT_NONE;
  const b = backend();
  let s: Status;
  if (kind == 0) s = b.getConnection(id);
  else if (kind == 1) s = b.getVariable(id);
  else s = b.getConfig(id);
  if (s != Status.OK) return s;
  if (resultMode == RESULT_IN_BUFFER) return OK_IN_BUFFER;
  if (resultMode == RESULT_SET) return Status.OK;
  return error("the backend returned Status.OK without setting a result", Status.INTERNAL);
}

/** abort handler (asc --use abort=...): traps; the message goes nowhere. */
export function spAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  unreachable();
}

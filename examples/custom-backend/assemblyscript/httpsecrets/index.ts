// httpsecrets: the example secretpath backend "httpsecrets" in
// AssemblyScript: connections, variables and configs fetched with the http
// capability from a tiny service, GET {url}/v1/{kind}/{id} with a bearer
// token. Its behaviour and protocol are specified in
// examples/custom-backend/README.md; build it with ./build.sh.
export * from "@secretpath/guest-sdk/assembly/abi";
import {
  Backend, HTTP_BAD_REQUEST, HTTP_NETWORK, HTTP_NOT_ALLOWED, JSONReader, Kind, Level, Span, Status,
  error, httpRequestBytes, httpResult, idBytes, log, logEnabled, register,
} from "@secretpath/guest-sdk/assembly";

const HEX = "0123456789ABCDEF";
const GET = String.UTF8.encode("GET");

class HTTPSecrets extends Backend {
  base: Uint8Array = new Uint8Array(0); // the url kwarg without its trailing slashes
  headers: ArrayBuffer = new ArrayBuffer(0); // "Authorization: Bearer {token}" or empty
  url: Uint8Array = new Uint8Array(0); // base + path, rebuilt per lookup

  getConnection(id: string): Status { return this.get("connections"); }
  getVariable(id: string): Status { return this.get("variables"); }
  getConfig(id: string): Status { return this.get("configs"); }

  get(kind: string): Status {
    const id = idBytes(); // escape the id's bytes, not its UTF-16 code units
    const u = this.url;
    let p = this.base.length;
    p = put(u, p, "/v1/" + kind + "/");
    const pathStart = this.base.length;
    for (let i = 0; i < id.length; i++) {
      const c = unchecked(id[i]);
      if ((c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2E || c == 0x5F || c == 0x7E) {
        unchecked(u[p++] = c);
      } else {
        unchecked(u[p++] = 0x25);
        unchecked(u[p++] = <u8>HEX.charCodeAt(c >> 4));
        unchecked(u[p++] = <u8>HEX.charCodeAt(c & 15));
      }
    }
    const st = httpRequestBytes(changetype<usize>(GET), GET.byteLength, u.dataStart, p,
      changetype<usize>(this.headers), this.headers.byteLength, 0, 0);
    if (logEnabled(Level.DEBUG)) { // the path, never the base URL
      log(Level.DEBUG, "GET " + String.UTF8.decodeUnsafe(u.dataStart + pathStart, p - pathStart) + ": " + st.toString());
    }
    // Messages name the kind, never the base URL (it may hold credentials), the token or a body.
    if (st == 200) return httpResult();
    if (st == 404) return Status.NOT_FOUND;
    if (st == 401 || st == 403) return error("httpsecrets: " + kind + ": the service answered " + st.toString(), Status.PERMISSION_DENIED);
    if (st == HTTP_NETWORK) return error("httpsecrets: " + kind + ": network failure", Status.UNAVAILABLE);
    if (st == HTTP_NOT_ALLOWED) return error("httpsecrets: " + kind + ": host not allowed", Status.PERMISSION_DENIED);
    if (st == HTTP_BAD_REQUEST) return error("httpsecrets: " + kind + ": bad request", Status.INVALID_ARGUMENT);
    return error("httpsecrets: " + kind + ": the service answered " + st.toString(), Status.UNAVAILABLE);
  }

  init(kw: Uint8Array): Status {
    const j = new JSONReader(kw);
    if (!j.enter()) return invalid("the kwargs must be a JSON object");
    let url: Span | null = null, token: Span | null = null;
    const key = new Span();
    let r: i32, i = 0;
    while ((r = j.member(i++, key)) > 0) {
      const v = new Span();
      const name = j.string(key);
      if (name == "url") url = v;
      else if (name == "token") token = v;
      else return invalid('unknown key "' + name + '"');
      if (j.value(v) == Kind.ERROR) { r = -1; break; }
    }
    if (r != 0 || !j.atEnd()) return invalid("the kwargs must be a JSON object");
    if (url == null || url.kind != Kind.STRING) return invalid('"url" is required and must be a string');
    const b = j.bytes(url);
    let n = b.length;
    while (n > 0 && b[n - 1] == 0x2F) n--;
    const base = b.subarray(0, n);
    const s = String.UTF8.decodeUnsafe(base.dataStart, n);
    let scheme = 0;
    if (s.startsWith("http://")) scheme = 7;
    else if (s.startsWith("https://")) scheme = 8;
    if (scheme == 0 || n == scheme || s.includes("?") || s.includes("#")) {
      return invalid('"url" must be an http:// or https:// URL with a host and no query or fragment');
    }
    let tok = new Uint8Array(0);
    if (token != null && token.kind != Kind.NULL) {
      if (token.kind != Kind.STRING) return invalid('"token" must be a string or null');
      tok = j.bytes(token);
      for (let k = 0; k < tok.length; k++) {
        const c = tok[k];
        if (c == 0x0D || c == 0x0A || c == 0) return invalid('"token" contains a line break or NUL');
      }
    }
    this.base = base;
    this.url = new Uint8Array(n + 16 + 3 * 4096); // base, "/v1/connections/", an escaped id
    memory.copy(this.url.dataStart, base.dataStart, n);
    if (tok.length > 0) {
      const h = new Uint8Array(22 + tok.length);
      put(h, 0, "Authorization: Bearer ");
      memory.copy(h.dataStart + 22, tok.dataStart, tok.length);
      this.headers = h.buffer;
    }
    return Status.OK;
  }
}

// put writes ASCII s at u[p:] and returns the end.
function put(u: Uint8Array, p: i32, s: string): i32 {
  for (let i = 0; i < s.length; i++) unchecked(u[p++] = <u8>s.charCodeAt(i));
  return p;
}

function invalid(msg: string): Status { return error("httpsecrets: " + msg, Status.INVALID_ARGUMENT); }

register(new HTTPSecrets());

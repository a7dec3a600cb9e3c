//! httpsecrets: the example secretpath backend "httpsecrets" in Rust:
//! connections, variables and configs fetched with the http capability from
//! a tiny service, GET {url}/v1/{kind}/{id} with a bearer token. Its
//! behaviour and protocol are specified in examples/custom-backend/README.md.

use secretpath::json::{self, Kind};
use secretpath::{http, log, log_enabled, Backend, Error, Level, Value};

struct HttpSecrets {
    /// The url kwarg without its trailing slashes, then "/v1/{kind}/{escaped
    /// id}" per lookup (truncated back to base_len first).
    url: Vec<u8>,
    base_len: usize,
    /// "Authorization: Bearer {token}" or empty.
    headers: Vec<u8>,
}

fn invalid(msg: &'static str) -> Error {
    Error::invalid_argument(msg)
}

impl HttpSecrets {
    fn get(&mut self, kind: &'static str, id: &[u8]) -> Result<Value<'static>, Error> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.url.truncate(self.base_len);
        self.url.extend_from_slice(b"/v1/");
        self.url.extend_from_slice(kind.as_bytes());
        self.url.push(b'/');
        for &c in id {
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                self.url.push(c);
            } else {
                self.url.extend_from_slice(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
            }
        }
        let st = http::request("GET", &self.url, &self.headers, &[]);
        if log_enabled(Level::Debug) {
            log(Level::Debug, &self.url[self.base_len..]); // the path, never the base URL
        }
        // Messages name the kind, never the base URL (it may hold
        // credentials), the token or a body.
        let msg = |what: &str| format!("httpsecrets: {} {}", what, kind);
        match st {
            200 => Ok(http::body()),
            404 => Err(Error::not_found()),
            401 | 403 => Err(Error::permission_denied(msg("the service refused access to"))),
            http::NETWORK => Err(Error::unavailable(msg("network failure fetching"))),
            http::NOT_ALLOWED => Err(Error::permission_denied(msg("host not allowed fetching"))),
            http::BAD_REQUEST => Err(Error::invalid_argument(msg("bad request fetching"))),
            s => Err(Error::unavailable(format!("httpsecrets: unexpected HTTP status {} fetching {}", s, kind))),
        }
    }
}

impl Backend for HttpSecrets {
    fn init(kwargs: Vec<u8>) -> Result<Self, Error> {
        let members = json::object(&kwargs).map_err(|_| invalid("httpsecrets: the kwargs must be a JSON object"))?;
        let (mut url, mut token) = (None, None);
        for (key, v) in members {
            match &key[..] {
                b"url" => url = Some(v),
                b"token" => token = Some(v),
                _ => {
                    return Err(Error::invalid_argument(format!(
                        "httpsecrets: unknown key: {}",
                        String::from_utf8_lossy(&key)
                    )))
                }
            }
        }
        let mut base = url
            .and_then(|u| u.string())
            .ok_or_else(|| invalid("httpsecrets: \"url\" is required and must be a string"))?;
        while base.last() == Some(&b'/') {
            base.pop();
        }
        let scheme = if base.starts_with(b"http://") {
            7
        } else if base.starts_with(b"https://") {
            8
        } else {
            0
        };
        if scheme == 0 || base.len() == scheme || base.iter().any(|c| *c == b'?' || *c == b'#') {
            return Err(invalid(
                "httpsecrets: \"url\" must be an http:// or https:// URL with a host and no query or fragment",
            ));
        }
        let token = match token {
            None => Vec::new(),
            Some(t) if t.kind == Kind::Null => Vec::new(),
            Some(t) => t.string().ok_or_else(|| invalid("httpsecrets: \"token\" must be a string or null"))?,
        };
        if token.iter().any(|c| matches!(c, b'\r' | b'\n' | 0)) {
            return Err(invalid("httpsecrets: \"token\" contains a line break or NUL"));
        }
        let mut headers = Vec::new();
        if !token.is_empty() {
            headers.extend_from_slice(b"Authorization: Bearer ");
            headers.extend_from_slice(&token);
        }
        let base_len = base.len();
        // Room for "/v1/configs/" (the longest kind) and an escaped id.
        base.reserve(16 + 3 * secretpath::BUFFER_SIZE);
        Ok(HttpSecrets { url: base, base_len, headers })
    }

    fn get_connection<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        self.get("connections", id)
    }
    fn get_variable<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        self.get("variables", id)
    }
    fn get_config<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        self.get("configs", id)
    }
}

secretpath::export_backend!(HttpSecrets);

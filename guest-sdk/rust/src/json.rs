//! A small, strict JSON reader (RFC 8259) for the kwargs: no serde offline.
//!
//! It walks the text, validates it and hands back spans of it; strings are
//! decoded only when asked ([`unescape`], [`Span::string`]). The usual way to
//! read kwargs is [`object`]: the members of a top-level object, keys
//! decoded, values validated.
//!
//! ```ignore
//! for (key, value) in json::object(&kwargs).map_err(|_| Error::invalid_argument("kwargs: not a JSON object"))? {
//!     match &key[..] {
//!         b"url" => url = value.string(),           // None unless a string
//!         _ => return Err(Error::invalid_argument("unknown key")),
//!     }
//! }
//! ```

use alloc::vec::Vec;

/// The deepest nesting [`Reader::value`] accepts.
pub const MAX_DEPTH: usize = 256;

/// A value's type, judged by its first character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    False,
    True,
    Number,
    String,
    Array,
    Object,
}

/// The text is not valid JSON (or not what was asked for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError;

/// A validated value: its kind and its text. For a string, the literal's
/// content without its quotes (still escaped); otherwise the value's text as
/// written, from its first to its last character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span<'a> {
    pub kind: Kind,
    pub raw: &'a [u8],
}

impl<'a> Span<'a> {
    /// The decoded string, or None when the value is not a string.
    pub fn string(&self) -> Option<Vec<u8>> {
        if self.kind == Kind::String {
            Some(unescape(self.raw))
        } else {
            None
        }
    }
}

/// A cursor over JSON text.
pub struct Reader<'a> {
    s: &'a [u8],
    p: usize,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a [u8]) -> Reader<'a> {
        Reader { s: text, p: 0 }
    }

    fn ws(&mut self) {
        while self.p < self.s.len() && matches!(self.s[self.p], b' ' | b'\t' | b'\n' | b'\r') {
            self.p += 1;
        }
    }

    fn at(&self) -> Option<u8> {
        self.s.get(self.p).copied()
    }

    /// The kind of the next value (after whitespace), or None. Consumes only
    /// whitespace.
    pub fn peek(&mut self) -> Option<Kind> {
        self.ws();
        Some(match self.at()? {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b't' => Kind::True,
            b'f' => Kind::False,
            b'n' => Kind::Null,
            b'-' | b'0'..=b'9' => Kind::Number,
            _ => return None,
        })
    }

    /// Validates and skips the next value.
    pub fn value(&mut self) -> Result<Span<'a>, SyntaxError> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: usize) -> Result<Span<'a>, SyntaxError> {
        let kind = self.peek().ok_or(SyntaxError)?;
        let start = self.p;
        match kind {
            Kind::Null => self.lit(b"null")?,
            Kind::True => self.lit(b"true")?,
            Kind::False => self.lit(b"false")?,
            Kind::Number => self.number()?,
            Kind::String => {
                let raw = self.string()?;
                return Ok(Span { kind, raw });
            }
            Kind::Array => {
                if depth >= MAX_DEPTH {
                    return Err(SyntaxError);
                }
                self.p += 1;
                self.ws();
                if self.at() == Some(b']') {
                    self.p += 1;
                } else {
                    loop {
                        self.value_at(depth + 1)?;
                        self.ws();
                        match self.at() {
                            Some(b',') => self.p += 1,
                            Some(b']') => {
                                self.p += 1;
                                break;
                            }
                            _ => return Err(SyntaxError),
                        }
                    }
                }
            }
            Kind::Object => {
                if depth >= MAX_DEPTH {
                    return Err(SyntaxError);
                }
                self.enter()?;
                let mut n = 0;
                while self.member(n)?.is_some() {
                    self.value_at(depth + 1)?;
                    n += 1;
                }
            }
        }
        Ok(Span { kind, raw: &self.s[start..self.p] })
    }

    fn lit(&mut self, w: &[u8]) -> Result<(), SyntaxError> {
        if self.s[self.p..].starts_with(w) {
            self.p += w.len();
            Ok(())
        } else {
            Err(SyntaxError)
        }
    }

    fn digits(&mut self) -> bool {
        let s = self.p;
        while matches!(self.at(), Some(b'0'..=b'9')) {
            self.p += 1;
        }
        self.p > s
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.at() == Some(b'-') {
            self.p += 1;
        }
        match self.at() {
            Some(b'0') => self.p += 1,
            _ => {
                if !self.digits() {
                    return Err(SyntaxError);
                }
            }
        }
        if self.at() == Some(b'.') {
            self.p += 1;
            if !self.digits() {
                return Err(SyntaxError);
            }
        }
        if matches!(self.at(), Some(b'e' | b'E')) {
            self.p += 1;
            if matches!(self.at(), Some(b'+' | b'-')) {
                self.p += 1;
            }
            if !self.digits() {
                return Err(SyntaxError);
            }
        }
        Ok(())
    }

    /// At the opening quote; returns the content, past the closing quote.
    fn string(&mut self) -> Result<&'a [u8], SyntaxError> {
        let s = self.s;
        let start = self.p + 1;
        let mut p = start;
        while p < s.len() {
            match s[p] {
                b'"' => {
                    self.p = p + 1;
                    return Ok(&s[start..p]);
                }
                c if c < 0x20 => return Err(SyntaxError),
                b'\\' => {
                    p += 1;
                    match s.get(p) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => p += 1,
                        Some(b'u') => {
                            if s.len() - p < 5 || !s[p + 1..p + 5].iter().all(|c| hex(*c).is_some()) {
                                return Err(SyntaxError);
                            }
                            p += 5;
                        }
                        _ => return Err(SyntaxError),
                    }
                }
                _ => p += 1,
            }
        }
        Err(SyntaxError)
    }

    /// Consumes the `{` of an object; an error if the next value is not one.
    pub fn enter(&mut self) -> Result<(), SyntaxError> {
        if self.peek() != Some(Kind::Object) {
            return Err(SyntaxError);
        }
        self.p += 1;
        Ok(())
    }

    /// Reads member `n` (0 for the first) of the entered object up to its
    /// `:`: the key literal's content (still escaped), or None when the
    /// object ends (its `}` consumed). Read the value ([`Reader::value`], or
    /// [`Reader::enter`] for a nested walk) before the next member.
    pub fn member(&mut self, n: usize) -> Result<Option<&'a [u8]>, SyntaxError> {
        self.ws();
        match self.at() {
            None => return Err(SyntaxError),
            Some(b'}') => {
                self.p += 1;
                return Ok(None);
            }
            _ => {}
        }
        if n > 0 {
            if self.at() != Some(b',') {
                return Err(SyntaxError);
            }
            self.p += 1;
            self.ws();
        }
        if self.at() != Some(b'"') {
            return Err(SyntaxError);
        }
        let key = self.string()?;
        self.ws();
        if self.at() != Some(b':') {
            return Err(SyntaxError);
        }
        self.p += 1;
        Ok(Some(key))
    }

    /// True when only whitespace is left.
    pub fn end(&mut self) -> bool {
        self.ws();
        self.p == self.s.len()
    }
}

/// The members of the JSON object `text` (nothing but whitespace around it),
/// in order, with decoded keys and validated values. A repeated key appears
/// twice: the last one wins if the caller assigns in order.
pub fn object(text: &[u8]) -> Result<Vec<(Vec<u8>, Span<'_>)>, SyntaxError> {
    let mut r = Reader::new(text);
    r.enter()?;
    let mut out = Vec::new();
    let mut n = 0;
    while let Some(k) = r.member(n)? {
        let v = r.value_at(1)?;
        out.push((unescape(k), v));
        n += 1;
    }
    if !r.end() {
        return Err(SyntaxError);
    }
    Ok(out)
}

/// Calls `f` for each member of a validated object's text (a [`Span`] of
/// kind Object) with the key literal (still escaped) and the value.
pub fn members<'a>(
    obj: &'a [u8],
    mut f: impl FnMut(&'a [u8], Span<'a>) -> Result<(), SyntaxError>,
) -> Result<(), SyntaxError> {
    let mut r = Reader::new(obj);
    r.enter()?;
    let mut n = 0;
    while let Some(k) = r.member(n)? {
        let v = r.value_at(1)?;
        f(k, v)?;
        n += 1;
    }
    Ok(())
}

fn hex(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some((c - b'0') as u32),
        b'a'..=b'f' => Some((c - b'a' + 10) as u32),
        b'A'..=b'F' => Some((c - b'A' + 10) as u32),
        _ => None,
    }
}

fn u4(p: &[u8]) -> u32 {
    p[..4].iter().fold(0, |a, c| a << 4 | hex(*c).unwrap_or(0))
}

fn utf8(o: &mut Vec<u8>, c: u32) {
    if c < 0x80 {
        o.push(c as u8);
    } else if c < 0x800 {
        o.extend_from_slice(&[0xC0 | (c >> 6) as u8, 0x80 | (c & 0x3F) as u8]);
    } else if c < 0x10000 {
        o.extend_from_slice(&[0xE0 | (c >> 12) as u8, 0x80 | ((c >> 6) & 0x3F) as u8, 0x80 | (c & 0x3F) as u8]);
    } else {
        o.extend_from_slice(&[
            0xF0 | (c >> 18) as u8,
            0x80 | ((c >> 12) & 0x3F) as u8,
            0x80 | ((c >> 6) & 0x3F) as u8,
            0x80 | (c & 0x3F) as u8,
        ]);
    }
}

/// Decodes a validated string literal's content (a [`Span`]'s raw text of
/// kind String, or a key from [`Reader::member`]). Lone surrogates become
/// U+FFFD.
pub fn unescape(lit: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(lit.len());
    unescape_into(lit, &mut o);
    o
}

/// [`unescape`] appending to `o`.
pub fn unescape_into(lit: &[u8], o: &mut Vec<u8>) {
    let mut p = 0;
    while p < lit.len() {
        // Copy the run up to the next backslash at once.
        let run = lit[p..].iter().position(|c| *c == b'\\').unwrap_or(lit.len() - p);
        o.extend_from_slice(&lit[p..p + run]);
        p += run;
        if p + 1 >= lit.len() {
            break;
        }
        let c = lit[p + 1];
        p += 2;
        match c {
            b'b' => o.push(8),
            b'f' => o.push(12),
            b'n' => o.push(b'\n'),
            b'r' => o.push(b'\r'),
            b't' => o.push(b'\t'),
            b'u' if lit.len() - p >= 4 => {
                let mut u = u4(&lit[p..]);
                p += 4;
                if (0xD800..0xDC00).contains(&u)
                    && lit.len() - p >= 6
                    && lit[p] == b'\\'
                    && lit[p + 1] == b'u'
                {
                    let lo = u4(&lit[p + 2..]);
                    if (0xDC00..0xE000).contains(&lo) {
                        p += 6;
                        utf8(o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                        continue;
                    }
                }
                if (0xD800..0xE000).contains(&u) {
                    u = 0xFFFD;
                }
                utf8(o, u);
            }
            c => o.push(c), // " \ /
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects() {
        let m = object(br#" {"a": "x\u00e9\ud83d\udd11\n", "b": {"c": [1, -2.5e3, true, null]}, "a": null} "#).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].0, b"a");
        assert_eq!(m[0].1.string().unwrap(), "xé🔑\n".as_bytes());
        assert_eq!(m[1].1.kind, Kind::Object);
        assert_eq!(m[1].1.raw, br#"{"c": [1, -2.5e3, true, null]}"#);
        assert_eq!(m[2].1.kind, Kind::Null);
        for bad in [&b""[..], b"[]", b"{", b"{\"a\"}", b"{\"a\":1,}", b"{\"a\":01}", b"{\"a\":\"\x01\"}", b"{} x", b"{\"a\":\"\\x\"}", b"{\"a\":-}", b"{\"a\":1.}", b"{\"a\":tru}"] {
            assert!(object(bad).is_err(), "{:?}", bad);
        }
    }
}

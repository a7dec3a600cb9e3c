//! secretpath Rust guest SDK: write a secretpath secrets backend in Rust and
//! build it as a WebAssembly module speaking ABI v1 (`wasmhost/ABI.md`,
//! including v1.1's `OK_IN_BUFFER` fast path).
//!
//! The backend implements [`Backend`]; [`export_backend!`] emits the ABI's
//! exports (the marker, the exchange buffer, init and the lookups) for it.
//! The SDK itself is `#![no_std]` and needs only `alloc`: the final
//! `cdylib` (a `wasm32-unknown-unknown` std crate, usually) provides the
//! allocator and the panic handler. No crates.io dependency.
//!
//! ```ignore
//! use secretpath::{Backend, Error, Value};
//!
//! struct Hello;
//!
//! impl Backend for Hello {
//!     fn init(_kwargs: Vec<u8>) -> Result<Self, Error> { Ok(Hello) }
//!     fn get_variable<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
//!         if id == b"greeting" { Ok("hello".into()) } else { Err(Error::not_found()) }
//!     }
//! }
//!
//! secretpath::export_backend!(Hello);
//! ```
#![no_std]

extern crate alloc;

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

pub mod json;

/// The exchange buffer's size: the longest id the module accepts (the host
/// answers `INVALID_ARGUMENT` for longer ids without calling the guest) and,
/// minus 4, the longest result returned without a host call.
pub const BUFFER_SIZE: usize = 4096;

/// ABI v1 status codes (ABI.md §4). `OK` and `OK_IN_BUFFER` are the SDK's
/// business: a backend returns `Ok(value)` or an [`Error`].
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    NotFound = 1,
    InvalidArgument = 2,
    Unavailable = 3,
    PermissionDenied = 4,
    Internal = 5,
    Unimplemented = 6,
    ResourceExhausted = 7,
}

const OK_IN_BUFFER: i32 = 8;

/// A failed init or lookup: a status and an optional message. The host logs
/// the message (the first 1 KiB of it): never put a secret value, a token or
/// a URL that may carry credentials in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: Option<Cow<'static, str>>,
}

impl Error {
    /// An error with a message: `Error::new(Status::InvalidArgument, "bad key")`.
    pub fn new(status: Status, message: impl Into<Cow<'static, str>>) -> Error {
        Error { status, message: Some(message.into()) }
    }
    /// `NOT_FOUND` without a message: the resolver asks the next tier.
    pub fn not_found() -> Error {
        Error { status: Status::NotFound, message: None }
    }
    pub fn invalid_argument(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }
    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(Status::Unavailable, message)
    }
    pub fn permission_denied(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(Status::PermissionDenied, message)
    }
    pub fn internal(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(Status::Internal, message)
    }
    pub fn resource_exhausted(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(Status::ResourceExhausted, message)
    }
}

impl From<Status> for Error {
    fn from(status: Status) -> Error {
        Error { status, message: None }
    }
}

/// A lookup's result. Anything that fits the exchange buffer (up to
/// `BUFFER_SIZE - 4` bytes) goes back there, with no host call; a longer one
/// through the host's `result_set` (the host's output limit, 64 KiB by
/// default, applies: over it the lookup is `RESOURCE_EXHAUSTED`).
pub enum Value<'a> {
    /// Bytes the backend holds (no copy until the buffer).
    Borrowed(&'a [u8]),
    /// Bytes the backend made for this lookup.
    Owned(Vec<u8>),
    /// The body of this call's last HTTP response, read straight into the
    /// exchange buffer when it fits: return `Ok(http::body())`.
    HttpBody(http::Body),
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(b: &'a [u8]) -> Value<'a> {
        Value::Borrowed(b)
    }
}
impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Value<'a> {
        Value::Borrowed(s.as_bytes())
    }
}
impl<'a> From<&'a Vec<u8>> for Value<'a> {
    fn from(b: &'a Vec<u8>) -> Value<'a> {
        Value::Borrowed(b)
    }
}
impl<'a> From<&'a String> for Value<'a> {
    fn from(s: &'a String) -> Value<'a> {
        Value::Borrowed(s.as_bytes())
    }
}
impl From<Vec<u8>> for Value<'static> {
    fn from(b: Vec<u8>) -> Value<'static> {
        Value::Owned(b)
    }
}
impl From<String> for Value<'static> {
    fn from(s: String) -> Value<'static> {
        Value::Owned(s.into_bytes())
    }
}

/// What a backend implements. `init` runs once per instance, before any
/// lookup, with the tenant's `backend_kwargs` (a JSON object as text, `{}`
/// when the tenant has none). A lookup gets the id's bytes (any bytes, up to
/// [`BUFFER_SIZE`]; usually UTF-8). A lookup the backend does not implement
/// returns `UNIMPLEMENTED`, which the resolver treats as not found.
pub trait Backend: Sized + 'static {
    fn init(kwargs: Vec<u8>) -> Result<Self, Error>;

    fn get_connection<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        let _ = id;
        Err(Status::Unimplemented.into())
    }
    fn get_variable<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        let _ = id;
        Err(Status::Unimplemented.into())
    }
    fn get_config<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        let _ = id;
        Err(Status::Unimplemented.into())
    }
}

/// Emits the ABI v1 exports for a [`Backend`] type: `secretpath_abi_v1`,
/// `secretpath_buffer`, `secretpath_buffer_size`, `secretpath_init` and
/// `secretpath_get_connection/variable/config`. Use it once, in the
/// `cdylib` crate.
#[macro_export]
macro_rules! export_backend {
    ($backend:ty) => {
        const _: () = {
            static mut SECRETPATH_STATE: ::core::option::Option<$backend> = ::core::option::Option::None;

            #[no_mangle]
            pub extern "C" fn secretpath_abi_v1() {}

            #[no_mangle]
            pub extern "C" fn secretpath_buffer() -> i32 {
                $crate::__private::buffer_addr()
            }

            #[no_mangle]
            pub extern "C" fn secretpath_buffer_size() -> i32 {
                $crate::BUFFER_SIZE as i32
            }

            #[no_mangle]
            pub extern "C" fn secretpath_init() -> i32 {
                // SAFETY: an instance runs one call at a time (ABI.md §1).
                unsafe { $crate::__private::init::<$backend>(&mut SECRETPATH_STATE) }
            }

            #[no_mangle]
            pub extern "C" fn secretpath_get_connection(n: i32) -> i32 {
                unsafe {
                    $crate::__private::lookup(&mut SECRETPATH_STATE, n, <$backend as $crate::Backend>::get_connection)
                }
            }

            #[no_mangle]
            pub extern "C" fn secretpath_get_variable(n: i32) -> i32 {
                unsafe {
                    $crate::__private::lookup(&mut SECRETPATH_STATE, n, <$backend as $crate::Backend>::get_variable)
                }
            }

            #[no_mangle]
            pub extern "C" fn secretpath_get_config(n: i32) -> i32 {
                unsafe { $crate::__private::lookup(&mut SECRETPATH_STATE, n, <$backend as $crate::Backend>::get_config) }
            }
        };
    };
}

/// The host's functions (module `secretpath_v1`, ABI.md §5). A module
/// imports only those its code calls, so a backend that never calls a
/// capability needs no grant for it.
mod sys {
    #[cfg(target_arch = "wasm32")]
    #[link(wasm_import_module = "secretpath_v1")]
    extern "C" {
        #[link_name = "kwargs_read"]
        pub fn kwargs_read(buf: *mut u8, limit: i32) -> i32;
        #[link_name = "result_set"]
        pub fn result_set(p: *const u8, n: i32);
        #[link_name = "error_set"]
        pub fn error_set(p: *const u8, n: i32);
        #[link_name = "log"]
        pub fn log(level: i32, p: *const u8, n: i32);
        #[link_name = "log_enabled"]
        pub fn log_enabled(level: i32) -> i32;
        #[link_name = "env_get"]
        pub fn env_get(name: *const u8, nlen: i32, buf: *mut u8, limit: i32) -> i32;
        #[link_name = "clock_now"]
        pub fn clock_now() -> i64;
        #[link_name = "http_request"]
        pub fn http_request(
            m: *const u8,
            ml: i32,
            u: *const u8,
            ul: i32,
            h: *const u8,
            hl: i32,
            b: *const u8,
            bl: i32,
        ) -> i32;
        #[link_name = "http_response_body"]
        pub fn http_response_body(buf: *mut u8, limit: i32) -> i32;
        #[link_name = "http_response_header"]
        pub fn http_response_header(name: *const u8, nlen: i32, buf: *mut u8, limit: i32) -> i32;
    }

    // Stand-ins off wasm32, so that a backend's logic can be unit-tested
    // natively (`cargo test`): no kwargs, no host, no capability.
    #[cfg(not(target_arch = "wasm32"))]
    mod native {
        pub unsafe fn kwargs_read(_: *mut u8, _: i32) -> i32 {
            0
        }
        pub unsafe fn result_set(_: *const u8, _: i32) {}
        pub unsafe fn error_set(_: *const u8, _: i32) {}
        pub unsafe fn log(_: i32, _: *const u8, _: i32) {}
        pub unsafe fn log_enabled(_: i32) -> i32 {
            0
        }
        pub unsafe fn env_get(_: *const u8, _: i32, _: *mut u8, _: i32) -> i32 {
            -1
        }
        pub unsafe fn clock_now() -> i64 {
            0
        }
        #[allow(clippy::too_many_arguments)]
        pub unsafe fn http_request(
            _: *const u8,
            _: i32,
            _: *const u8,
            _: i32,
            _: *const u8,
            _: i32,
            _: *const u8,
            _: i32,
        ) -> i32 {
            -3
        }
        pub unsafe fn http_response_body(_: *mut u8, _: i32) -> i32 {
            0
        }
        pub unsafe fn http_response_header(_: *const u8, _: i32, _: *mut u8, _: i32) -> i32 {
            -1
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub use native::*;
}

// ---- The exchange buffer ------------------------------------------------------

#[repr(C, align(8))]
struct Aligned([u8; BUFFER_SIZE]);

// The exchange buffer, and the id copied out of it (so that a backend's
// result may be written to the buffer while the id is still borrowed).
static mut BUFFER: Aligned = Aligned([0; BUFFER_SIZE]);
static mut ID: [u8; BUFFER_SIZE] = [0; BUFFER_SIZE];

unsafe fn buffer() -> &'static mut [u8; BUFFER_SIZE] {
    &mut *core::ptr::addr_of_mut!(BUFFER.0)
}

/// Sets the lookup's result; returns the ABI status (`OK_IN_BUFFER` or `OK`).
fn put_result(v: &[u8]) -> i32 {
    if v.len() <= BUFFER_SIZE - 4 {
        // SAFETY: one call at a time; v never points into BUFFER (the id is
        // a copy, and the SDK hands out no view of the buffer).
        let b = unsafe { buffer() };
        b[..4].copy_from_slice(&(v.len() as u32).to_le_bytes());
        b[4..4 + v.len()].copy_from_slice(v);
        OK_IN_BUFFER
    } else {
        unsafe { sys::result_set(v.as_ptr(), v.len() as i32) };
        Status::Ok as i32
    }
}

fn http_body_result() -> i32 {
    // Try the exchange buffer first: one host call when the body fits.
    let b = unsafe { buffer() };
    let n = unsafe { sys::http_response_body(b.as_mut_ptr().add(4), (BUFFER_SIZE - 4) as i32) };
    let n = if n < 0 { 0 } else { n as usize };
    if n <= BUFFER_SIZE - 4 {
        b[..4].copy_from_slice(&(n as u32).to_le_bytes());
        return OK_IN_BUFFER;
    }
    let mut body = Vec::new();
    if body.try_reserve_exact(n).is_err() {
        return fail(Error::resource_exhausted("no memory for the response body"));
    }
    unsafe {
        let m = sys::http_response_body(body.as_mut_ptr(), n as i32);
        body.set_len(if m >= 0 && m as usize <= n { m as usize } else { 0 });
        sys::result_set(body.as_ptr(), body.len() as i32);
    }
    Status::Ok as i32
}

fn fail(e: Error) -> i32 {
    if let Some(m) = &e.message {
        unsafe { sys::error_set(m.as_ptr(), m.len() as i32) };
    }
    match e.status {
        // An Error with status OK is a backend bug.
        Status::Ok => Status::Internal as i32,
        s => s as i32,
    }
}

/// The macro's plumbing; not part of the API.
#[doc(hidden)]
pub mod __private {
    use super::*;

    pub fn buffer_addr() -> i32 {
        unsafe { core::ptr::addr_of!(BUFFER) as usize as i32 }
    }

    /// # Safety
    /// One call at a time (the ABI guarantees it).
    pub unsafe fn init<B: Backend>(state: &mut Option<B>) -> i32 {
        let n = sys::kwargs_read(core::ptr::null_mut(), 0);
        if n < 0 {
            return fail(Error::internal("kwargs_read failed"));
        }
        let mut kw: Vec<u8> = Vec::new();
        if kw.try_reserve_exact(n as usize).is_err() {
            return fail(Error::resource_exhausted("no memory for the kwargs"));
        }
        let m = sys::kwargs_read(kw.as_mut_ptr(), n);
        if m != n {
            return fail(Error::internal("kwargs_read changed size"));
        }
        kw.set_len(n as usize);
        match B::init(kw) {
            Ok(b) => {
                *state = Some(b);
                Status::Ok as i32
            }
            Err(e) => fail(e),
        }
    }

    /// # Safety
    /// One call at a time (the ABI guarantees it).
    pub unsafe fn lookup<B: Backend>(
        state: &mut Option<B>,
        n: i32,
        f: for<'a> fn(&'a mut B, &'a [u8]) -> Result<Value<'a>, Error>,
    ) -> i32 {
        if n < 0 || n as usize > BUFFER_SIZE {
            return fail(Error::invalid_argument("id longer than the exchange buffer"));
        }
        let n = n as usize;
        let b = match state.as_mut() {
            Some(b) => b,
            None => return fail(Error::internal("lookup before a successful init")),
        };
        let id = &mut *core::ptr::addr_of_mut!(ID);
        id[..n].copy_from_slice(&buffer()[..n]);
        match f(b, &id[..n]) {
            Ok(Value::Borrowed(v)) => put_result(v),
            Ok(Value::Owned(v)) => put_result(&v),
            Ok(Value::HttpBody(b)) => (b.0)(),
            Err(e) => fail(e),
        }
    }
}

// ---- Logging (a no-op unless the tenant is granted "log") ------------------

/// Log levels (ABI.md §5).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

/// Logs through the host's logger, tagged with the tenant and the module.
/// The host keeps 4 KiB of log per call by default. Never log a secret.
pub fn log(level: Level, msg: impl AsRef<[u8]>) {
    let m = msg.as_ref();
    unsafe { sys::log(level as i32, m.as_ptr(), m.len() as i32) }
}

/// True when a message at `level` would be logged: skip formatting otherwise.
pub fn log_enabled(level: Level) -> bool {
    unsafe { sys::log_enabled(level as i32) != 0 }
}

// ---- Capabilities ---------------------------------------------------------------
//
// The module imports a capability's host function only when the backend calls
// it, and a tenant must be granted what the module imports.

/// Reads a size-then-read host value into a Vec: `f(buf, limit)` returns the
/// full length, writing only when it fits. None for a negative length.
fn read_sized(mut f: impl FnMut(*mut u8, i32) -> i32) -> Option<Vec<u8>> {
    let mut v: Vec<u8> = Vec::new();
    loop {
        let n = f(v.as_mut_ptr(), v.capacity().min(i32::MAX as usize) as i32);
        if n < 0 {
            return None;
        }
        let n = n as usize;
        if n <= v.capacity() {
            unsafe { v.set_len(n) };
            return Some(v);
        }
        v.try_reserve_exact(n).ok()?;
    }
}

/// The `env` capability: the value of an allow-listed host environment
/// variable, or None when it is unset or not on the tenant's list.
pub fn env_get(name: &str) -> Option<Vec<u8>> {
    read_sized(|buf, limit| unsafe { sys::env_get(name.as_ptr(), name.len() as i32, buf, limit) })
}

/// The `clock` capability: monotonic nanoseconds since an arbitrary origin.
pub fn clock_now() -> i64 {
    unsafe { sys::clock_now() }
}

/// The `http` capability.
pub mod http {
    use super::*;

    /// `http::request` failures (negated ABI status codes).
    pub const BAD_REQUEST: i32 = -2;
    pub const NETWORK: i32 = -3;
    pub const NOT_ALLOWED: i32 = -4;

    /// Makes one request from the host. `headers` is `Name: value` lines
    /// separated by `\n`. Returns the HTTP status (100-599) or
    /// [`BAD_REQUEST`], [`NETWORK`] or [`NOT_ALLOWED`].
    pub fn request(method: &str, url: &[u8], headers: &[u8], body: &[u8]) -> i32 {
        unsafe {
            sys::http_request(
                method.as_ptr(),
                method.len() as i32,
                url.as_ptr(),
                url.len() as i32,
                headers.as_ptr(),
                headers.len() as i32,
                body.as_ptr(),
                body.len() as i32,
            )
        }
    }

    /// The body of this call's last response as the lookup's result:
    /// `return Ok(http::body())`. No copy when it fits the exchange buffer.
    pub fn body() -> Value<'static> {
        Value::HttpBody(Body(http_body_result))
    }

    /// What [`body`] returns. (A function pointer, so that a module that
    /// never returns a body does not import `http_response_body`.)
    pub struct Body(pub(crate) fn() -> i32);

    /// The body of this call's last response, copied. To return it as the
    /// lookup's result, return `Ok(http::body())` instead.
    pub fn response_body() -> Vec<u8> {
        read_sized(|buf, limit| unsafe { sys::http_response_body(buf, limit) }).unwrap_or_default()
    }

    /// The first value of a header of this call's last response, or None.
    pub fn response_header(name: &str) -> Option<Vec<u8>> {
        read_sized(|buf, limit| unsafe { sys::http_response_header(name.as_ptr(), name.len() as i32, buf, limit) })
    }
}

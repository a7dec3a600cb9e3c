//! jsondoc: the example secretpath backend "jsondoc" in Rust: connections,
//! variables and configs served from a JSON document given in the
//! backend_kwargs, with Airflow-style prefixes. Its behaviour is specified in
//! examples/custom-backend/README.md; build it with ../build.sh.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use secretpath::json::{self, Kind, Span};
use secretpath::{Backend, Error, Value};

/// FNV-1a: ids are short and chosen by the operator, not an attacker.
#[derive(Default)]
struct Fnv(u32);

impl Hasher for Fnv {
    fn write(&mut self, b: &[u8]) {
        let mut h = if self.0 == 0 { 2166136261 } else { self.0 };
        for c in b {
            h = (h ^ *c as u32).wrapping_mul(16777619);
        }
        self.0 = h;
    }
    fn finish(&self) -> u64 {
        self.0 as u64
    }
}

/// A kind's values by id (the name with its prefix and sep removed); None is
/// a name set to null (absent). None for the table: the kind is switched off.
type Table = Option<HashMap<Vec<u8>, Option<Vec<u8>>, BuildHasherDefault<Fnv>>>;

struct JsonDoc {
    tables: [Table; 3],
}

const CONN: usize = 0;
const VALUES_KEY: [&str; 3] = ["connections", "variables", "configs"];
const PREFIX_KEY: [&str; 3] = ["connections_prefix", "variables_prefix", "config_prefix"];

impl JsonDoc {
    fn get<'a>(&'a self, k: usize, id: &[u8]) -> Result<Value<'a>, Error> {
        match self.tables[k].as_ref().and_then(|t| t.get(id)) {
            Some(Some(v)) => Ok(Value::Borrowed(v)),
            _ => Err(Error::not_found()),
        }
    }
}

fn invalid(msg: String) -> Error {
    Error::invalid_argument(msg)
}

const NOT_OBJECT: &str = "jsondoc: the kwargs must be a JSON object";

impl Backend for JsonDoc {
    fn init(kwargs: Vec<u8>) -> Result<Self, Error> {
        let members = json::object(&kwargs).map_err(|_| Error::invalid_argument(NOT_OBJECT))?;
        // The seven keys; the last occurrence wins.
        let mut values: [Option<Span>; 3] = [None; 3];
        let mut prefixes: [Option<Span>; 3] = [None; 3];
        let mut sep: Option<Span> = None;
        for (key, v) in members {
            if key == b"sep" {
                sep = Some(v);
                continue;
            }
            let k = VALUES_KEY.iter().position(|n| n.as_bytes() == key);
            let p = PREFIX_KEY.iter().position(|n| n.as_bytes() == key);
            match (k, p) {
                (Some(k), _) => values[k] = Some(v),
                (_, Some(p)) => prefixes[p] = Some(v),
                _ => {
                    return Err(invalid(format!("jsondoc: unknown key: {}", String::from_utf8_lossy(&key))));
                }
            }
        }
        let sep = match sep {
            None => b"/".to_vec(),
            Some(s) => s.string().ok_or_else(|| Error::invalid_argument("jsondoc: \"sep\" must be a string"))?,
        };
        let mut tables: [Table; 3] = [None, None, None];
        for k in 0..3 {
            // The lead each name starts with: prefix + sep, or nothing.
            let lead = match prefixes[k] {
                None => Some(Vec::new()),
                Some(Span { kind: Kind::Null, .. }) => None,
                Some(p @ Span { kind: Kind::String, .. }) => {
                    let mut l = p.string().unwrap_or_default();
                    if !l.is_empty() {
                        l.extend_from_slice(&sep);
                    }
                    Some(l)
                }
                Some(_) => {
                    return Err(invalid(format!("jsondoc: a prefix must be a string or null: {}", PREFIX_KEY[k])));
                }
            };
            let obj = match values[k] {
                None | Some(Span { kind: Kind::Null, .. }) => None,
                Some(o @ Span { kind: Kind::Object, .. }) => Some(o),
                Some(_) => return Err(invalid(format!("jsondoc: must be an object or null: {}", VALUES_KEY[k]))),
            };
            let mut table = HashMap::default();
            if let Some(obj) = obj {
                let mut bad = false;
                json::members(obj.raw, |name, v| {
                    let value = match v.kind {
                        Kind::Null => None,
                        Kind::String => Some(json::unescape(v.raw)),
                        // An object connection: its text as written.
                        Kind::Object if k == CONN => Some(v.raw.to_vec()),
                        _ => {
                            bad = true;
                            return Ok(());
                        }
                    };
                    if let Some(lead) = &lead {
                        let name = json::unescape(name);
                        if let Some(id) = name.strip_prefix(&lead[..]) {
                            table.insert(id.to_vec(), value);
                        }
                    }
                    Ok(())
                })
                .map_err(|_| Error::invalid_argument(NOT_OBJECT))?;
                if bad {
                    return Err(invalid(format!(
                        "jsondoc: a value must be a string{} or null in: {}",
                        if k == CONN { ", an object" } else { "" },
                        VALUES_KEY[k]
                    )));
                }
            }
            if lead.is_some() {
                tables[k] = Some(table);
            }
        }
        Ok(JsonDoc { tables })
    }

    fn get_connection<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        self.get(0, id)
    }
    fn get_variable<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        self.get(1, id)
    }
    fn get_config<'a>(&'a mut self, id: &'a [u8]) -> Result<Value<'a>, Error> {
        self.get(2, id)
    }
}

secretpath::export_backend!(JsonDoc);

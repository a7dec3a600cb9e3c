// jsondoc: the example secretpath backend "jsondoc" in AssemblyScript:
// connections, variables and configs served from a JSON document given in
// the backend_kwargs, with Airflow-style prefixes. Its behaviour is specified
// in examples/custom-backend/README.md; build it with ./build.sh.
export * from "@secretpath/guest-sdk/assembly/abi";
import { Backend, JSONReader, Kind, Span, Status, error, register, result } from "@secretpath/guest-sdk/assembly";

const VALUES: string[] = ["connections", "variables", "configs"];
const PREFIXES: string[] = ["connections_prefix", "variables_prefix", "config_prefix"];
const SEP = 6; // index of "sep" in the seven keys: VALUES, PREFIXES, sep

class JSONDoc extends Backend {
  // Each kind's values by id (the name without prefix and sep); null when the kind is off.
  tables: Array<Map<string, Uint8Array> | null> = [null, null, null];

  getConnection(id: string): Status { return this.get(0, id); }
  getVariable(id: string): Status { return this.get(1, id); }
  getConfig(id: string): Status { return this.get(2, id); }

  get(kind: i32, id: string): Status {
    const t = this.tables[kind];
    if (t == null || !t.has(id)) return Status.NOT_FOUND;
    return result(t.get(id));
  }

  init(kw: Uint8Array): Status {
    const j = new JSONReader(kw);
    const top = new Array<Span | null>(7);
    if (!j.enter()) return invalid("the kwargs must be a JSON object");
    let r: i32, i = 0;
    const key = new Span();
    while ((r = j.member(i++, key)) > 0) {
      const name = j.string(key);
      let which = -1;
      for (let k = 0; k < 3; k++) {
        if (name == VALUES[k]) which = k;
        if (name == PREFIXES[k]) which = 3 + k;
      }
      if (name == "sep") which = SEP;
      if (which < 0) return invalid("unknown key " + JSON_quote(name));
      const v = new Span();
      if (j.value(v) == Kind.ERROR) { r = -1; break; }
      top[which] = v; // the last one wins
    }
    if (r != 0 || !j.atEnd()) return invalid("the kwargs must be a JSON object");

    let sep = "/";
    const s = top[SEP];
    if (s != null) {
      if (s.kind != Kind.STRING) return invalid('"sep" must be a string');
      sep = j.string(s);
    }
    for (let k = 0; k < 3; k++) {
      let prefix = "";
      let on = true;
      const p = top[3 + k];
      if (p != null) {
        if (p.kind == Kind.NULL) on = false;
        else if (p.kind == Kind.STRING) prefix = j.string(p);
        else return invalid(JSON_quote(PREFIXES[k]) + " must be a string or null");
      }
      const lead = prefix.length > 0 ? prefix + sep : "";
      const table = new Map<string, Uint8Array>();
      const v = top[k];
      if (v != null && v.kind != Kind.NULL) {
        if (v.kind != Kind.OBJECT) return invalid(JSON_quote(VALUES[k]) + " must be an object or null");
        const m = new JSONReader(kw, v.start, v.end);
        m.enter();
        const e = new Span();
        for (let n = 0; m.member(n, key) > 0; n++) {
          const t = m.value(e);
          if (!(t == Kind.NULL || t == Kind.STRING || (k == 0 && t == Kind.OBJECT))) {
            return invalid(VALUES[k] + ": a value must be " + (k == 0 ? "a string, an object or null" : "a string or null"));
          }
          if (!on) continue;
          const name = m.string(key);
          if (!name.startsWith(lead)) continue;
          const id = name.substring(lead.length);
          if (t == Kind.NULL) table.delete(id);
          else if (t == Kind.STRING) table.set(id, m.bytes(e));
          else table.set(id, kw.subarray(e.start, e.end)); // an object connection, as written
        }
      }
      this.tables[k] = on ? table : null;
    }
    return Status.OK;
  }
}

// A key in a message: quoted, never a value.
function JSON_quote(s: string): string { return '"' + s + '"'; }

function invalid(msg: string): Status { return error("jsondoc: " + msg, Status.INVALID_ARGUMENT); }

register(new JSONDoc());

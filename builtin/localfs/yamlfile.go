package localfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// parseYAMLFile reads a YAML file as Airflow's _parse_yaml_file does with
// yaml.safe_load: an empty file, a syntax error, more than one document and
// a top level that is not a mapping are errors. Line numbers are 1-based
// (PyYAML's problem_mark.line, which Airflow reports, is 0-based). Messages
// are the YAML library's static problem descriptions, never its quotes of
// the input.
//
// Values are read with yaml.v3, a YAML 1.2 parser; PyYAML reads YAML 1.1.
// The two resolve some plain scalars differently: "yes", "no", "on" and
// "off" are strings here (booleans in PyYAML), "1e3" is a float here (a
// string in PyYAML), timestamps are kept as their text. Quote such values
// to mean the same thing to both. Merge keys ("<<") and anchors work as in
// PyYAML; a recursive structure is an error.
//
// Aliases are budgeted twice: by the nodes they make the walk visit, and by
// the bytes of JSON text the expanded document would render to (see
// yamlByteBudget), so that a small file cannot expand into gigabytes of
// values.
func parseYAMLFile(data []byte, p *problems) []member {
	if len(data) == 0 {
		p.add(1, msgEmptyFile)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		line, msg := yamlProblem(data, err)
		p.add(line, msg)
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		p.add(next.Line, "expected a single document in the stream, but found another document")
		return nil
	case err != io.EOF:
		line, msg := yamlProblem(data, err)
		p.add(line, msg)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		// Only comments or whitespace: safe_load returns None.
		p.add(1, msgNotObject)
		return nil
	}
	w := yamlWalker{budget: 4*len(data) + 1<<16, active: map[*yaml.Node]bool{}}
	w.bytes = yamlByteBudget(len(data))
	w.byteLimit = w.bytes
	root := doc.Content[0]
	target := root
	if root.Kind == yaml.AliasNode && root.Alias != nil {
		target = root.Alias
	}
	if target.Kind != yaml.MappingNode {
		if _, err := w.value(root, 0); err != nil {
			p.add(err.line, err.msg)
			return nil
		}
		p.add(root.Line, msgNotObject)
		return nil
	}
	if target.ShortTag() != "!!map" {
		p.add(target.Line, msgUnsupportedTag)
		return nil
	}
	members, err := w.mapping(target, 0)
	if err != nil {
		p.add(err.line, err.msg)
		return nil
	}
	return members
}

const (
	msgUnsupportedTag = "unsupported YAML tag (safe_load reads only the standard tags)."
	msgKeyNotScalar   = "a mapping key must be a string, not a mapping or a sequence."
	msgRecursive      = "an anchor's value contains an alias to itself."
	msgAliasing       = "the document contains excessive aliasing."
	msgTooDeep        = "the document is nested too deeply."
	msgBadMerge       = "expected a mapping or list of mappings for merging."
	msgBadScalar      = "the value does not match its tag."
)

// yamlError is a problem found while walking parsed YAML. aliasing marks
// a budget overrun, which is blamed on the outermost alias being expanded.
type yamlError struct {
	line     int
	msg      string
	aliasing bool
}

// maxYAMLDepth bounds recursion through nested values and aliases.
const maxYAMLDepth = 10000

// yamlByteBudget is how many bytes the values of a YAML file of size n may
// render to (as JSON, with Python's escaping of non-ASCII characters and
// its ", " and ": " separators: the longest text a value or a connection's
// extra is ever turned into), every alias expanded where it is used:
// 8 bytes per byte of the file, plus 4 MiB. Without aliases a file renders
// to at most about 5 bytes per byte (a "~" list item becomes "null, "), so
// only alias expansion reaches it. Every value built from the file, and so
// every value a lookup returns, is shorter than the budget.
func yamlByteBudget(n int) int { return 8*n + 4<<20 }

// yamlWalker turns yaml.v3 nodes into values. budget bounds the nodes
// visited through aliases (a "billion laughs" document); bytes bounds the
// rendered size of the values built (a few aliases of a huge scalar);
// active holds the anchors being expanded, to refuse recursive structures.
type yamlWalker struct {
	budget    int
	bytes     int // left of byteLimit
	byteLimit int
	active    map[*yaml.Node]bool
}

// charge takes n bytes of rendered text from the byte budget.
func (w *yamlWalker) charge(line, n int) *yamlError {
	w.bytes -= n
	if w.bytes < 0 {
		return &yamlError{line: line, aliasing: true,
			msg: fmt.Sprintf("the document's aliases expand its values beyond %d bytes.", w.byteLimit)}
	}
	return nil
}

// renderedSize is an upper bound of the JSON text of a scalar value, with
// a separator: a string with every character escaped as Python's
// json.dumps escapes it (ensure_ascii), quotes and ", ".
func renderedSize(v *value) int {
	switch v.kind {
	case vNull:
		return 4 + 2
	case vString:
		return jsonStringSize(v.s) + 2
	}
	return len(v.s) + 2
}

// jsonStringSize is the length of appendJSONString(nil, s, true).
func jsonStringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r > 0xFFFF {
			n += 12
		} else {
			n += 6
		}
	}
	return n
}

func (w *yamlWalker) value(n *yaml.Node, depth int) (value, *yamlError) {
	w.budget--
	if w.budget < 0 {
		return value{}, &yamlError{line: n.Line, msg: msgAliasing, aliasing: true}
	}
	if depth > maxYAMLDepth {
		return value{}, &yamlError{line: n.Line, msg: msgTooDeep}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return value{}, &yamlError{line: n.Line, msg: "unknown anchor referenced."}
		}
		if w.active[n.Alias] {
			return value{}, &yamlError{line: n.Line, msg: msgRecursive}
		}
		w.active[n.Alias] = true
		v, err := w.value(n.Alias, depth+1)
		delete(w.active, n.Alias)
		if err != nil {
			if err.aliasing {
				// Blame the outermost alias, not the scalar where the
				// budget ran out.
				err.line = n.Line
			}
			return value{}, err
		}
		v.line = n.Line
		return v, nil
	case yaml.ScalarNode:
		v, err := scalarValue(n)
		if err != nil {
			return value{}, err
		}
		if err := w.charge(n.Line, renderedSize(&v)); err != nil {
			return value{}, err
		}
		return v, nil
	case yaml.SequenceNode:
		if n.ShortTag() != "!!seq" {
			return value{}, &yamlError{line: n.Line, msg: msgUnsupportedTag}
		}
		if err := w.charge(n.Line, 2+2); err != nil {
			return value{}, err
		}
		w.active[n] = true
		defer delete(w.active, n)
		v := value{kind: vArray, line: n.Line, elems: make([]value, 0, len(n.Content))}
		for _, c := range n.Content {
			e, err := w.value(c, depth+1)
			if err != nil {
				return value{}, err
			}
			v.elems = append(v.elems, e)
		}
		return v, nil
	case yaml.MappingNode:
		if n.ShortTag() != "!!map" {
			return value{}, &yamlError{line: n.Line, msg: msgUnsupportedTag}
		}
		if err := w.charge(n.Line, 2+2); err != nil {
			return value{}, err
		}
		w.active[n] = true
		defer delete(w.active, n)
		members, err := w.mapping(n, depth)
		if err != nil {
			return value{}, err
		}
		return value{kind: vObject, line: n.Line, members: members}, nil
	}
	return value{}, &yamlError{line: n.Line, msg: "unexpected YAML node."}
}

// pair is a key and value node of a mapping, after merging.
type pair struct{ k, v *yaml.Node }

// mapping builds a mapping's members as PyYAML's SafeConstructor does:
// merge keys ("<<") are flattened first, their pairs put before the
// mapping's own (a sequence of merged mappings with the earlier ones
// winning), then the pairs are applied in order, the last value of a key
// winning.
func (w *yamlWalker) mapping(n *yaml.Node, depth int) ([]member, *yamlError) {
	pairs, err := w.flatten(n, depth)
	if err != nil {
		return nil, err
	}
	var o objectBuilder
	for _, pr := range pairs {
		key, err := w.key(pr.k)
		if err != nil {
			return nil, err
		}
		if err := w.charge(pr.k.Line, jsonStringSize(key)+2); err != nil {
			return nil, err
		}
		v, err := w.value(pr.v, depth+1)
		if err != nil {
			return nil, err
		}
		o.set(member{key: key, line: pr.k.Line, val: v})
	}
	return o.members, nil
}

func (w *yamlWalker) flatten(n *yaml.Node, depth int) ([]pair, *yamlError) {
	if depth > maxYAMLDepth {
		return nil, &yamlError{line: n.Line, msg: msgTooDeep}
	}
	var merged, own []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		w.budget--
		if w.budget < 0 {
			return nil, &yamlError{line: k.Line, msg: msgAliasing, aliasing: true}
		}
		if !(k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge") {
			own = append(own, pair{k, v})
			continue
		}
		target, err := w.deref(v)
		if err != nil {
			return nil, err
		}
		switch target.Kind {
		case yaml.MappingNode:
			sub, err := w.flattenOnce(target, depth+1)
			if err != nil {
				return nil, err
			}
			merged = append(merged, sub...)
		case yaml.SequenceNode:
			var subs [][]pair
			for _, c := range target.Content {
				m, err := w.deref(c)
				if err != nil {
					return nil, err
				}
				if m.Kind != yaml.MappingNode {
					return nil, &yamlError{line: c.Line, msg: msgBadMerge}
				}
				sub, err := w.flattenOnce(m, depth+1)
				if err != nil {
					return nil, err
				}
				subs = append(subs, sub)
			}
			for i := len(subs) - 1; i >= 0; i-- {
				merged = append(merged, subs[i]...)
			}
		default:
			return nil, &yamlError{line: v.Line, msg: msgBadMerge}
		}
	}
	return append(merged, own...), nil
}

// flattenOnce flattens a merged mapping, refusing one that merges itself.
func (w *yamlWalker) flattenOnce(m *yaml.Node, depth int) ([]pair, *yamlError) {
	if w.active[m] {
		return nil, &yamlError{line: m.Line, msg: msgRecursive}
	}
	w.active[m] = true
	defer delete(w.active, m)
	return w.flatten(m, depth)
}

// deref follows an alias.
func (w *yamlWalker) deref(n *yaml.Node) (*yaml.Node, *yamlError) {
	if n.Kind != yaml.AliasNode {
		return n, nil
	}
	if n.Alias == nil {
		return nil, &yamlError{line: n.Line, msg: "unknown anchor referenced."}
	}
	return n.Alias, nil
}

// key returns a mapping key as a string. A scalar that is not a string
// (1, true, null) is used as written: PyYAML would make it an int, a bool or
// None, which no lookup by name could ever find; here "1: x" defines id
// "1".
func (w *yamlWalker) key(k *yaml.Node) (string, *yamlError) {
	n, err := w.deref(k)
	if err != nil {
		return "", err
	}
	if n.Kind != yaml.ScalarNode {
		return "", &yamlError{line: k.Line, msg: msgKeyNotScalar}
	}
	v, err := scalarValue(n)
	if err != nil {
		return "", &yamlError{line: k.Line, msg: err.msg}
	}
	if v.kind == vString {
		return v.s, nil
	}
	return n.Value, nil
}

// scalarValue resolves a scalar as safe_load would, through yaml.v3's
// resolver: strings, null, booleans, ints, floats; a timestamp is kept as
// its text and !!binary as its decoded bytes. Other tags are refused, as
// PyYAML's SafeLoader refuses them.
func scalarValue(n *yaml.Node) (value, *yamlError) {
	line := n.Line
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!merge", "!":
		return value{kind: vString, line: line, s: n.Value}, nil
	case "!!null":
		return value{kind: vNull, line: line}, nil
	case "!!bool":
		var b bool
		if n.Decode(&b) != nil {
			return value{}, &yamlError{line: line, msg: msgBadScalar}
		}
		return value{kind: vBool, line: line, s: strconv.FormatBool(b)}, nil
	case "!!int", "!!float":
		var x any
		if n.Decode(&x) != nil {
			return value{}, &yamlError{line: line, msg: msgBadScalar}
		}
		switch x := x.(type) {
		case int:
			return value{kind: vNumber, line: line, s: strconv.Itoa(x)}, nil
		case int64:
			return value{kind: vNumber, line: line, s: strconv.FormatInt(x, 10)}, nil
		case uint64:
			return value{kind: vNumber, line: line, s: strconv.FormatUint(x, 10)}, nil
		case float64:
			return value{kind: vNumber, line: line, s: pyFloat(x), isFloat: true}, nil
		case float32:
			return value{kind: vNumber, line: line, s: pyFloat(float64(x)), isFloat: true}, nil
		}
		return value{}, &yamlError{line: line, msg: msgBadScalar}
	case "!!binary":
		var s string
		if n.Decode(&s) != nil {
			return value{}, &yamlError{line: line, msg: msgBadScalar}
		}
		return value{kind: vString, line: line, s: s}, nil
	}
	return value{}, &yamlError{line: line, msg: msgUnsupportedTag}
}

// yamlLineRE matches yaml.v3's error prefix. It is compiled on first use
// (an error's path), not at package init, which every CLI start paid.
var yamlLineRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)
})

// yamlParserProblems are yaml.v3's parser (not scanner) problems. yaml.v3
// reports a parser problem's line 0-based and a scanner problem's 1-based.
var yamlParserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// yamlScannerProblems are yaml.v3's scanner problems, all static text.
var yamlScannerProblems = map[string]bool{
	"block sequence entries are not allowed in this context":       true,
	"could not find expected ':'":                                  true,
	"could not find expected directive name":                       true,
	"did not find URI escaped octet":                               true,
	"did not find expected '!'":                                    true,
	"did not find expected alphabetic or numeric character":        true,
	"did not find expected comment or line break":                  true,
	"did not find expected digit or '.' character":                 true,
	"did not find expected hexdecimal number":                      true,
	"did not find expected tag URI":                                true,
	"did not find expected version number":                         true,
	"did not find expected whitespace or line break":               true,
	"did not find expected whitespace":                             true,
	"did not find the expected '>'":                                true,
	"found a tab character that violates indentation":              true,
	"found a tab character where an indentation space is expected": true,
	"found an incorrect leading UTF-8 octet":                       true,
	"found an incorrect trailing UTF-8 octet":                      true,
	"found an indentation indicator equal to 0":                    true,
	"found character that cannot start any token":                  true,
	"found extremely long version number":                          true,
	"found invalid Unicode character escape code":                  true,
	"found unexpected document indicator":                          true,
	"found unexpected end of stream":                               true,
	"found unexpected non-alphabetical character":                  true,
	"found unknown directive name":                                 true,
	"found unknown escape character":                               true,
	"mapping keys are not allowed in this context":                 true,
	"mapping values are not allowed in this context":               true,
}

// yamlReaderProblems are yaml.v3's reader problems: they carry no line, so
// the offending character is looked for here.
var yamlReaderProblems = map[string]bool{
	"control characters are not allowed": true,
	"invalid leading UTF-8 octet":        true,
	"incomplete UTF-8 octet sequence":    true,
	"invalid trailing UTF-8 octet":       true,
	"invalid length of a UTF-8 sequence": true,
	"invalid Unicode character":          true,
}

// yamlProblem reduces a yaml.v3 error to a 1-based line and a message that
// quotes nothing from the input.
func yamlProblem(data []byte, err error) (int, string) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return 1, "invalid YAML."
	}
	m := yamlLineRE().FindStringSubmatch(err.Error())
	if m == nil {
		return 1, "invalid YAML."
	}
	n := 0
	if m[1] != "" {
		n, _ = strconv.Atoi(m[1])
	}
	problem := m[2]
	switch {
	case yamlParserProblems[problem]:
		return n + 1, problem + "."
	case yamlScannerProblems[problem]:
		return max(n, 1), problem + "."
	case yamlReaderProblems[problem]:
		return lineOf(data, firstNonPrintable(data)), problem + "."
	case len(problem) > 18 && problem[:18] == "exceeded max depth":
		return max(n, 1), "the document is nested too deeply."
	case len(problem) > 14 && problem[:14] == "unknown anchor":
		return 1, "unknown anchor referenced."
	}
	return max(n, 1), "invalid YAML."
}

// firstNonPrintable returns the offset of the first character YAML does not
// allow in a stream (or len(data)).
func firstNonPrintable(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		ok := r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
			(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
		if !ok || (r == utf8.RuneError && size == 1) {
			return i
		}
		i += size
	}
	return len(data)
}

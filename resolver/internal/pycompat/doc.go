// Package pycompat reproduces the parts of Python's standard library that
// Airflow's connection parsing relies on, where Go's own packages behave
// differently: urllib.parse (urlsplit and its netloc accessors, unquote,
// quote, parse_qsl), str.lower, str.strip and int(str), and the json module
// (loads, and dumps with its default arguments).
//
// Each function names the Python call it stands for, and its results are
// those of CPython on the same input. Nothing here knows about connections
// beyond naming the connection field a URL error is about; the codec in
// resolver/connection builds Airflow's behaviour on top of it.
package pycompat

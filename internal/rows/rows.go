// Package rows decodes the files operators import: CSV with a header row, or
// JSON Lines. It streams one row at a time, so memory stays flat however
// long the file, and numbers every problem by the line it starts on.
//
// It knows nothing about credits or customers: callers bind a schema (the
// column names they understand) and read values by column index.
package rows

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/makegood/makegood/internal/ledger"
)

// Format is the syntax of an input file.
type Format string

// The formats Reader understands.
const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// DefaultMaxRowBytes bounds one row. Nothing valid comes near it (a note is
// at most 2,000 characters), but a file with one enormous line must fail
// with its line number instead of taking all the memory there is.
const DefaultMaxRowBytes = 16 << 20

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "csv":
		return CSV, nil
	case "jsonl", "ndjson":
		return JSONL, nil
	}
	return "", ledger.Fieldf("--format", "%q is not a format; use csv or jsonl", s)
}

// FormatOf chooses a file's format by its extension; ok is false when the
// name says nothing (stdin, or an unknown extension).
func FormatOf(name string) (f Format, ok bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return CSV, true
	case ".jsonl", ".ndjson":
		return JSONL, true
	}
	return "", false
}

// Schema is what a caller understands: the column names (matched without
// regard to case or surrounding spaces), which of them every row must
// have, and whether other columns are an error or are ignored.
type Schema struct {
	Columns       []string
	Required      []string
	IgnoreUnknown bool
}

// Row is one decoded row. Values are read by the index of their column in
// the bound Schema.
type Row struct {
	Line int // the line the row starts on, 1-based
	vals []string
	has  []bool
}

// Get returns column i's value, "" when the row has none.
func (r Row) Get(i int) string { return r.vals[i] }

// Map returns the row with f applied to every value, for a reader that
// undoes an encoding of its own format (the spreadsheet-safe quotes of
// makegood's CSV).
func (r Row) Map(f func(string) string) Row {
	vals := make([]string, len(r.vals))
	for i, v := range r.vals {
		vals[i] = f(v)
	}
	return Row{Line: r.Line, vals: vals, has: r.has}
}

// Has reports whether the row gives column i at all (a CSV header names
// it, or a JSON object has the key with a non-null value).
func (r Row) Has(i int) bool { return r.has[i] }

// Reader decodes rows from one input. A row-level problem (wrong number of
// fields, invalid UTF-8, a JSON value that is not a string) comes back from
// Next as a *ledger.FieldError and reading can go on; after a problem that
// makes the rest unreadable, Next reports it once and then io.EOF.
type Reader struct {
	format Format
	schema Schema
	max    int

	// CSV
	lim    *limitReader
	csv    *csv.Reader
	header []string
	pos    []int // schema column -> header position, -1 when absent
	// lastLine is the last line of the previous record, so that a record
	// too long to read can still be named by the line it starts on.
	lastLine int

	// JSONL
	sc   *bufio.Scanner
	line int

	done bool
	vals []string
	has  []bool
	seen []bool // decodeFlat's columns already given
	rows int
}

// Option adjusts a Reader.
type Option func(*Reader)

// MaxRowBytes overrides DefaultMaxRowBytes.
func MaxRowBytes(n int) Option { return func(r *Reader) { r.max = n } }

// NewReader starts decoding in. For CSV it reads the header row at once, so
// that Header can be inspected before Bind; an empty input is an error.
func NewReader(in io.Reader, f Format, opts ...Option) (*Reader, error) {
	r := &Reader{format: f, max: DefaultMaxRowBytes}
	for _, o := range opts {
		o(r)
	}
	br := bufio.NewReaderSize(in, 64<<10)
	// A UTF-8 byte-order mark, as spreadsheet programs write, is not data.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	}
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil, &ledger.FieldError{Line: 1, Field: "file", Err: errors.New("is empty")}
	} else if err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	switch f {
	case CSV:
		r.lim = &limitReader{r: br, max: int64(r.max)}
		r.csv = csv.NewReader(r.lim)
		r.csv.ReuseRecord = true
		h, err := r.csv.Read()
		if err != nil {
			return nil, r.csvError(err)
		}
		r.header = make([]string, len(h))
		for i, c := range h {
			if !utf8.ValidString(c) {
				return nil, &ledger.FieldError{Line: 1, Field: "header", Err: fmt.Errorf("column %d is not valid UTF-8", i+1)}
			}
			r.header[i] = strings.TrimSpace(c)
		}
		r.endRecord(h)
	case JSONL:
		r.sc = bufio.NewScanner(br)
		// The limit is the larger of max and the buffer's capacity.
		r.sc.Buffer(make([]byte, 0, min(64<<10, r.max)), r.max)
	default:
		return nil, fmt.Errorf("rows: unknown format %q", f)
	}
	return r, nil
}

// Header is a CSV file's header row, trimmed; nil for JSON Lines.
func (r *Reader) Header() []string { return r.header }

// Bind sets the schema rows are decoded against. For CSV it checks the
// header: every column known (unless IgnoreUnknown), none twice, every
// required one present.
func (r *Reader) Bind(s Schema) error {
	r.schema = s
	r.vals = make([]string, len(s.Columns))
	r.has = make([]bool, len(s.Columns))
	if r.format != CSV {
		return nil
	}
	r.pos = make([]int, len(s.Columns))
	for i := range r.pos {
		r.pos[i] = -1
	}
	for p, name := range r.header {
		i := s.index(name)
		switch {
		case name == "":
			return &ledger.FieldError{Line: 1, Field: "header", Err: fmt.Errorf("column %d has no name; the first line must name the columns: %s", p+1, strings.Join(s.Columns, ","))}
		case i < 0 && s.IgnoreUnknown:
		case i < 0:
			return &ledger.FieldError{Line: 1, Field: "header", Err: fmt.Errorf("unknown column %s; the columns are %s (is the header row missing?)", quote(name), strings.Join(s.Columns, ", "))}
		case r.pos[i] >= 0:
			return &ledger.FieldError{Line: 1, Field: "header", Err: fmt.Errorf("column %s appears twice", quote(name))}
		default:
			r.pos[i] = p
		}
	}
	for _, req := range s.Required {
		if r.pos[s.index(req)] < 0 {
			return &ledger.FieldError{Line: 1, Field: "header", Err: fmt.Errorf("missing column %q (is the header row missing?)", req)}
		}
	}
	return nil
}

// indexBytes is index for a name still in the input's bytes.
func (s Schema) indexBytes(name []byte) int {
	name = bytes.TrimSpace(name)
	for i, c := range s.Columns {
		if bytes.EqualFold([]byte(c), name) {
			return i
		}
	}
	return -1
}

func (s Schema) index(name string) int {
	for i, c := range s.Columns {
		if strings.EqualFold(c, strings.TrimSpace(name)) {
			return i
		}
	}
	return -1
}

// Rows is the number of rows Next has returned, valid or not.
func (r *Reader) Rows() int { return r.rows }

// Next returns the next row, io.EOF after the last.
func (r *Reader) Next() (Row, error) {
	if r.done {
		return Row{}, io.EOF
	}
	var (
		row Row
		err error
	)
	if r.format == CSV {
		row, err = r.nextCSV()
	} else {
		row, err = r.nextJSON()
	}
	if err == nil || !errors.Is(err, io.EOF) {
		r.rows++
	}
	return row, err
}

func (r *Reader) nextCSV() (Row, error) {
	rec, err := r.csv.Read()
	var pe *csv.ParseError
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		r.done = true
		return Row{}, io.EOF
	case errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount):
		// The record was read whole; reading can go on.
		line := pe.StartLine
		r.endRecord(rec)
		return Row{}, &ledger.FieldError{Line: line, Field: "row", Err: fmt.Errorf("has %d fields; the header has %d", len(rec), len(r.header))}
	default:
		r.done = true
		return Row{}, r.csvError(err)
	}
	line, _ := r.csv.FieldPos(0)
	r.endRecord(rec)
	for i := range r.vals {
		p := r.pos[i]
		if p < 0 {
			r.vals[i], r.has[i] = "", false
			continue
		}
		v := rec[p]
		if !utf8.ValidString(v) {
			return Row{}, &ledger.FieldError{Line: line, Field: r.schema.Columns[i], Err: errors.New("is not valid UTF-8 (save the file as UTF-8)")}
		}
		r.vals[i], r.has[i] = v, true
	}
	if r.schema.IgnoreUnknown {
		// Ignored columns must still be text, or the file is not what it
		// claims to be.
		for p, v := range rec {
			if !utf8.ValidString(v) {
				return Row{}, &ledger.FieldError{Line: line, Field: r.header[p], Err: errors.New("is not valid UTF-8 (save the file as UTF-8)")}
			}
		}
	}
	return Row{Line: line, vals: r.vals, has: r.has}, nil
}

// endRecord notes where a record ended and lets the next one have the full
// row allowance.
func (r *Reader) endRecord(rec []string) {
	if len(rec) > 0 {
		line, _ := r.csv.FieldPos(len(rec) - 1)
		r.lastLine = line + strings.Count(rec[len(rec)-1], "\n")
	}
	r.lim.mark()
}

func (r *Reader) csvError(err error) error {
	var pe *csv.ParseError
	switch {
	case errors.Is(err, errRowTooLong):
		return &ledger.FieldError{Line: r.lastLine + 1, Field: "row", Err: fmt.Errorf("is longer than %d bytes; is this the right file?", r.max)}
	case errors.Is(err, io.EOF):
		return &ledger.FieldError{Line: 1, Field: "file", Err: errors.New("is empty")}
	case errors.As(err, &pe):
		return &ledger.FieldError{Line: pe.Line, Field: "row", Err: fmt.Errorf("column %d: %v (quote fields that contain quotes, commas or line breaks, and double any quote inside)", pe.Column, pe.Err)}
	}
	return fmt.Errorf("read input: %w", err)
}

func (r *Reader) nextJSON() (Row, error) {
	for {
		if !r.sc.Scan() {
			r.done = true
			if err := r.sc.Err(); err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					return Row{}, &ledger.FieldError{Line: r.line + 1, Field: "row", Err: fmt.Errorf("is longer than %d bytes; is this the right file?", r.max)}
				}
				return Row{}, fmt.Errorf("read input: %w", err)
			}
			return Row{}, io.EOF
		}
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		return r.decodeJSON(b)
	}
}

func (r *Reader) decodeJSON(b []byte) (Row, error) {
	line := r.line
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD.
	if !utf8.Valid(b) {
		return Row{}, &ledger.FieldError{Line: line, Field: "row", Err: errors.New("is not valid UTF-8 (save the file as UTF-8)")}
	}
	if !r.decodeFlat(b) {
		if err := r.decodeObject(line, b); err != nil {
			return Row{}, err
		}
	}
	for _, req := range r.schema.Required {
		if !r.has[r.schema.index(req)] {
			return Row{}, &ledger.FieldError{Line: line, Field: req, Err: errors.New("is missing")}
		}
	}
	return Row{Line: line, vals: r.vals, has: r.has}, nil
}

// decodeObject decodes a row with encoding/json, which knows every way
// a line can fail to be an object of strings and numbers.
func (r *Reader) decodeObject(line int, b []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return &ledger.FieldError{Line: line, Field: "row", Err: fmt.Errorf("is not a JSON object: %v", err)}
	}
	if obj == nil {
		return &ledger.FieldError{Line: line, Field: "row", Err: errors.New("is not a JSON object")}
	}
	// A map keeps the last of two equal keys, and keys that differ only
	// in case name one column: either way one value would quietly win.
	if err := r.duplicateKey(line, b); err != nil {
		return err
	}
	for i := range r.vals {
		r.vals[i], r.has[i] = "", false
	}
	for k, raw := range obj {
		i := r.schema.index(k)
		if i < 0 {
			if r.schema.IgnoreUnknown {
				continue
			}
			return &ledger.FieldError{Line: line, Field: k, Err: fmt.Errorf("is not a known key; the keys are %s", strings.Join(r.schema.Columns, ", "))}
		}
		v, present, err := jsonScalar(raw)
		if err != nil {
			return &ledger.FieldError{Line: line, Field: r.schema.Columns[i], Err: err}
		}
		r.vals[i], r.has[i] = v, present
	}
	return nil
}

// duplicateKey refuses an object that gives a key twice, matched as
// columns are (without regard to case or surrounding spaces). b is a
// valid JSON object.
func (r *Reader) duplicateKey(line int, b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return &ledger.FieldError{Line: line, Field: "row", Err: fmt.Errorf("is not a JSON object: %v", err)}
	}
	seen := map[string]string{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return &ledger.FieldError{Line: line, Field: "row", Err: fmt.Errorf("is not a JSON object: %v", err)}
		}
		key, _ := t.(string)
		norm := strings.ToLower(strings.TrimSpace(key))
		field := key
		if i := r.schema.index(key); i >= 0 {
			norm, field = "\x00"+r.schema.Columns[i], r.schema.Columns[i]
		}
		if first, ok := seen[norm]; ok {
			what := fmt.Sprintf("%s twice", quote(key))
			if first != key {
				what = fmt.Sprintf("as %s and as %s", quote(first), quote(key))
			}
			return &ledger.FieldError{Line: line, Field: field, Err: fmt.Errorf("is given %s; give each key once", what)}
		}
		seen[norm] = key
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return &ledger.FieldError{Line: line, Field: "row", Err: fmt.Errorf("is not a JSON object: %v", err)}
		}
	}
	return nil
}

// decodeFlat decodes the usual row, an object whose keys are known
// columns, each once, and whose values are strings without escapes,
// numbers or null, far faster than encoding/json with its map and
// reflection. Anything else it leaves to decodeObject, reporting false,
// so that what a row means and how a bad one is told off is decided in
// one place.
func (r *Reader) decodeFlat(b []byte) bool {
	for i := range r.vals {
		r.vals[i], r.has[i] = "", false
	}
	p := skipSpace(b, 0)
	if p == len(b) || b[p] != '{' {
		return false
	}
	p = skipSpace(b, p+1)
	if p < len(b) && b[p] == '}' {
		return skipSpace(b, p+1) == len(b)
	}
	seen := r.seen[:0]
	for range r.vals {
		seen = append(seen, false)
	}
	r.seen = seen
	for {
		key, next, ok := flatString(b, p)
		if !ok {
			return false
		}
		i := r.schema.indexBytes(key)
		if i < 0 || seen[i] {
			return false
		}
		seen[i] = true
		p = skipSpace(b, next)
		if p == len(b) || b[p] != ':' {
			return false
		}
		p = skipSpace(b, p+1)
		switch {
		case p == len(b):
			return false
		case b[p] == '"':
			v, next, ok := flatString(b, p)
			if !ok {
				return false
			}
			r.vals[i], r.has[i] = string(v), true
			p = next
		case b[p] == '-' || ('0' <= b[p] && b[p] <= '9'):
			next := jsonNumber(b, p)
			if next < 0 {
				return false
			}
			r.vals[i], r.has[i] = string(b[p:next]), true
			p = next
		case bytes.HasPrefix(b[p:], []byte("null")):
			p += len("null")
		default:
			return false
		}
		p = skipSpace(b, p)
		switch {
		case p == len(b):
			return false
		case b[p] == ',':
			p = skipSpace(b, p+1)
		case b[p] == '}':
			return skipSpace(b, p+1) == len(b)
		default:
			return false
		}
	}
}

func skipSpace(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r') {
		p++
	}
	return p
}

// flatString reads the JSON string at b[p], a quote, if it has no escape
// and no control character, returning its contents and what follows it.
func flatString(b []byte, p int) (s []byte, next int, ok bool) {
	if p >= len(b) || b[p] != '"' {
		return nil, 0, false
	}
	for q := p + 1; q < len(b); q++ {
		switch c := b[q]; {
		case c == '"':
			return b[p+1 : q], q + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// jsonNumber returns the end of the JSON number at b[p], or -1 if there is
// none there.
func jsonNumber(b []byte, p int) int {
	digits := func(p int) int {
		q := p
		for q < len(b) && '0' <= b[q] && b[q] <= '9' {
			q++
		}
		if q == p {
			return -1
		}
		return q
	}
	if b[p] == '-' {
		p++
	}
	switch {
	case p < len(b) && b[p] == '0':
		p++
	default:
		if p = digits(p); p < 0 {
			return -1
		}
	}
	if p < len(b) && b[p] == '.' {
		if p = digits(p + 1); p < 0 {
			return -1
		}
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		p++
		if p < len(b) && (b[p] == '+' || b[p] == '-') {
			p++
		}
		if p = digits(p); p < 0 {
			return -1
		}
	}
	return p
}

// jsonScalar turns a JSON value into text: a string as itself, a number as
// written (so "1e9" reaches the amount parser and is refused there rather
// than becoming a float), null as absent.
func jsonScalar(raw json.RawMessage) (string, bool, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", false, errors.New("has no value")
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, fmt.Errorf("is not a valid string: %v", err)
		}
		return s, true, nil
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), true, nil
	case string(raw) == "null":
		return "", false, nil
	}
	return "", false, errors.New("must be a string or a number")
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}

var errRowTooLong = errors.New("row too long")

// limitReader fails once more than max bytes are read without a mark, which
// the CSV reader passes on; encoding/csv would otherwise buffer a whole
// line however long it is.
type limitReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *limitReader) mark() { l.n = 0 }

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, errRowTooLong
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

package protocol

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	json "github.com/goccy/go-json"
)

// Tolerant decoding (docs/decisions.md): a frame whose fields need it is
// normalized against the target type's schema before the typed decode:
// numbers and strings coerced, booleans read in every spelling, keys
// trimmed, broken JSON repaired where it can be.

// decodeInto fills v from b. The fast path is one strict unmarshal; frames
// with padded keys or values, aliased keys, or values of the wrong JSON type
// take the slow path, which rewrites the object into canonical form first.
func decodeInto(b []byte, v any) error {
	if !needsNormalizing(b) {
		if err := json.Unmarshal(b, v); err == nil {
			return nil
		}
	}
	s := schemaOf(reflect.TypeOf(v))
	nb, err := normalize(b, s)
	if err != nil {
		return err
	}
	rv := reflect.ValueOf(v).Elem()
	rv.SetZero()
	if err := json.Unmarshal(nb, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// aliases are misspelled twins the platform is seen to send.
var aliases = map[string]string{
	"caller_channel": "callin_channel",
	"aagent_pwd":     "agent_pwd",
	"agentIp":        "agent_ip", // kick_off (no @JsonProperty on the server)
}

// needsNormalizing reports whether b has a key or string value with leading
// or trailing white space, or an aliased key. It is one pass over the bytes.
func needsNormalizing(b []byte) bool {
	if fs, ok := scanFrame(b); ok {
		return fs.normalize
	}
	return needsNormalizingRaw(b)
}

// needsNormalizingRaw is needsNormalizing for bytes that are not a valid
// JSON object: it looks at them as they are.
func needsNormalizingRaw(b []byte) bool {
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if in {
			switch c {
			case '\\':
				i++
			case '"':
				in = false
				if i > 0 && isSpace(b[i-1]) {
					return true
				}
			}
			continue
		}
		if c == '"' {
			in = true
			if i+1 < len(b) && isSpace(b[i+1]) {
				return true
			}
		}
	}
	return bytes.Contains(b, []byte(`"caller_channel"`)) || bytes.Contains(b, []byte(`"aagent_pwd"`)) ||
		bytes.Contains(b, []byte(`"agentIp"`))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

type kind int

const (
	kAny kind = iota
	kString
	kInt
	kBool
	kStrings
	kObjects
	kObject
)

type field struct {
	kind kind
	sub  *schema // for kObjects / kObject
}

type schema struct{ fields map[string]field }

var schemas sync.Map // reflect.Type -> *schema

func schemaOf(t reflect.Type) *schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := schemas.Load(t); ok {
		return s.(*schema)
	}
	s := &schema{fields: map[string]field{}}
	addFields(s, t)
	schemas.Store(t, s)
	return s
}

var (
	flagType = reflect.TypeOf(Flag(false))
)

func addFields(s *schema, t reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(s, ft)
			}
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s.fields[name] = fieldOf(f.Type)
	}
}

func fieldOf(t reflect.Type) field {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == flagType {
		return field{kind: kBool}
	}
	switch t.Kind() {
	case reflect.String:
		return field{kind: kString}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return field{kind: kInt}
	case reflect.Bool:
		return field{kind: kBool}
	case reflect.Slice:
		et := t.Elem()
		if et.Kind() == reflect.String {
			return field{kind: kStrings}
		}
		if et.Kind() == reflect.Struct {
			return field{kind: kObjects, sub: schemaOf(et)}
		}
	case reflect.Struct:
		return field{kind: kObject, sub: schemaOf(t)}
	}
	return field{kind: kAny}
}

// normalize parses b as a JSON object and rewrites it canonically for s:
// keys trimmed and aliases folded, each known field coerced to its JSON type,
// null and "" optionals dropped.
func normalize(b []byte, s *schema) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		if m = repair(b); m == nil {
			return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
		}
	}
	out, err := json.Marshal(normalizeObject(m, s))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return out, nil
}

func normalizeObject(m map[string]any, s *schema) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		key := strings.TrimSpace(k)
		if a, ok := aliases[key]; ok {
			if _, has := s.fields[key]; !has {
				// The canonical spelling wins when both are present and set.
				if cur, set := out[a]; set && cur != "" {
					continue
				}
				key = a
			}
		}
		f, known := s.fields[key]
		if !known {
			if _, dup := out[key]; !dup {
				out[key] = v
			}
			continue
		}
		if cv, ok := coerce(v, f); ok {
			out[key] = cv
		} else {
			delete(out, key)
		}
	}
	return out
}

// coerce converts v to f's JSON type; ok false means "unset".
func coerce(v any, f field) (any, bool) {
	if v == nil {
		return nil, false
	}
	switch f.kind {
	case kString:
		switch x := v.(type) {
		case string:
			return strings.TrimSpace(x), true
		case json.Number:
			return x.String(), true
		case bool:
			return strconv.FormatBool(x), true
		default: // an object or list where the spec says string: keep its JSON text
			b, err := json.Marshal(x)
			if err != nil {
				return nil, false
			}
			return string(b), true
		}
	case kInt:
		switch x := v.(type) {
		case json.Number:
			return intOf(x.String())
		case string:
			return intOf(strings.TrimSpace(x))
		case bool:
			if x {
				return 1, true
			}
			return 0, true
		}
		return nil, false
	case kBool:
		switch x := v.(type) {
		case bool:
			return x, true
		case json.Number:
			return boolOf(x.String())
		case string:
			return boolOf(x)
		}
		return nil, false
	case kStrings:
		switch x := v.(type) {
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				if s, ok := coerce(e, field{kind: kString}); ok {
					out = append(out, s.(string))
				}
			}
			return out, true
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, false
			}
			var out []string
			for _, p := range strings.Split(x, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out, true
		case json.Number:
			return []string{x.String()}, true
		}
		return nil, false
	case kObjects:
		x, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := make([]any, 0, len(x))
		for _, e := range x {
			if o, ok := e.(map[string]any); ok {
				out = append(out, normalizeObject(o, f.sub))
			}
		}
		return out, true
	case kObject:
		o, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		return normalizeObject(o, f.sub), true
	}
	return v, true
}

func intOf(s string) (any, bool) {
	if s == "" {
		return nil, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f), true
	}
	return nil, false
}

func boolOf(s string) (any, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return nil, false
}

// parseBool reads a JSON boolean in any of the forms the platform sends;
// ok false means unset (null or "").
func parseBool(b []byte) (v bool, ok bool, err error) {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return false, false, nil
	}
	if len(s) >= 2 && s[0] == '"' {
		uq, e := strconv.Unquote(s)
		if e != nil {
			return false, false, fmt.Errorf("%w: bad flag %s", ErrMalformed, s)
		}
		s = strings.TrimSpace(uq)
		if s == "" {
			return false, false, nil
		}
	}
	x, good := boolOf(s)
	if !good {
		return false, false, fmt.Errorf("%w: bad flag %q", ErrMalformed, s)
	}
	return x.(bool), true, nil
}

// repair reads a frame that is not valid JSON the way the spec's own examples
// are broken: trailing commas first; failing that, when the frame is a reply
// (it has req_id and code), it salvages the top-level "key":"value" string
// pairs it can still read, so the reply's code and msg reach the caller. It
// returns nil otherwise.
func repair(b []byte) map[string]any {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(dropTrailingCommas(trimmed)))
	dec.UseNumber()
	if err := dec.Decode(&m); err == nil && m != nil {
		return m
	}
	m = map[string]any{}
	for _, kv := range salvagePair.FindAllSubmatch(trimmed, -1) {
		k := string(kv[1])
		if _, seen := m[k]; !seen {
			m[k] = string(kv[2])
		}
	}
	// Only a reply is worth salvaging (its caller is waiting); a broken
	// event or unknown frame is skipped, never half-delivered.
	if _, ok := m["req_id"]; !ok {
		return nil
	}
	if _, ok := m["code"]; !ok {
		return nil
	}
	return m
}

// salvagePair matches "key":"value" with no escapes or line breaks inside.
var salvagePair = regexp.MustCompile(`"([^"\\\n]{1,64})"\s*:\s*"([^"\\\n]*)"\s*[,}]`)

// dropTrailingCommas removes a comma that stands before a closing } or ].
func dropTrailingCommas(b []byte) []byte {
	out := make([]byte, 0, len(b))
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if in {
			out = append(out, c)
			if c == '\\' && i+1 < len(b) {
				i++
				out = append(out, b[i])
			} else if c == '"' {
				in = false
			}
			continue
		}
		if c == '"' {
			in = true
		}
		if c == ',' {
			j := i + 1
			for j < len(b) && isSpace(b[j]) {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

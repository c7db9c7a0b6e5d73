package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// platformRequest is a platform-dialect request read as the real server's Jackson
// mapper reads it: keys exact (" msg_type" is an unknown field), values not
// trimmed, scalars coerced to strings, unknown fields ignored.
type platformRequest map[string]any

// The base DTO's String fields: a non-scalar there fails the whole parse.
var baseStringFields = []string{"msg_type", "req_id", "company_code", "ext_id", "agent_id", "os", "token"}

var errNotObject = errors.New("not a JSON object")

func parsePlatformRequest(b []byte) (platformRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errNotObject
	}
	for _, k := range baseStringFields {
		switch m[k].(type) {
		case map[string]any, []any:
			return nil, errNotObject
		}
	}
	return platformRequest(m), nil
}

// has: the field is present and not null.
func (q platformRequest) has(k string) bool { return q[k] != nil }

// s is the field as Jackson gives it to a String property ("" when absent).
func (q platformRequest) s(k string) string {
	switch v := q[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// copyTo sets o[k] to the request's value for each k present: a reply
// copies req_id, company_code and msg_type from the request, null fields
// left out.
func (q platformRequest) copyTo(o obj, keys ...string) {
	for _, k := range keys {
		if q.has(k) {
			o[k] = q.s(k)
		}
	}
}

// int reads an Integer property: set is false when absent, null or "";
// ok is false when Jackson would fail to convert it.
func (q platformRequest) int(k string) (v int, set, ok bool) {
	switch x := q[k].(type) {
	case nil:
		return 0, false, true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return int(n), true, true
		}
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) {
			return 0, true, false
		}
		return int(f), true, true // ACCEPT_FLOAT_AS_INT
	case string:
		if x == "" {
			return 0, false, true
		}
		n, err := strconv.Atoi(x)
		return n, true, err == nil
	}
	return 0, true, false
}

// validate checks a DTO as convert() does: Jackson first (a value of the
// wrong type fails the whole request: 4043 "请求失败!"), then the bean
// constraints, the first failure in declaration order giving 4002
// "[field]不能为空!". Specs: "s:f" @NotEmpty String, "i:f" @NotNull Integer,
// "o:f" optional Integer (type-checked only), "n:f" @NotNull String.
func (q platformRequest) validate(specs ...string) (code, msg string, bad bool) {
	for _, sp := range specs {
		kind, f, _ := strings.Cut(sp, ":")
		switch kind {
		case "i", "o":
			if _, _, ok := q.int(f); !ok {
				return "4043", "请求失败!", true
			}
		case "s", "n":
			switch q[f].(type) {
			case map[string]any, []any:
				return "4043", "请求失败!", true
			}
		}
	}
	for _, sp := range specs {
		kind, f, _ := strings.Cut(sp, ":")
		missing := false
		switch kind {
		case "s":
			missing = q.s(f) == ""
		case "n":
			missing = !q.has(f)
		case "i":
			_, set, _ := q.int(f)
			missing = !set
		}
		if missing {
			return "4002", notEmptyMsg(f), true
		}
	}
	return "", "", false
}

func notEmptyMsg(f string) string {
	if f == "agent_pwd" {
		return "[agent_pwd]不能为空" // ClientGetTokenDTO's message has no "!"
	}
	return "[" + f + "]不能为空!"
}

// fastUUID is hutool IdUtil.fastUUID(): a random UUID with dashes (the
// req_id of pushes and callbacks).
func fastUUID() string { return uuid.NewString() }

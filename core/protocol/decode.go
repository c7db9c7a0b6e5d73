package protocol

import (
	"bytes"
	"fmt"
	"strings"

	json "github.com/goccy/go-json"
)

// Envelope is what the session reads of a frame before it knows its type.
type Envelope struct {
	MsgType MsgType `json:"msg_type"`
	ReqID   string  `json:"req_id"`
	// Code is set in replies (and in the platform's refusals, which may carry
	// nothing else but msg).
	Code string `json:"code"`
	// Action tells a change_status reply (which echoes it) from the
	// platform's change_status status push (which has none).
	Action string `json:"action"`

	// canonical: Peek found the frame valid JSON that the strict decoder
	// takes as it is (see DecodeReply). onlyHeader: it has no top-level
	// field but the common fields of a reply, msg's raw text being
	// frame[msgAt:msgEnd] (msgAt < 0: no msg).
	canonical, onlyHeader bool
	msgAt, msgEnd         int
}

// Peek reads a frame's msg_type (normalized), req_id, code and action.
func Peek(frame []byte) (Envelope, error) {
	if fs, ok := scanFrame(frame); ok && fs.exact && !fs.normalize {
		// The frame as the strict decoder would read it, without its
		// allocations: the values are plain ASCII, already trimmed.
		var e Envelope
		if fs.msgType != nil {
			e.MsgType = normalizeType(internType(fs.msgType))
		}
		if len(fs.reqID) > 0 {
			e.ReqID = string(fs.reqID)
		}
		if fs.code != nil {
			e.Code = internCode(fs.code)
		}
		if len(fs.action) > 0 {
			e.Action = string(fs.action)
		}
		e.canonical, e.onlyHeader, e.msgAt = true, fs.onlyHeader, -1
		if fs.msg != nil {
			e.msgAt = cap(frame) - cap(fs.msg)
			e.msgEnd = e.msgAt + len(fs.msg)
		}
		return e, nil
	}
	return peekSlow(frame)
}

// peekSlow is Peek through the full decoder, the reference for the frames
// the one-pass scanner leaves to it.
func peekSlow(frame []byte) (Envelope, error) {
	var e Envelope
	if err := decodeInto(frame, &e); err != nil {
		return Envelope{}, err
	}
	e.MsgType = normalizeType(e.MsgType)
	e.ReqID = strings.TrimSpace(e.ReqID)
	return e, nil
}

// IsStatusPush reports whether the frame is the platform server's status
// push: msg_type change_status without the action a change_status reply
// echoes. The session also treats a change_status frame that answers no
// pending request as a push.
func (e Envelope) IsStatusPush() bool { return e.MsgType == MsgChangeStatus && e.Action == "" }

// IsBareReply reports whether the frame is a reply that names no request:
// the platform server's refusals ({"code":"4002","msg":"[uuid]不能为空!"}, no
// req_id, no msg_type).
func (e Envelope) IsBareReply() bool {
	return e.ReqID == "" && e.Code != "" && (e.MsgType == "" || (e.MsgType.IsRequest() && !e.IsStatusPush()))
}

// Decode decodes a frame by its own msg_type: a reply type gives a Reply, an
// event type an Event, anything else an *UnknownMessage. Only a frame that is
// not a JSON object fails (with ErrMalformed).
func Decode(frame []byte) (Message, error) {
	env, err := Peek(frame)
	if err != nil {
		return nil, err
	}
	if ev := newEvent(env.MsgType); ev != nil {
		return finish(frame, ev)
	}
	if env.IsStatusPush() {
		return decodeStatusPush(frame)
	}
	if t := replyRequestType(env.MsgType); t != "" {
		return finish(frame, newReply(t))
	}
	return &UnknownMessage{ReqID: env.ReqID, MsgType: env.MsgType, rawHolder: rawHolder{frame}}, nil
}

// DecodeReply decodes frame as the reply to a request of type req, whatever
// msg_type the frame itself carries (the platform is not always consistent).
func DecodeReply(frame []byte, req MsgType) (Reply, error) {
	return decodeReply(frame, req, false)
}

// DecodeReply is DecodeReply of the frame e was read from: it decodes a
// frame Peek found canonical in one step, without looking at it again, and
// a reply of the common fields only (a pong) from what Peek read.
func (e Envelope) DecodeReply(frame []byte, req MsgType) (Reply, error) {
	if e.canonical && e.onlyHeader {
		if r, ok := newReply(normalizeType(req)).(*BasicReply); ok {
			r.ReqID, r.MsgType, r.Code = e.ReqID, e.MsgType, e.Code
			if e.msgAt >= 0 && e.msgEnd <= len(frame) {
				r.Msg = internMsg(frame[e.msgAt:e.msgEnd])
			}
			if r.MsgType == "" {
				r.MsgType = ReplyType(normalizeType(req))
			}
			r.setRaw(frame)
			return r, nil
		}
	}
	return decodeReply(frame, req, e.canonical)
}

func decodeReply(frame []byte, req MsgType, canonical bool) (Reply, error) {
	r := newReply(normalizeType(req))
	if canonical {
		if err := json.Unmarshal(frame, r); err != nil {
			return decodeReply(frame, req, false) // the strict decoder says otherwise: the full path
		}
		settle(frame, r)
	} else if _, err := finish(frame, r); err != nil {
		return nil, err
	}
	h := r.Header()
	if h.MsgType == "" {
		h.MsgType = ReplyType(normalizeType(req))
	}
	return r, nil
}

// DecodeEvent decodes frame as a pushed event; a change_status frame is
// taken as the platform's status push (an *AgentChangeEvent), and a frame of
// another type comes back as an *UnknownMessage.
func DecodeEvent(frame []byte) (Event, error) {
	env, err := Peek(frame)
	if err != nil {
		return nil, err
	}
	if env.MsgType == MsgChangeStatus {
		return decodeStatusPush(frame)
	}
	m, err := Decode(frame)
	if err != nil {
		return nil, err
	}
	if ev, ok := m.(Event); ok {
		return ev, nil
	}
	return &UnknownMessage{MsgType: m.Type(), ReqID: peekReqID(m), rawHolder: rawHolder{frame}}, nil
}

// DecodeRequest decodes a request, as an application hands it to the SDK in
// JSON (the C ABI does). The msg_type picks the type; an unknown one fails
// with ErrUnknownType.
func DecodeRequest(b []byte) (Request, error) {
	fs, ok := scanFrame(b)
	if ok && fs.exact && !fs.normalize {
		// One pass told the type, and that the strict decoder takes the
		// frame as it is: decode it once, with no normalizing.
		r := newRequest(normalizeType(internType(fs.msgType)))
		if r != nil {
			if err := json.Unmarshal(b, r); err == nil {
				r.RequestHeader().MsgType = r.Type()
				return r, nil
			}
		}
	}
	env, err := Peek(b)
	if err != nil {
		return nil, err
	}
	if env.MsgType == "" {
		return nil, fmt.Errorf("%w: msg_type", ErrMissingField)
	}
	r := newRequest(env.MsgType)
	if r == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownType, string(env.MsgType))
	}
	if err := decodeInto(b, r); err != nil {
		return nil, err
	}
	r.RequestHeader().MsgType = r.Type()
	return r, nil
}

// Encode writes a request as the server expects it: msg_type set from its
// type, the spec's field names, unset optionals omitted.
func Encode(r Request) ([]byte, error) {
	r.RequestHeader().MsgType = r.Type()
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("protocol: encode %s: %w", r.Type(), err)
	}
	return b, nil
}

// MarshalMessage writes a decoded message as one JSON object: its normalized
// fields with the spec's names and types, plus "raw", the frame as received
// (a JSON object, or a JSON string when the frame was not valid JSON), with
// invalid UTF-8 replaced by U+FFFD: the result is always valid UTF-8.
func MarshalMessage(m Message) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer e.put()
	if err := e.enc.Encode(m); err != nil {
		return nil, fmt.Errorf("protocol: marshal %s: %w", m.Type(), err)
	}
	b := e.buf.Bytes()
	b = b[:len(b)-1] // the newline Encode ends a value with
	raw := []byte(m.Raw())
	if len(raw) == 0 {
		return bytes.Clone(b), nil
	}
	// Invalid UTF-8 (inside a string: elsewhere it is not JSON) becomes
	// U+FFFD, so raw stays the frame's JSON object, as text.
	raw = ValidUTF8(raw)
	if _, object := scanFrame(raw); !object && !json.Valid(raw) {
		// A frame that needed repair travels as a JSON string, still verbatim.
		var err error
		if raw, err = json.Marshal(string(raw)); err != nil {
			return bytes.Clone(b), nil
		}
	}
	out := make([]byte, 0, len(b)+len(raw)+8)
	out = append(out, b[:len(b)-1]...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"raw":`...)
	out = append(out, raw...)
	return append(out, '}'), nil
}

// decodeStatusPush reads a change_status push as the one status event.
func decodeStatusPush(frame []byte) (*AgentChangeEvent, error) {
	ev := &AgentChangeEvent{}
	if _, err := finish(frame, ev); err != nil {
		return nil, err
	}
	ev.MsgType = MsgAgentChange
	return ev, nil
}

func peekReqID(m Message) string {
	if r, ok := m.(Reply); ok {
		return r.Header().ReqID
	}
	return ""
}

// replyRequestType maps a reply's msg_type to the request it answers, or "".
func replyRequestType(t MsgType) MsgType {
	if t == MsgPong {
		return MsgPing
	}
	if newRequest(t) != nil {
		return t
	}
	return ""
}

// normalizeType trims a msg_type and folds the spec's aliases.
func normalizeType(t MsgType) MsgType {
	t = MsgType(strings.TrimSpace(string(t)))
	switch t {
	case MsgTransfer:
		return MsgTrans
	case MsgPickup:
		return MsgAnswer
	}
	return t
}

func finish(frame []byte, m Message) (Message, error) {
	if err := decodeInto(frame, m); err != nil {
		return nil, err
	}
	settle(frame, m)
	return m, nil
}

// settle completes a decoded message: its msg_type normalized, its frame kept.
func settle(frame []byte, m Message) {
	switch h := m.(type) {
	case Reply:
		hd := h.Header()
		hd.MsgType = normalizeType(hd.MsgType)
	case *CallbackEvent:
		h.MsgType = normalizeType(h.MsgType)
	case *CallinEvent:
		h.MsgType = normalizeType(h.MsgType)
	case *AgentChangeEvent:
		h.MsgType = normalizeType(h.MsgType)
	case *KickOffEvent:
		h.MsgType = normalizeType(h.MsgType)
	case *ConnectEvent:
		h.MsgType = normalizeType(h.MsgType)
	}
	m.setRaw(frame)
}

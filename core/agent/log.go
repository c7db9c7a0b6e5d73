package agent

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/session"
)

// MsgLog is the msg_type of log events.
const MsgLog protocol.MsgType = "log"

// LogEvent is one log line of the SDK, delivered like any other event.
type LogEvent struct {
	Time    time.Time         `json:"time"`
	Level   string            `json:"level"`
	Message string            `json:"message"`
	Attrs   map[string]string `json:"attrs,omitempty"`
}

// Type is "log".
func (*LogEvent) Type() protocol.MsgType { return MsgLog }

// SizeHint is what the line holds in memory, for the event queue's bound
// (at trace level a line carries a whole frame).
func (e *LogEvent) SizeHint() int {
	n := len(e.Message)
	for k, v := range e.Attrs {
		n += len(k) + len(v) + 32
	}
	return n
}

func parseLevel(s string) (slog.Level, bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return session.LevelTrace, true, nil
	case "debug":
		return slog.LevelDebug, true, nil
	case "info":
		return slog.LevelInfo, true, nil
	case "", "warn", "warning":
		return slog.LevelWarn, true, nil
	case "error":
		return slog.LevelError, true, nil
	case "off", "none":
		return 0, false, nil
	}
	return 0, false, &ConfigError{Field: "LogLevel", Value: s, Want: "trace, debug, info, warn, error or off"}
}

func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "trace"
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return "error"
}

// eventLogHandler turns log records into LogEvents. The session logs frames
// only after protocol.Redact (secrets by key); redact also replaces the
// secret values the session knows, wherever a message or attribute (an
// error text from a server, say) repeats one.
type eventLogHandler struct {
	level  slog.Level
	attrs  []slog.Attr
	emit   func(session.Event)
	redact func(string) string
}

func (h *eventLogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *eventLogHandler) Handle(_ context.Context, r slog.Record) error {
	e := &LogEvent{Time: r.Time, Level: levelName(r.Level), Message: h.redact(r.Message)}
	add := func(a slog.Attr) bool {
		if e.Attrs == nil {
			e.Attrs = map[string]string{}
		}
		e.Attrs[a.Key] = h.redact(a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.emit(e)
	return nil
}

func (h *eventLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

func (h *eventLogHandler) WithGroup(string) slog.Handler { return h }

type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }

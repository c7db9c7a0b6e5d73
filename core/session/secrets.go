package session

import "github.com/cloudcc/agent-sdk/core/protocol"

// Secrets is the session's redactor: it knows the password and the tokens
// this session was given or received, so every layer above can keep them out
// of what it hands out (log lines, errors, events).
func (s *Session) Secrets() *protocol.Redactor { return &s.secrets }

// learnRequest records the secret a request carries (check-in's password).
func (s *Session) learnRequest(req protocol.Request) {
	if r, ok := req.(*protocol.CheckinRequest); ok {
		s.secrets.Learn(r.AgentPwd.Reveal())
	}
}

// learnReply records the secrets a reply carries. It runs on the reader,
// before any later frame is dispatched, so an event that repeats a token
// right after the reply that brought it is already redacted.
func (s *Session) learnReply(r protocol.Reply) {
	if cr, ok := r.(*protocol.CheckinReply); ok {
		s.secrets.Learn(cr.ExtPwd.Reveal())
		s.secrets.Learn(cr.Token.Reveal())
	}
}

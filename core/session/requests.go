package session

import (
	"context"
	"fmt"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// One typed method per request of the spec. Each fills the header like Do,
// and returns the typed reply (also when the server refused, with a
// *protocol.ServerError).

// send is Do with the reply's concrete type.
func send[R protocol.Reply](ctx context.Context, s *Session, req protocol.Request) (R, error) {
	var zero R
	rep, err := s.Do(ctx, req)
	if rep == nil {
		return zero, err
	}
	r, ok := rep.(R)
	if !ok {
		return zero, fmt.Errorf("%s: unexpected reply type %T", req.Type(), rep)
	}
	return r, err
}

// ToggleServiceMode switches the agent between customer-service (1) and outbound (2) mode.
func (s *Session) ToggleServiceMode(ctx context.Context, r *protocol.ToggleServiceModeRequest) (*protocol.ServiceModeReply, error) {
	return send[*protocol.ServiceModeReply](ctx, s, r)
}

// Checkin checks the agent in; the reply's token is kept for reconnects and HTTP calls.
func (s *Session) Checkin(ctx context.Context, r *protocol.CheckinRequest) (*protocol.CheckinReply, error) {
	return send[*protocol.CheckinReply](ctx, s, r)
}

// Checkout checks the agent out and drops the token.
func (s *Session) Checkout(ctx context.Context, r *protocol.CheckoutRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// Ping sends one heartbeat ping (the session pings by itself; this is for tools).
func (s *Session) Ping(ctx context.Context, r *protocol.PingRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// Call places an outbound call; the reply carries its uuid.
func (s *Session) Call(ctx context.Context, r *protocol.CallRequest) (*protocol.CallReply, error) {
	return send[*protocol.CallReply](ctx, s, r)
}

// ChangeMedia switches a call between audio and video.
func (s *Session) ChangeMedia(ctx context.Context, r *protocol.ChangeMediaRequest) (*protocol.ChangeMediaReply, error) {
	return send[*protocol.ChangeMediaReply](ctx, s, r)
}

// ChangeStatus changes the agent's status (or, for supervisors, another agent's).
func (s *Session) ChangeStatus(ctx context.Context, r *protocol.ChangeStatusRequest) (*protocol.ChangeStatusReply, error) {
	return send[*protocol.ChangeStatusReply](ctx, s, r)
}

// Hold holds or resumes a call.
func (s *Session) Hold(ctx context.Context, r *protocol.HoldRequest) (*protocol.HoldReply, error) {
	return send[*protocol.HoldReply](ctx, s, r)
}

// Mute sends mute to the server as is (the agent layer answers it locally in RTC mode).
func (s *Session) Mute(ctx context.Context, r *protocol.MuteRequest) (*protocol.MuteReply, error) {
	return send[*protocol.MuteReply](ctx, s, r)
}

// Hangup ends a call.
func (s *Session) Hangup(ctx context.Context, r *protocol.HangupRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// Trans transfers a call.
func (s *Session) Trans(ctx context.Context, r *protocol.TransRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// Consult starts or cancels a consultation.
func (s *Session) Consult(ctx context.Context, r *protocol.ConsultRequest) (*protocol.ConsultReply, error) {
	return send[*protocol.ConsultReply](ctx, s, r)
}

// ConsultToTrans transfers to the consulted party before it answers.
func (s *Session) ConsultToTrans(ctx context.Context, r *protocol.ConsultToTransRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// ThreeWay brings a third party into a call.
func (s *Session) ThreeWay(ctx context.Context, r *protocol.ThreeWayRequest) (*protocol.ThreeWayReply, error) {
	return send[*protocol.ThreeWayReply](ctx, s, r)
}

// Eavesdrop lets a supervisor listen to an agent's call.
func (s *Session) Eavesdrop(ctx context.Context, r *protocol.EavesdropRequest) (*protocol.SupervisorReply, error) {
	return send[*protocol.SupervisorReply](ctx, s, r)
}

// Whisper lets a supervisor speak to an agent unheard by the customer.
func (s *Session) Whisper(ctx context.Context, r *protocol.WhisperRequest) (*protocol.SupervisorReply, error) {
	return send[*protocol.SupervisorReply](ctx, s, r)
}

// DTMF sends digits into a call.
func (s *Session) DTMF(ctx context.Context, r *protocol.DTMFRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// Substitute lets a supervisor pick up an agent's ringing call.
func (s *Session) Substitute(ctx context.Context, r *protocol.SubstituteRequest) (*protocol.SupervisorReply, error) {
	return send[*protocol.SupervisorReply](ctx, s, r)
}

// ForceCall lets a supervisor barge into an agent's call.
func (s *Session) ForceCall(ctx context.Context, r *protocol.ForceCallRequest) (*protocol.SupervisorReply, error) {
	return send[*protocol.SupervisorReply](ctx, s, r)
}

// InterruptCall lets a supervisor hang up an agent's call.
func (s *Session) InterruptCall(ctx context.Context, r *protocol.InterruptCallRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// Answer answers a ringing inbound call.
func (s *Session) Answer(ctx context.Context, r *protocol.AnswerRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// PlayRecord plays a recording into the agent's call.
func (s *Session) PlayRecord(ctx context.Context, r *protocol.PlayRecordRequest) (*protocol.PlayRecordReply, error) {
	return send[*protocol.PlayRecordReply](ctx, s, r)
}

// PlayRecordControl controls a playback started by PlayRecord.
func (s *Session) PlayRecordControl(ctx context.Context, r *protocol.PlayRecordControlRequest) (*protocol.BasicReply, error) {
	return send[*protocol.BasicReply](ctx, s, r)
}

// PreviewOutCall dials a customer of a preview-outbound task.
func (s *Session) PreviewOutCall(ctx context.Context, r *protocol.PreviewOutCallRequest) (*protocol.PreviewOutCallReply, error) {
	return send[*protocol.PreviewOutCallReply](ctx, s, r)
}

// GetStatus reads the agent's status, sub-status, call and parties (the
// platform server's request; allowed before check-in with a token).
func (s *Session) GetStatus(ctx context.Context, r *protocol.GetStatusRequest) (*protocol.GetStatusReply, error) {
	return send[*protocol.GetStatusReply](ctx, s, r)
}

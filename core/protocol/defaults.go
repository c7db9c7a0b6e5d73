package protocol

// Fields the platform's server requires (@NotNull) where the spec says
// "required, default ...". The SDK fills them when the application leaves
// them out; an application's own value always wins (docs/platform.md).
const (
	// DefaultAudio is audio's default: send and receive (3).
	DefaultAudio = MediaSendRecv
	// DefaultVideo is video's default: no video (0).
	DefaultVideo = MediaNone
	// DefaultOutLine is call's out_line default: an outside line (1). Calls
	// to another agent (callee_number = its agent id) need OutLineInternal.
	DefaultOutLine = OutLineExternal
)

// FillRequired sets the required fields r leaves unset: audio and video of
// call, answer, play_record and preview_out_call, and call's out_line. An
// answer takes the ringing call's own audio and video when the session
// knows them (see session); FillRequired only applies the defaults.
func FillRequired(r Request) {
	switch q := r.(type) {
	case *CallRequest:
		if q.OutLine == nil {
			q.OutLine = Ptr(DefaultOutLine)
		}
		q.Media.fill()
	case *AnswerRequest:
		q.Media.fill()
	case *PlayRecordRequest:
		q.Media.fill()
	case *PreviewOutCallRequest:
		q.Media.fill()
	}
}

func (m *Media) fill() {
	if m.Audio == nil {
		m.Audio = Ptr(DefaultAudio)
	}
	if m.Video == nil {
		m.Video = Ptr(DefaultVideo)
	}
}

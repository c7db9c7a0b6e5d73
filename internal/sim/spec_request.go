package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// specRequest is an incoming request read tolerantly: keys trimmed, every scalar
// available as a string.
type specRequest map[string]any

func parseSpecRequest(b []byte) (specRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	r := specRequest{}
	for k, v := range m {
		r[strings.TrimSpace(k)] = v
	}
	return r, nil
}

func (r specRequest) str(k string) string {
	switch v := r[k].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// int reads k as an int; def when unset, ok false when set but not a number.
func (r specRequest) int(k string, def int) (int, bool) {
	s := r.str(k)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return def, false
	}
	return n, true
}

func (r specRequest) bool(k string) bool {
	switch strings.ToLower(r.str(k)) {
	case "true", "1", "yes":
		return true
	}
	return false
}

func (r specRequest) msgType() string {
	t := r.str("msg_type")
	if t == "pickup" {
		return "answer"
	}
	return t
}

// Localized messages: the connection's LANGUAGE picks one.
var texts = map[string][2]string{
	"success":            {"success", "success"},
	"bad_json":           {"请求格式错误", "malformed request"},
	"unknown_type":       {"未知的消息类型", "unknown msg_type"},
	"wrong_password":     {"密码错误", "wrong password"},
	"no_agent":           {"坐席不存在", "no such agent"},
	"already_in":         {"坐席已在其他地方签入", "agent is already checked in elsewhere"},
	"not_checked_in":     {"坐席未签入", "agent is not checked in"},
	"in_call":            {"通话中不能进行该操作", "not allowed during a call"},
	"bad_state":          {"当前坐席状态不允许该操作", "not allowed in the agent's current status"},
	"no_call":            {"通话不存在", "no such call"},
	"missing":            {"缺少必填参数", "missing required field"},
	"bad_value":          {"参数值错误", "invalid field value"},
	"no_permission":      {"无权限", "permission denied"},
	"target_busy":        {"目标坐席不空闲", "target agent is not free"},
	"target_no_call":     {"目标坐席不在通话中", "target agent is not in a call"},
	"target_no_ring":     {"目标坐席没有振铃的来电", "target agent has no ringing call"},
	"no_free_agent":      {"没有空闲坐席", "no free agent"},
	"no_consult":         {"没有进行中的咨询", "no consultation in progress"},
	"not_playing":        {"没有正在播放的录音", "no recording is playing"},
	"call_init":          {"呼叫发起", "call initiated"},
	"call_start":         {"通话建立", "call established"},
	"call_end":           {"通话结束", "call ended"},
	"no_answer":          {"无人接听", "no answer"},
	"token_invalid":      {"token无效", "invalid token"},
	"checked_in":         {"签入", "checked in"},
	"checked_out":        {"签出", "checked out"},
	"force_by":           {"管理员强制操作", "forced by a supervisor"},
	"interrupted":        {"通话被管理员强拆", "call ended by a supervisor"},
	"substituted":        {"来电被代接", "call picked up by a supervisor"},
	"transferred":        {"通话已转接", "call transferred"},
	"rest_over":          {"小休结束", "rest is over"},
	"after_call":         {"通话结束后自动切换", "after-call action"},
	"dropped":            {"连接断开超时签出", "checked out after the link stayed down"},
	"customer_hangup":    {"客户挂断", "customer hung up"},
	"agent_hangup":       {"坐席挂断", "agent hung up"},
	"rtc_not_registered": {"分机未注册", "the agent's extension is not registered"},
	"rtc_refused":        {"坐席拒接", "the agent declined the call"},
	"rtc_no_answer":      {"坐席话机未应答", "the agent's phone did not answer"},
	"rtc_failed":         {"媒体连接失败", "the media leg failed"},
	"rtc_not_answered":   {"坐席话机未接听", "the agent's phone has not answered"},
}

func text(lang, key string) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return t[1]
	}
	return t[0]
}

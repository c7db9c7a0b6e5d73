package sim

import (
	"io"
	"net/http"
	"strings"
)

// The platform dialect's HTTP interfaces: SI (/cloudcc-sdk-interface/
// openapi/...) and CS (/cloudcc-client-server/openapi/...), as their
// controllers and GlobalExceptionHandler answer. Failures are HTTP 200 with
// ResultVO {"code": int, "message": ...}, or the handler's own VO.

// resultVO is the real GlobalExceptionHandler's body.
func resultVO(code int, message string) obj { return obj{"code": code, "message": message} }

func (s *platform) httpGetToken(w http.ResponseWriter, r *http.Request, cs bool) {
	s.logHTTP(r)
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, resultVO(500, "System Error!"))
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	q, err := parsePlatformRequest(b)
	if err != nil {
		writeJSON(w, http.StatusOK, resultVO(400, "请求body异常"))
		return
	}
	if !cs {
		// SI: @Validated ClientGetTokenDTO, the Default group; every
		// violation joined by " && " (and the last separator cut short).
		var msgs []string
		for _, f := range []string{"msg_type", "req_id", "company_code", "agent_pwd"} {
			if q.s(f) == "" {
				msgs = append(msgs, notEmptyMsg(f))
			}
		}
		if len(msgs) > 0 {
			m := strings.Join(msgs, " && ") + " && "
			writeJSON(w, http.StatusOK, resultVO(400, m[:len(m)-3]))
			return
		}
	}
	q["msg_type"] = "get_token" // the controller overwrites it
	if _, msg, bad := q.validate("s:os", "s:agent_id"); bad {
		writeJSON(w, http.StatusOK, resultVO(400, msg))
		return
	}
	s.mu.Lock()
	code, msg, token := s.issueToken(q)
	s.mu.Unlock()
	o := obj{"code": code, "msg": msg, "reply": true}
	q.copyTo(o, "req_id", "company_code", "msg_type")
	switch code {
	case "0":
		o["token"] = token
	case "4003":
		o = obj{"code": code, "msg": msg}
	case "4043":
		// The password's encryption throws outside the handler's catch.
		o = resultVO(500, "System Error!")
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *platform) httpList(w http.ResponseWriter, r *http.Request, cs, skills bool) {
	s.logHTTP(r)
	if cs {
		// CS RequestAuthInterceptor: @Auth checks SDK-TOKEN (SI's copy of
		// the interceptor is not registered: no check there).
		s.mu.Lock()
		ok := s.tokenValid(r.Header.Get("SDK-TOKEN"))
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusOK, resultVO(403, "鉴权不通过!"))
			return
		}
	}
	qs := r.URL.Query()
	if !qs.Has("company_code") {
		writeJSON(w, http.StatusOK, resultVO(500, "System Error!")) // a missing @RequestParam
		return
	}
	code, name := qs.Get("company_code"), qs.Get("service_name")
	data := []any{}
	if co := s.company(code); co != nil {
		if skills {
			for _, sk := range co.Skills {
				if strings.Contains(sk.Name, name) {
					data = append(data, sk)
				}
			}
		} else {
			for _, iv := range co.IVRs {
				if strings.Contains(iv.Name, name) {
					data = append(data, iv)
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, obj{"company_code": code, "code": "0", "msg": "成功!", "data": data})
}

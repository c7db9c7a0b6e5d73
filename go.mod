module github.com/cloudcc/agent-sdk

go 1.24

require (
	github.com/goccy/go-json v0.12.0
	github.com/google/uuid v1.6.0
	github.com/gorilla/websocket v1.5.3
)

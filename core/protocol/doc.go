// Package protocol holds the CloudCC agent-toolbar messages and their codec.
//
// It knows the spec's message names, fields and types (spec 7.0.0) and nothing
// of sockets: requests are encoded with the spec's field names and unset
// optionals omitted; replies and pushed events are decoded tolerantly, the way
// the platform is seen to send them (numbers as strings and back, padded keys
// and values, misspelled twins, null or "" for unset), and each decoded
// message keeps its raw JSON.
package protocol

// Package sdkerr holds the error kinds that several of the SDK's packages
// return, so that one errors.Is test matches them wherever they come from.
// The packages export them under their own names too (session, rtc and
// httpapi's ErrInvalidArgument are this package's value).
package sdkerr

import "errors"

// ErrInvalidArgument: a configuration or a parameter is unusable. Errors
// of this kind wrap it with the detail ("%w: ...").
var ErrInvalidArgument = errors.New("cloudcc: invalid argument")

// ErrInternal: a fault inside the SDK (a contained Go panic). The operation
// or the feature it hit failed; the SDK and the host go on. Errors of this
// kind wrap it with where it happened ("%w in ...").
var ErrInternal = errors.New("cloudcc: internal error")

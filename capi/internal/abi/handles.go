package abi

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
)

// The handle table: a cc_client_t* is an id of this table carried in a
// pointer. Ids are random-based and never reused, so a freed or foreign
// pointer is simply not found.
var (
	tableMu sync.RWMutex
	table   = map[uintptr]*client{}
	nextID  uintptr
)

func init() {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// A high, even-aligned start far from small integers and typical heap addresses.
	nextID = uintptr(0x7c00_0000_0000) + uintptr(binary.LittleEndian.Uint32(b[:])&^0xff)<<8
}

func register(c *client) uintptr {
	tableMu.Lock()
	defer tableMu.Unlock()
	nextID += 16
	c.id = nextID
	table[c.id] = c
	return c.id
}

func lookup(id uintptr) *client {
	tableMu.RLock()
	defer tableMu.RUnlock()
	return table[id]
}

func unregister(id uintptr) *client {
	tableMu.Lock()
	defer tableMu.Unlock()
	c := table[id]
	delete(table, id)
	return c
}

// handles counts the live clients: tests check it is back to zero.
func handles() int {
	tableMu.RLock()
	defer tableMu.RUnlock()
	return len(table)
}

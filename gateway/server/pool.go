package server

import "sync"

// syncPool adapts sync.Pool to websocket.BufferPool.
type syncPool struct{ p sync.Pool }

func (s *syncPool) Get() any  { return s.p.Get() }
func (s *syncPool) Put(v any) { s.p.Put(v) }

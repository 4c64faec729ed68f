package main

import (
	"fmt"
	"runtime"
	"time"
)

func (f *figures) print(o options, t *target, fl floor) {
	fmt.Printf("\n| measure | result | target |\n|---|---|---|\n")
	fmt.Printf("| connects+auths per second (%d conns, %d connectors) | %.0f /s | >= 10,000 /s |\n", o.conns, o.connectors, f.connectRate)
	fmt.Printf("| gateway RSS: idle / holding %d / after dispatch phases | %.1f / %.1f / %.1f MB | |\n", o.conns,
		float64(f.baseRSS)/1024, float64(f.heldRSS)/1024, float64(f.endRSS)/1024)
	fmt.Printf("| RSS per held connection | %.2f KB | <= 8 KB |\n", f.perConnKB(o))
	fmt.Printf("| of which Go heap in use / goroutine stacks per connection | %.2f KB / %.2f KB | |\n",
		f.heldStats["go_memstats_heap_inuse_bytes"]/float64(o.conns)/1024, f.heldStats["go_memstats_stack_inuse_bytes"]/float64(o.conns)/1024)
	fmt.Printf("| dispatches per second (%d dispatchers, unix socket) | %.0f /s | >= 20,000 /s |\n", o.dispatchers, f.dispatchRate)
	fmt.Printf("| CPU per connect+auth: gateway / load generator | %.0f µs / %.0f µs | |\n",
		perOp(f.connCPU, o.conns), perOp(f.lgConnCPU, o.conns))
	fmt.Printf("| CPU per dispatch (incl. delivery): gateway / load generator | %.0f µs / %.0f µs | |\n",
		perOp(f.dispCPU, o.dispatches), perOp(f.lgDispCPU, o.dispatches))
	fmt.Printf("| gateway CPU per dispatch at %d/s (sent at %.0f/s) | %.0f µs | |\n", o.rate, f.pacedRate(o), perOp(f.pacedCPU, o.paced))
	if len(t.nats) > 0 {
		fmt.Printf("| of the gateway side's CPU per connect+auth: gateway nodes / NATS servers | %.0f µs / %.0f µs | |\n",
			perOp(f.connCPU-f.natsConnCPU, o.conns), perOp(f.natsConnCPU, o.conns))
		fmt.Printf("| of the gateway side's CPU per dispatch: gateway nodes / NATS servers | %.0f µs / %.0f µs | |\n",
			perOp(f.dispCPU-f.natsDispCPU, o.dispatches), perOp(f.natsDispCPU, o.dispatches))
		fmt.Printf("| NATS servers' RSS: before / after (all three) | %.1f / %.1f MB | |\n", float64(f.baseNATS)/1024, float64(f.heldNATS)/1024)
	}
	// The generator shares the machine's cores; what the gateway alone
	// could sustain is the cores divided by its own CPU per operation.
	// Computed, not measured: it assumes perfect use of every core.
	cores := float64(runtime.NumCPU())
	fmt.Printf("| computed: the gateway's rate if it had all %d cores (cores / its CPU per op), connects / dispatches | %.0f /s / %.0f /s | |\n",
		runtime.NumCPU(), cores*float64(o.conns)/f.connCPU, cores*float64(o.dispatches)/f.dispCPU)
	fmt.Printf("| dispatch-to-receive under saturation p50 / p99 (p99.9, max) | %s / %s (%s, %s) | |\n", ms(f.satLat[0]), ms(f.satLat[1]), ms(f.satLat[2]), ms(f.satLat[3]))
	fmt.Printf("| dispatch-to-receive at %d/s p50 / p99 (p99.9, max) | %s / %s (%s, %s) | p99 <= 3 ms |\n", o.rate, ms(f.pacedLat[0]), ms(f.pacedLat[1]), ms(f.pacedLat[2]), ms(f.pacedLat[3]))
	fmt.Printf("| machine floor: bare TCP connect + 1 round trip, held (no gateway) | %.0f /s, %.0f µs CPU each (both sides) | |\n", fl.tcpRate, fl.tcpCPU)
	fmt.Printf("| machine floor: trivial net/http server over a unix socket, %d clients, the dispatch phase's client (no gateway) | %.0f /s, %.0f µs CPU each (both sides) | |\n", o.dispatchers, fl.httpRate, fl.httpCPU)
	fmt.Printf("| notifications lost | 0 of %d | 0 |\n", o.dispatches+o.paced)
}

// printSideBySide prints issue 17's figures as ours / Centrifugo's from
// this run, their ratio, and the machine floor where one applies.
func printSideBySide(o options, ours, theirs *figures, fl floor) {
	fmt.Printf("\n| figure (this run) | ours / Centrifugo | ours ÷ Centrifugo | machine floor |\n|---|---|---|---|\n")
	row := func(name string, a, b float64, unit, fmtv, floorText string) {
		fmt.Printf("| %s | "+fmtv+" / "+fmtv+" %s | %.2f | %s |\n", name, a, b, unit, a/b, floorText)
	}
	row("RSS per held connection", ours.perConnKB(o), theirs.perConnKB(o), "KB", "%.2f", "0 (the kernel's socket memory is not in RSS)")
	row("CPU per connect+auth (server)", perOp(ours.connCPU, o.conns), perOp(theirs.connCPU, o.conns), "µs", "%.0f",
		fmt.Sprintf("%.0f µs: bare TCP connect + 1 round trip, both sides", fl.tcpCPU))
	row("CPU per dispatch, full speed (server)", perOp(ours.dispCPU, o.dispatches), perOp(theirs.dispCPU, o.dispatches), "µs", "%.0f",
		fmt.Sprintf("%.0f µs: a trivial HTTP request, both sides", fl.httpCPU))
	row(fmt.Sprintf("CPU per dispatch at %d/s (server)", o.rate), perOp(ours.pacedCPU, o.paced), perOp(theirs.pacedCPU, o.paced), "µs", "%.0f",
		fmt.Sprintf("%.0f µs: a trivial HTTP request, both sides", fl.httpCPU))
	row(fmt.Sprintf("p99 at %d/s", o.rate), msf(ours.pacedLat[1]), msf(theirs.pacedLat[1]), "ms", "%.2f", "")
	row(fmt.Sprintf("max at %d/s", o.rate), msf(ours.pacedLat[3]), msf(theirs.pacedLat[3]), "ms", "%.2f", "")
	row("connects+auths per second", ours.connectRate, theirs.connectRate, "/s", "%.0f", fmt.Sprintf("%.0f /s bare TCP connects", fl.tcpRate))
	row("dispatches per second", ours.dispatchRate, theirs.dispatchRate, "/s", "%.0f", fmt.Sprintf("%.0f /s trivial HTTP requests", fl.httpRate))
	fmt.Printf("(paced phase sent at %.0f/s to ours, %.0f/s to Centrifugo; the generator's own garbage collections in it: %d, %d)\n",
		ours.pacedRate(o), theirs.pacedRate(o), ours.pacedGCs, theirs.pacedGCs)
	fmt.Printf("(generator's CPU per connect / per dispatch: %.0f / %.0f µs against ours, %.0f / %.0f µs against Centrifugo; Centrifugo's publishes go over loopback TCP, ours over a unix socket)\n",
		perOp(ours.lgConnCPU, o.conns), perOp(ours.lgDispCPU, o.dispatches), perOp(theirs.lgConnCPU, o.conns), perOp(theirs.lgDispCPU, o.dispatches))
}

// pacedRate is the rate the paced phase's dispatches were sent at.
func (f *figures) pacedRate(o options) float64 {
	return float64(o.paced-1) / f.pacedSend.Seconds()
}

func msf(d time.Duration) float64 { return float64(d) / 1e6 }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

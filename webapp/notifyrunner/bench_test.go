package notifyrunner

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/keboola/analyst-alerts/gateway/gatewaytest"
	"github.com/keboola/analyst-alerts/webapp/botclient"
	"github.com/keboola/analyst-alerts/webapp/botclient/bottest"
)

// BenchmarkDeliver is one alert delivered to both sinks in parallel: the
// stand-in bot socket and a real gateway over its unix socket.
func BenchmarkDeliver(b *testing.B) {
	bot := bottest.Start(b)
	gw := gatewaytest.Start(b, gatewaytest.Options{})
	bc := botclient.New(bot.Socket)
	defer bc.Close()
	gc := gw.Client()
	defer gc.Close()
	r := &Runner{Sinks: []Sink{TelegramSink{Bot: bc}, GatewaySink{Client: gc}}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a := Alert{User: "petr", Title: "Revenue down 39%", Message: "Revenue was 26,273 from 475 orders.", Script: "revenue_drop",
		Timestamp: time.Now().UTC().Format(time.RFC3339)}
	b.ReportAllocs()
	for b.Loop() {
		a.ID = uuid.NewString()
		if took := r.deliver(context.Background(), r.Log, a); len(took) != 2 {
			b.Fatalf("delivered to %v", took)
		}
	}
}

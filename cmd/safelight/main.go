// Command safelight is the Safelight server and its administration tool.
// See internal/app for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Calls for entries show deadlines in their IANA time zone; the
	// database is embedded so that a host without zoneinfo (a minimal
	// container) shows them too.
	_ "time/tzdata"

	"safelight/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

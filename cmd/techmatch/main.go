// Command techmatch serves, imports, reindexes, checks, evaluates and benchmarks techmatch.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/techmatch/techmatch/internal/config"
)

const usage = `techmatch matches R&D supply (achievements, patents, experts) with enterprise demands.

Usage:
  techmatch serve [--config FILE] [--demo]
      Run the HTTP API. --demo loads the built-in demo data when the store is empty.
  techmatch import --kind KIND [--server URL] [--key KEY] FILE...
      Send files to a running server, with progress, and report the rejected lines:
      NDJSON (one record per line), or CSV and XLSX tables (.csv, .xlsx) as the console
      uploads them. KIND: achievements, patents, experts, demands.
      URL defaults to $TECHMATCH_SERVER or http://localhost:8080; KEY to $TECHMATCH_ADMIN_KEY.
  techmatch reindex [--config FILE]
      Rebuild the search index from the store (stop the server first).
  techmatch check [--config FILE]
      Verify that the store and the index hold the same records; exits 1 naming any difference.
  techmatch eval --corpus FILE --kind KIND --queries FILE [--profile P] [--k 10] [--baseline cjk|jieba] [--json]
        [--per-query FILE] [--text-model FILE]
      Relevance on a labelled corpus: MRR@k, Recall@k, NDCG@k (graded), empty lists, latency.
  techmatch fit --set name=N,corpus=FILE,queries=FILE[,pairs=FILE] [--set ...] [--out FILE]
        [--signals-without-description S,...] [--signals-with-description S,...] [--dump FILE]
        [--refit both|with_description|without_description]
      Fit the text model's weights to labelled sets, cross-validated by query; --out writes
      them as configs/text_model.json reads (docs/relevance.md). --refit fits one kind of
      demand's weights only and keeps the other's from the model in use.
  techmatch outcomes --out DIR [--config FILE]
      Write the agents' outcomes (signed, negotiating, contacted, rejected entries) as
      labelled sets, one per supply kind, that fit and eval read: refit on the platform's own.
  techmatch bench --docs N [--source FILE] [--seed S] [--baseline] [--json]
        [--demands 500] [--redis URL] [--store postgres://...] [--keep DIR] [--cpuprofile FILE]
      Indexing rate, match latency (uncached, cached) and memory on a generated corpus;
      --baseline times plain bleve in the same run; --store also measures the PostgreSQL
      store, side by side with SQLite, in a schema of its own that it drops at the end;
      --keep leaves the SQLite data dir to serve.
  techmatch help [COMMAND]

Configuration: configs/techmatch.yaml holds the defaults (built in); --config FILE replaces
it; TECHMATCH_* environment variables override both (see README).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "techmatch:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr, getenv)
	case "import":
		return cmdImport(ctx, rest, stdout, stderr, getenv)
	case "reindex":
		return cmdReindex(ctx, rest, stdout, stderr, getenv)
	case "check":
		return cmdCheck(ctx, rest, stdout, stderr, getenv)
	case "eval":
		return cmdEval(ctx, rest, stdout, stderr, getenv)
	case "bench":
		return cmdBench(ctx, rest, stdout, stderr, getenv)
	case "fit":
		return cmdFit(ctx, rest, stdout, stderr, getenv)
	case "outcomes":
		return cmdOutcomes(ctx, rest, stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

// newFlags makes a flag set that prints to stderr and does not exit.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// loadConfig reads --config (or nothing: the built-in defaults) and the environment.
func loadConfig(path string, getenv func(string) string) (config.Config, error) {
	return config.Load(path, getenv)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Log.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

package bench

import (
	"fmt"
	"io"
)

// Print writes the report for people, with the speed and memory targets checked where the
// run measured both sides.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d records, %d demands\n", r.Docs, r.Demands)
	fmt.Fprintf(w, "%-34s %10s\n", "indexing (docs/s)", "")
	fmt.Fprintf(w, "  %-32s %10.0f%s\n", "techmatch (store+outbox+index)", r.IndexDocsPerS, cpuNote(r.IndexCPUS))
	if r.BaselineIndexDocsPerS > 0 {
		fmt.Fprintf(w, "  %-32s %10.0f%s\n", "plain bleve, unsafe batches", r.BaselineIndexDocsPerS, cpuNote(r.BaselineIndexCPUS))
	}
	fmt.Fprintf(w, "%-34s %8s %8s %8s\n", "latency (ms)", "p50", "p95", "p99")
	row := func(name string, l Latency) {
		fmt.Fprintf(w, "  %-32s %8.2f %8.2f %8.2f\n", name, l.P50, l.P95, l.P99)
	}
	row("match, uncached", r.MatchMS)
	if r.LongMatchMS != nil {
		row("match, uncached, described", *r.LongMatchMS)
	}
	row("match, cached (in-process)", r.CachedMatchMS)
	if r.RedisCachedMatchMS != nil {
		row("match, cached (redis)", *r.RedisCachedMatchMS)
	}
	if r.BaselineRecallMS != nil {
		row("plain bleve top-200 query", *r.BaselineRecallMS)
	}
	fmt.Fprintf(w, "peak RSS: techmatch %.0f MiB", r.RSSMB)
	if r.BaselineRSSMB > 0 {
		fmt.Fprintf(w, ", plain bleve %.0f MiB", r.BaselineRSSMB)
	}
	fmt.Fprintln(w)
	for _, t := range r.Targets() {
		mark := "ok  "
		if !t.Met {
			mark = "MISS"
		}
		fmt.Fprintf(w, "[%s] %s\n", mark, t.What)
	}
}

func cpuNote(s float64) string {
	if s <= 0 {
		return ""
	}
	return fmt.Sprintf("   (%.1f CPU-s)", s)
}

// Target is one of the speed and memory targets (docs/benchmarks.md) as this run measured it.
type Target struct {
	What string
	Met  bool
}

// Targets checks the in-process targets (wrk throughput is scripts/bench-wrk.sh's). The
// ones against plain bleve are only checked when the baseline ran.
func (r *Report) Targets() []Target {
	out := []Target{
		{fmt.Sprintf("uncached match p95 %.2f ms ≤ 25 ms", r.MatchMS.P95), r.MatchMS.P95 <= 25},
		{fmt.Sprintf("peak RSS %.0f MiB ≤ 1024 MiB", r.RSSMB), r.RSSMB <= 1024},
	}
	if r.BaselineIndexDocsPerS > 0 {
		ratio := r.IndexDocsPerS / r.BaselineIndexDocsPerS
		out = append(out, Target{fmt.Sprintf("indexing %.2f× plain bleve ≥ 0.8×", ratio), ratio >= 0.8})
	}
	if r.BaselineRecallMS != nil && r.BaselineRecallMS.P95 > 0 {
		ratio := r.MatchMS.P95 / r.BaselineRecallMS.P95
		out = append(out, Target{fmt.Sprintf("uncached match p95 %.2f× plain bleve's top-200 p95 ≤ 3×", ratio), ratio <= 3})
	}
	return out
}

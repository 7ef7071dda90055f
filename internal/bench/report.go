package bench

import (
	"fmt"
	"io"
	"strings"
)

// Print writes the report for people, the stores side by side, with the speed and memory
// targets checked where the run measured both sides.
func (r *Report) Print(w io.Writer) {
	stores := r.Stores()
	// Each store has a column group as wide as its three latencies; the groups after the first
	// are set off by a bar.
	group := func(i int, s string) string {
		if i > 0 {
			return " │" + s
		}
		return s
	}
	fmt.Fprintf(w, "%d records, %d demands\n", r.Docs, r.Demands)
	if len(stores) > 1 {
		fmt.Fprintf(w, "%-34s", "")
		for i, s := range stores {
			fmt.Fprint(w, group(i, fmt.Sprintf(" %26s", s.Store)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%-34s %10s\n", "indexing (docs/s)", "")
	fmt.Fprintf(w, "  %-32s", "techmatch (store+outbox+index)")
	for i, s := range stores {
		fmt.Fprint(w, group(i, fmt.Sprintf(" %10.0f%-16s", s.IndexDocsPerS, cpuNote(s.IndexCPUS))))
	}
	fmt.Fprintln(w)
	if r.BaselineIndexDocsPerS > 0 {
		fmt.Fprintf(w, "  %-32s %10.0f%s\n", "plain bleve, unsafe batches", r.BaselineIndexDocsPerS, cpuNote(r.BaselineIndexCPUS))
	}
	fmt.Fprintf(w, "%-34s", "latency (ms)")
	for i := range stores {
		fmt.Fprint(w, group(i, fmt.Sprintf(" %8s %8s %8s", "p50", "p95", "p99")))
	}
	fmt.Fprintln(w)
	row := func(name string, lat func(Figures) *Latency) {
		fmt.Fprintf(w, "  %-32s", name)
		for i, s := range stores {
			cell := fmt.Sprintf(" %8s %8s %8s", "", "", "")
			if l := lat(s); l != nil {
				cell = fmt.Sprintf(" %8.2f %8.2f %8.2f", l.P50, l.P95, l.P99)
			}
			fmt.Fprint(w, group(i, cell))
		}
		fmt.Fprintln(w)
	}
	row("match, uncached", func(s Figures) *Latency { return &s.MatchMS })
	if r.LongMatchMS != nil {
		row("match, uncached, described", func(s Figures) *Latency { return s.LongMatchMS })
	}
	row("match, cached (in-process)", func(s Figures) *Latency { return &s.CachedMatchMS })
	if r.RedisCachedMatchMS != nil {
		row("match, cached (redis)", func(s Figures) *Latency { return s.RedisCachedMatchMS })
	}
	if r.BaselineRecallMS != nil {
		fmt.Fprintf(w, "  %-32s %8.2f %8.2f %8.2f\n", "plain bleve top-200 query", r.BaselineRecallMS.P50, r.BaselineRecallMS.P95, r.BaselineRecallMS.P99)
	}
	rss := make([]string, len(stores))
	for i, s := range stores {
		rss[i] = fmt.Sprintf("%.0f MiB", s.RSSMB)
		if len(stores) > 1 {
			rss[i] += " on " + s.Store
		}
	}
	fmt.Fprintf(w, "peak RSS: techmatch %s", strings.Join(rss, ", "))
	if r.BaselineRSSMB > 0 {
		fmt.Fprintf(w, "; plain bleve %.0f MiB", r.BaselineRSSMB)
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

// Targets checks the in-process targets (wrk throughput is scripts/bench-wrk.sh's) for each
// store measured, named when there are several. The ones against plain bleve are only checked
// when the baseline ran.
func (r *Report) Targets() []Target {
	stores := r.Stores()
	var out []Target
	for _, s := range stores {
		var on string
		if len(stores) > 1 {
			on = s.Store + ": "
		}
		out = append(out,
			Target{fmt.Sprintf("%suncached match p95 %.2f ms ≤ 25 ms", on, s.MatchMS.P95), s.MatchMS.P95 <= 25},
			Target{fmt.Sprintf("%speak RSS %.0f MiB ≤ 1024 MiB", on, s.RSSMB), s.RSSMB <= 1024},
		)
		if r.BaselineIndexDocsPerS > 0 {
			ratio := s.IndexDocsPerS / r.BaselineIndexDocsPerS
			out = append(out, Target{fmt.Sprintf("%sindexing %.2f× plain bleve ≥ 0.8×", on, ratio), ratio >= 0.8})
		}
		if r.BaselineRecallMS != nil && r.BaselineRecallMS.P95 > 0 {
			ratio := s.MatchMS.P95 / r.BaselineRecallMS.P95
			out = append(out, Target{fmt.Sprintf("%suncached match p95 %.2f× plain bleve's top-200 p95 ≤ 3×", on, ratio), ratio <= 3})
		}
	}
	return out
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/techmatch/techmatch/internal/domain"
)

// outcomeLevel is the relevance level (1 unrelated … 4 closely related, as BDCI grades) that
// an agent's work on a match-list entry says the pair has; ok is false for an entry that says
// nothing of it yet (new, withdrawn) or was rejected for a reason no one gave.
//
// A signed deal is closely related (4), a negotiation related (3), a contact a pair worth a
// call and no more (2). A rejection as not relevant is unrelated (1); a rejection for price,
// mode, timing or a need already met says the text matched and something else did not, so it
// counts as related (3).
func outcomeLevel(e *domain.MatchEntry) (level int, ok bool) {
	switch e.Status {
	case domain.StatusSigned:
		return 4, true
	case domain.StatusNegotiating:
		return 3, true
	case domain.StatusContacted:
		return 2, true
	case domain.StatusRejected:
		switch e.Reason {
		case domain.RejectNotRelevant:
			return 1, true
		case domain.RejectPrice, domain.RejectMode, domain.RejectTooEarly, domain.RejectAlreadySolved:
			return 3, true
		}
	}
	return 0, false
}

// cmdOutcomes writes the agents' outcomes on the match lists as labelled sets that `techmatch
// fit` and `techmatch eval` read, one per supply kind: the kind's records as the corpus, the
// demands with a related record (level 3 or 4) as the queries (their text only: title,
// description, keywords; the related records as graded relevance, 4 → 2, 3 → 1), and a pairs file of {"demand", "record", "level"}. It only reads the store, so it can run
// beside a running server.
func cmdOutcomes(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlags("outcomes", stderr)
	cfgPath := fs.String("config", "", "configuration file")
	out := fs.String("out", "", "folder to write the sets into (created if missing)")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: techmatch outcomes --out DIR [--config FILE]")
		return errUsage
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if cfg.Store.URL == "" {
		// Opening would make an empty store where there is none.
		if _, err := os.Stat(sqlitePath(cfg)); err != nil {
			return fmt.Errorf("outcomes: no store at %s (data_dir %q): %w", sqlitePath(cfg), cfg.DataDir, err)
		}
	}
	st, err := openStore(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, _, err := st.Entries(ctx, domain.EntryFilter{}, 0, 0)
	if err != nil {
		return err
	}
	sets := judgedPairs(entries)
	if len(sets) == 0 {
		fmt.Fprintln(stdout, "no judged match-list entries yet (signed, negotiating, contacted or rejected): nothing written")
		return nil
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, k := range domain.SupplyKinds {
		pairs := sets[k]
		if len(pairs) == 0 {
			continue
		}
		n, err := writeOutcomeSet(ctx, st, k, pairs, *out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d judged pairs over %d demands, corpus of %d records\n", k, len(pairs), n.demands, n.records)
		fmt.Fprintf(stdout, "  techmatch fit --set name=%[1]s,kind=%[1]s,corpus=%[2]s,queries=%[3]s,pairs=%[4]s …\n", k,
			filepath.Join(*out, "corpus-"+string(k)+".jsonl"), filepath.Join(*out, "queries-"+string(k)+".jsonl"),
			filepath.Join(*out, "pairs-"+string(k)+".jsonl"))
	}
	return nil
}

// outcomePair is one judged demand–record pair, a line of a pairs file.
type outcomePair struct {
	Demand string `json:"demand"`
	Record string `json:"record"`
	Level  int    `json:"level"`
}

// judgedPairs turns entries into judged pairs by supply kind, in the order of the entries'
// ids; a pair on several entries (one per profile version or agent) takes the level of the
// entry last updated.
func judgedPairs(entries []*domain.MatchEntry) map[domain.Kind][]outcomePair {
	slices.SortFunc(entries, func(a, b *domain.MatchEntry) int {
		if c := a.UpdatedAt.Compare(b.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	type key struct {
		kind           domain.Kind
		demand, supply string
	}
	at := map[key]int{}
	out := map[domain.Kind][]outcomePair{}
	for _, e := range entries {
		level, ok := outcomeLevel(e)
		if !ok {
			continue
		}
		k := key{e.SupplyKind, e.DemandID, e.SupplyID}
		if i, seen := at[k]; seen {
			out[e.SupplyKind][i].Level = level
			continue
		}
		at[k] = len(out[e.SupplyKind])
		out[e.SupplyKind] = append(out[e.SupplyKind], outcomePair{Demand: e.DemandID, Record: e.SupplyID, Level: level})
	}
	return out
}

type outcomeCounts struct{ demands, records int }

// writeOutcomeSet writes one kind's corpus, queries and pairs files, each put in place only
// once it is whole. Pairs whose demand or record is gone are left out.
func writeOutcomeSet(ctx context.Context, st recordStore, k domain.Kind, pairs []outcomePair, dir string) (outcomeCounts, error) {
	var n outcomeCounts
	held := map[string]bool{}
	corpus, err := createAtomic(filepath.Join(dir, "corpus-"+string(k)+".jsonl"))
	if err != nil {
		return n, err
	}
	defer corpus.abort()
	enc := corpus.lines()
	if err := st.Scan(ctx, k, func(r domain.Record) error {
		held[r.GetMeta().ID] = true
		n.records++
		return enc.Encode(r)
	}); err != nil {
		return n, err
	}

	var ids []string
	relevant := map[string]map[string]int{}
	for _, p := range pairs {
		grade := p.Level - 2
		if !held[p.Record] || grade <= 0 {
			continue
		}
		if relevant[p.Demand] == nil {
			relevant[p.Demand] = map[string]int{}
			ids = append(ids, p.Demand)
		}
		relevant[p.Demand][p.Record] = grade
	}
	demands, err := st.GetMany(ctx, domain.Demands, ids)
	if err != nil {
		return n, err
	}
	queries, err := createAtomic(filepath.Join(dir, "queries-"+string(k)+".jsonl"))
	if err != nil {
		return n, err
	}
	defer queries.abort()
	qenc := queries.lines()
	for _, id := range ids {
		d, ok := demands[id].(*domain.Demand)
		if !ok {
			continue
		}
		n.demands++
		text := map[string]any{"title": d.Title}
		if d.Description != "" {
			text["description"] = d.Description
		}
		if len(d.Keywords) > 0 {
			text["keywords"] = d.Keywords
		}
		if err := qenc.Encode(map[string]any{"id": id, "text": d.Title, "demand": text, "relevant": relevant[id]}); err != nil {
			return n, err
		}
	}

	pf, err := createAtomic(filepath.Join(dir, "pairs-"+string(k)+".jsonl"))
	if err != nil {
		return n, err
	}
	defer pf.abort()
	penc := pf.lines()
	for _, p := range pairs {
		if relevant[p.Demand] == nil || demands[p.Demand] == nil || !held[p.Record] {
			continue
		}
		if err := penc.Encode(p); err != nil {
			return n, err
		}
	}
	for _, f := range []*atomicFile{corpus, queries, pf} {
		if err := f.commit(); err != nil {
			return n, err
		}
	}
	return n, nil
}

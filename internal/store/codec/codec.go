// Package codec turns the JSON bodies stores keep back into typed records, fast; every store
// writes records with encoding/json and reads them with this package.
package codec

import (
	"encoding/json"
	"fmt"
	"runtime"

	gojson "github.com/goccy/go-json"
	"golang.org/x/sync/errgroup"

	"github.com/techmatch/techmatch/internal/domain"
)

// Decode turns a stored body back into the typed record of kind k.
//
// Every body was written by encoding/json from the same types (Put validates, then marshals),
// and goccy/go-json reads it back ~4× faster: encoding/json was 42% of a match's CPU at 100k
// records, for the 200 candidates of each kind. TestDecodeAgreesWithEncodingJSON holds the two
// equal on every kind of record and on arbitrary text. A body it refuses is decoded again by
// encoding/json, whose error is the one reported.
func Decode(k domain.Kind, body []byte) (domain.Record, error) {
	rec, err := domain.NewRecord(k)
	if err != nil {
		return nil, err
	}
	if gojson.Unmarshal(body, rec) == nil {
		return rec, nil
	}
	if rec, err = domain.NewRecord(k); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, rec); err != nil {
		return nil, fmt.Errorf("decode stored %s: %w", k, err)
	}
	return rec, nil
}

// parallelDecodeMin is the batch size from which decoding is spread over the CPUs.
const parallelDecodeMin = 64

// DecodeAll decodes bodies in order. Large batches are split over the CPUs because JSON
// decoding, not the database, takes most of the time of a 200-record read.
func DecodeAll(k domain.Kind, bodies [][]byte) ([]domain.Record, error) {
	out := make([]domain.Record, len(bodies))
	workers := min(runtime.GOMAXPROCS(0), len(bodies)/parallelDecodeMin)
	if workers <= 1 {
		for i, b := range bodies {
			r, err := Decode(k, b)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	var g errgroup.Group
	chunk := (len(bodies) + workers - 1) / workers
	for start := 0; start < len(bodies); start += chunk {
		end := min(start+chunk, len(bodies))
		g.Go(func() error {
			for i := start; i < end; i++ {
				r, err := Decode(k, bodies[i])
				if err != nil {
					return err
				}
				out[i] = r
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

package sheet_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/sheet"
)

// seeds adds every file of testdata with the extension to the corpus.
func seeds(f *testing.F, ext string) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no %s seeds in testdata: %v", ext, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// importRows runs what the import route runs; every accepted row must decode as a record.
func importRows(t *testing.T, f sheet.Format, data []byte) {
	for _, k := range domain.AllKinds {
		rows, recs, err := sheet.Records(k, f, data, 8<<20)
		if err != nil {
			if _, ok := domain.AsError(err); !ok {
				t.Fatalf("%s: error without a code: %v", k, err)
			}
			continue
		}
		for i, r := range rows {
			if r.Err == nil && recs[i] != nil {
				_, _ = domain.DecodeRecord(k, recs[i]) // may reject, must not panic
			}
			if r.Line < 2 {
				t.Fatalf("%s: data row numbered %d", k, r.Line)
			}
		}
	}
}

func FuzzCSVImport(f *testing.F) {
	seeds(f, ".csv")
	f.Fuzz(func(t *testing.T, data []byte) { importRows(t, sheet.CSV, data) })
}

func FuzzXLSXImport(f *testing.F) {
	seeds(f, ".xlsx")
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, []byte("PK")) || len(data) < 4096 {
			importRows(t, sheet.XLSX, data)
		}
	})
}

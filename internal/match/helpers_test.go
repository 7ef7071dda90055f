package match_test

import (
	"os"
	"sync"
	"testing"

	"github.com/techmatch/techmatch/internal/taxonomy"
)

var (
	taxOnce sync.Once
	tax     *taxonomy.Taxonomy
	taxErr  error
)

// loadTaxonomy reads the taxonomy and regions the binary embeds.
func loadTaxonomy(t testing.TB) *taxonomy.Taxonomy {
	t.Helper()
	taxOnce.Do(func() {
		var tx, rg []byte
		if tx, taxErr = os.ReadFile("../../configs/taxonomy.yaml"); taxErr != nil {
			return
		}
		if rg, taxErr = os.ReadFile("../../configs/regions.yaml"); taxErr != nil {
			return
		}
		tax, taxErr = taxonomy.Load(tx, rg)
	})
	if taxErr != nil {
		t.Fatal(taxErr)
	}
	return tax
}

func f64(x float64) *float64 { return &x }

package index_test

import (
	"sync"
	"testing"

	"github.com/techmatch/techmatch/index"
)

var (
	segOnce sync.Once
	seg     *index.Segmenter
	segErr  error
)

// segmenter loads jieba once for all tests of the package: it costs ~130 MB and ~0.5 s.
func segmenter(t testing.TB) *index.Segmenter {
	t.Helper()
	segOnce.Do(func() { seg, segErr = index.NewSegmenter("", "") })
	if segErr != nil {
		t.Fatal(segErr)
	}
	return seg
}

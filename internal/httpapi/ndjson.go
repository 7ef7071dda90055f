package httpapi

import (
	"bufio"
	"bytes"
	"io"

	"github.com/techmatch/techmatch/internal/domain"
)

// ParseNDJSON reads records of kind k, one JSON object per line, from r: each valid line goes
// to accept and each invalid one to reject, in line order; blank lines are skipped. A read error
// (such as the import size limit) ends the input: it is returned with the line it stopped at,
// which is left unread, since it may be cut short.
// It is the import's parser, apart from storage, so that it can be fuzzed on its own.
func ParseNDJSON(r io.Reader, k domain.Kind, accept func(line int, rec domain.Record), reject func(Rejected)) (int, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	for line := 1; ; line++ {
		data, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return line, err
		}
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 {
			rec, derr := domain.DecodeRecord(k, trimmed)
			if derr != nil {
				reject(Rejected{Line: line, ID: guessID(trimmed), Error: errorText(derr)})
			} else {
				accept(line, rec)
			}
		}
		if err == io.EOF {
			return line, nil
		}
	}
}

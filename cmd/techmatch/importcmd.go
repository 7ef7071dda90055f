package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

const importChunkLines = 500

// cmdImport sends files to a running server: NDJSON in chunks, so that progress can be shown
// and a failure part-way loses only the chunk in flight (the server reports what it stored);
// a CSV or XLSX table (by its name's extension) whole, as the console uploads it, rows
// reported by their number in the table.
func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlags("import", stderr)
	kindName := fs.String("kind", "", "achievements, patents, experts or demands")
	server := fs.String("server", firstNonEmpty(getenv("TECHMATCH_SERVER"), "http://localhost:8080"), "server URL")
	key := fs.String("key", getenv("TECHMATCH_ADMIN_KEY"), "admin API key")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	kind, err := domain.ParseKind(*kindName)
	if err != nil {
		fmt.Fprintln(stderr, "import: --kind is required: achievements, patents, experts or demands")
		return errUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "import: name at least one file: NDJSON, .csv or .xlsx")
		return errUsage
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	url := strings.TrimRight(*server, "/") + "/v1/" + string(kind) + "/import"
	var accepted, rejected int
	for _, path := range fs.Args() {
		importOne := importFile
		if _, isTable := tableType(path); isTable {
			importOne = importTable
		}
		a, r, err := importOne(ctx, client, url, *key, path, stdout, stderr, *quiet)
		accepted += a
		rejected += r
		if err != nil {
			return fmt.Errorf("import %s: %w", path, err)
		}
	}
	fmt.Fprintf(stdout, "accepted %d, rejected %d\n", accepted, rejected)
	if rejected > 0 {
		return fmt.Errorf("%d lines rejected", rejected)
	}
	return nil
}

func importFile(ctx context.Context, client *http.Client, url, key, path string, stdout, stderr io.Writer, quiet bool) (accepted, rejected int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	st, _ := f.Stat()
	total := st.Size()
	var done int64
	r := bufio.NewReaderSize(f, 1<<20)
	lineNo := 0
	for {
		var chunk bytes.Buffer
		first := lineNo + 1
		n := 0
		var readErr error
		for n < importChunkLines {
			var line []byte
			line, readErr = r.ReadBytes('\n')
			if len(line) > 0 {
				lineNo++
				n++
				done += int64(len(line))
				chunk.Write(line)
				if line[len(line)-1] != '\n' {
					chunk.WriteByte('\n')
				}
			}
			if readErr != nil {
				break
			}
		}
		if n > 0 {
			rep, err := postChunk(ctx, client, url, key, "application/x-ndjson", bytes.NewReader(chunk.Bytes()))
			if err != nil {
				return accepted, rejected, fmt.Errorf("lines %d–%d: %w", first, lineNo, err)
			}
			accepted += rep.Accepted
			rejected += len(rep.Rejected)
			if len(rep.Rejected) > 0 && !quiet {
				clearProgress(stderr)
			}
			for _, rj := range rep.Rejected {
				printRejected(stdout, path, first+rj.Line-1, rj.ID, rj.Error)
			}
			if !quiet {
				progress(stderr, path, done, total)
			}
		}
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			return accepted, rejected, readErr
		}
	}
	if !quiet {
		fmt.Fprintln(stderr)
	}
	return accepted, rejected, nil
}

type importReport struct {
	Accepted int `json:"accepted"`
	Rejected []struct {
		Line  int    `json:"line"`
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"rejected"`
}

// printRejected prints a rejected line or row as FILE:N: [ID] ERROR.
func printRejected(w io.Writer, path string, line int, id, msg string) {
	if id != "" {
		msg = id + " " + msg
	}
	fmt.Fprintf(w, "%s:%d: %s\n", path, line, msg)
}

// tableType is the Content-Type of a CSV or XLSX file, by its name's extension.
func tableType(path string) (string, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "text/csv", true
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true
	}
	return "", false
}

// importTable sends a CSV or XLSX file in one request, with progress as it is sent; the
// server reads it as the console's upload (header row, then one record a row) and reports
// rejected rows by their number, the header being row 1.
func importTable(ctx context.Context, client *http.Client, url, key, path string, stdout, stderr io.Writer, quiet bool) (accepted, rejected int, err error) {
	ct, _ := tableType(path)
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	var body io.Reader = f
	if !quiet {
		body = &progressReader{r: f, total: st.Size(), show: func(done, total int64) { progress(stderr, path, done, total) }}
	}
	rep, err := postChunk(ctx, client, url, key, ct, body)
	if !quiet {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return 0, 0, err
	}
	for _, rj := range rep.Rejected {
		printRejected(stdout, path, rj.Line, rj.ID, rj.Error)
	}
	return rep.Accepted, len(rep.Rejected), nil
}

// progressReader shows how much of a body has been read, at most every 1% of it.
type progressReader struct {
	r           io.Reader
	done, total int64
	shown       int64
	show        func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.shown >= max(p.total/100, 1) || (err == io.EOF && p.done != p.shown) {
		p.shown = p.done
		p.show(p.done, p.total)
	}
	return n, err
}

func postChunk(ctx context.Context, client *http.Client, url, key, contentType string, body io.Reader) (*importReport, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("server answered %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	var rep importReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("server answer: %w", err)
	}
	return &rep, nil
}

// clearProgress blanks the progress line, so that a line printed next does not run into it.
func clearProgress(w io.Writer) {
	fmt.Fprintf(w, "\r%s\r", strings.Repeat(" ", progressWidth))
}

// progressWidth is at least the width of a progress line.
const progressWidth = 100

func progress(w io.Writer, name string, done, total int64) {
	const width = 30
	if total <= 0 {
		total = 1
	}
	filled := int(float64(width) * float64(done) / float64(total))
	filled = min(filled, width)
	fmt.Fprintf(w, "\r%s [%s%s] %3d%%", name, strings.Repeat("#", filled), strings.Repeat(".", width-filled), 100*done/total)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

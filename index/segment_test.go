package index_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/techmatch/techmatch/index"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

type goldenToken struct {
	Term  string `json:"term"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Pos   int    `json:"pos"`
}

type goldenCase struct {
	Input  string        `json:"input"`
	Exact  []goldenToken `json:"exact"`
	Search []goldenToken `json:"search"`
}

var segmentInputs = []string{
	"锂离子电池负极材料的制备方法",
	"合成孔径雷达(SAR)图像的目标识别，基于Lyapunov函数。",
	"  南京大学 研发的 GaN 功率器件：耐压 650V！  ",
	"“先试用后转让”模式下的专利开放许可",
	"ＡＢＣ全角字母与5G通信",
	"",
	"。，、！？",
}

func tokens(seg *index.Segmenter, search bool, input string) []goldenToken {
	out := []goldenToken{}
	for _, t := range seg.Tokenizer(search).Tokenize([]byte(input)) {
		out = append(out, goldenToken{string(t.Term), t.Start, t.End, t.Position})
	}
	return out
}

// TestTokenizeGolden pins segmentation: terms, byte offsets, positions, punctuation dropped.
// Run with -update after a deliberate change (and bump SchemaVersion).
func TestTokenizeGolden(t *testing.T) {
	seg := segmenter(t)
	var got []goldenCase
	for _, in := range segmentInputs {
		got = append(got, goldenCase{Input: in, Exact: tokens(seg, false, in), Search: tokens(seg, true, in)})
	}
	path := filepath.Join("testdata", "segment.golden.json")
	if *update {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []goldenCase
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("segmentation differs from %s:\n got %+v\nwant %+v", path, got, want)
	}
	for _, c := range got {
		for _, tok := range append(c.Exact, c.Search...) {
			if tok.Term == "" || !utf8.ValidString(tok.Term) {
				t.Errorf("%q: bad token %+v", c.Input, tok)
			}
		}
	}
}

func TestCut(t *testing.T) {
	seg := segmenter(t)
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"锂离子电池负极", []string{"锂离子", "电池", "负极"}},
		{"基于Lyapunov函数。", []string{"基于", "lyapunov", "函数"}},
		{"  ，。！ ", []string{}},
		{"", []string{}},
	} {
		if got := seg.Cut(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Cut(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNewSegmenterErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.dict")
	if err := os.WriteFile(bad, []byte("锂电池 10 n\nword\twith tab\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, dictDir, userDict string }{
		{"missing dict dir", filepath.Join(dir, "nope"), ""},
		{"missing user dict", "", filepath.Join(dir, "nope.dict")},
		{"malformed user dict", "", bad},
	} {
		if _, err := index.NewSegmenter(tc.dictDir, tc.userDict); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestSegmenterUserDict(t *testing.T) {
	dir := t.TempDir()
	dict := filepath.Join(dir, "user.dict")
	if err := os.WriteFile(dict, []byte("揭榜挂帅 1000 n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := index.NewSegmenter("", dict)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Cut("参加揭榜挂帅项目"); !reflect.DeepEqual(got, []string{"参加", "揭榜挂帅", "项目"}) {
		t.Errorf("Cut with user dict = %q", got)
	}
	again, err := index.NewSegmenter("", dict)
	if err != nil || again != s {
		t.Errorf("second NewSegmenter with the same dictionaries made a new instance (%v)", err)
	}
}

func FuzzTokenize(f *testing.F) {
	for _, in := range segmentInputs {
		f.Add(in)
	}
	f.Add("\xff\xfe锂\x00电池")
	f.Add("a\x00b")
	seg := segmenter(f)
	f.Fuzz(func(t *testing.T, in string) {
		for _, search := range []bool{false, true} {
			last := 0
			for _, tok := range seg.Tokenizer(search).Tokenize([]byte(in)) {
				if tok.Start < 0 || tok.End > len(in) || tok.Start >= tok.End {
					t.Fatalf("%q: token %v out of range", in, tok)
				}
				if tok.Start < last {
					t.Fatalf("%q: offsets not increasing at %v", in, tok)
				}
				if tok.Position <= 0 {
					t.Fatalf("%q: position %d", in, tok.Position)
				}
				last = tok.Start
			}
		}
	})
}

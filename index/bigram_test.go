package index_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/segment"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/index"
)

// bigramInputs are the cases where a one-pass cjk analyzer could go wrong: folding that
// changes a term's length, ideographs next to marks that attach to them, kana, rarer
// ideographs, numbers joined across punctuation, invalid UTF-8.
var bigramInputs = []string{
	"", "汉", "汉字", "汉 字", "锂离子电池，硅碳负极。", "本成果研制了高能量密度锂离子电池硅碳复合负极材料，循环寿命超过2000次。",
	"合成孔径雷达(SAR)图像的目标识别", "基于Lyapunov函数设计镇定控制器", "ＬｉＤＡＲ激光雷达，ｌｉｄａｒ点云",
	"3，5", "3.5MPa", "１，２３４．５", "1200 W/(m·K)以上", "Σ", "ΣΑΣ 系统", "ΟΔΟΣ汉", "İstanbul汉", "Ⱥ汉Ⱦ",
	"ｶﾞｷﾞ半角カナ", "ｶﾞ汉ﾟ", "かな漢字カタカナ", "汉\u0301字", "汉\u200d字", "汉\u200c", "a\u00ad汉", "汉\u00ad字",
	"㐀㐁汉", "𠀀𠀁汉字𠀂", "汉〇字々〆", "汉\u302a字", "汉\u3099", "汉😀字", "🇨🇳汉", "don't 汉", "汉'字", "汉_字",
	"汉\n字", "汉\r\n字", "\xff汉", "汉\xff", "汉\xe4\xb8", "汉字\xff汉字", "Ａ１２３汉", "汉“字”——《书》…",
	"α-突触核蛋白", "β2-微球蛋白", "CO₂排放", "汉\ufe0f", "ヴ汉", "한국어汉字", "mRNA疫苗", "5G通信", "汉。\u0301",
}

func bigramAnalyzers(t testing.TB) (ours, theirs analysis.Analyzer) {
	t.Helper()
	c := registry.NewCache()
	ours, err := c.AnalyzerNamed(index.AnalyzerBigram)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err = c.AnalyzerNamed(cjk.AnalyzerName)
	if err != nil {
		t.Fatal(err)
	}
	return ours, theirs
}

// sameTokens analyses copies of in with both and reports the first difference, if any, and
// whether ours changed its input (it shares the input's bytes where terms are verbatim).
func sameTokens(ours, theirs analysis.Analyzer, in string) error {
	a, b := []byte(in), []byte(in)
	got, want := ours.Analyze(a), theirs.Analyze(b)
	if string(a) != in {
		return fmt.Errorf("%q: the analyzer changed its input to %q", in, a)
	}
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) {
			return fmt.Errorf("%q: %d tokens, cjk gives %d", in, len(got), len(want))
		}
		g, w := got[i], want[i]
		if !bytes.Equal(g.Term, w.Term) || g.Start != w.Start || g.End != w.End || g.Position != w.Position ||
			g.Type != w.Type || g.KeyWord != w.KeyWord {
			return fmt.Errorf("%q: token %d is %s, cjk gives %s", in, i, g, w)
		}
	}
	return nil
}

func TestBigramAnalyzerIsCJK(t *testing.T) {
	ours, theirs := bigramAnalyzers(t)
	for _, in := range bigramInputs {
		if err := sameTokens(ours, theirs, in); err != nil {
			t.Error(err)
		}
	}
	// The demo data, line by line, and the CSL papers when they are here.
	n := 0
	err := fs.WalkDir(configs.FS, "demo", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(configs.FS, path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(data), "\n") {
			n++
			if err := sameTokens(ours, theirs, line); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("TECHMATCH_CSL_DIR"); dir != "" {
		f, err := os.Open(filepath.Join(dir, "papers.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			n++
			if err := sameTokens(ours, theirs, sc.Text()); err != nil {
				t.Error(err)
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d inputs and %d lines of data analysed alike", len(bigramInputs), n)
}

func FuzzBigramAnalyzer(f *testing.F) {
	for _, in := range bigramInputs {
		f.Add(in)
	}
	ours, theirs := bigramAnalyzers(f)
	f.Fuzz(func(t *testing.T, in string) {
		if err := sameTokens(ours, theirs, in); err != nil {
			t.Error(err)
		}
	})
}

// firstWord is the segmenter's first word of s and its type, as the unicode tokenizer sees them.
func firstWord(s string) (string, int) {
	seg := segment.NewWordSegmenterDirect([]byte(s))
	if !seg.Segment() {
		return "", -1
	}
	return string(seg.Bytes()), seg.Type()
}

// TestFastIdeographs: every rune the analyzer cuts by itself is, to the segmenter, a Han word
// of its own that nothing before it extends, and folding leaves it as it is.
func TestFastIdeographs(t *testing.T) {
	n := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !index.FastIdeograph(r) {
			continue
		}
		n++
		s := string(r)
		for _, in := range []string{s + "a", s + s} {
			if w, typ := firstWord(in); w != s || typ != segment.Ideo {
				t.Fatalf("%U: the segmenter's first word of %q is %q, type %d", r, in, w, typ)
			}
		}
		for _, before := range []string{"a", "1", "カ", "\u0301", "_", "'"} {
			seg := segment.NewWordSegmenterDirect([]byte(before + s))
			for seg.Segment() {
				if w := string(seg.Bytes()); strings.Contains(w, s) && w != s {
					t.Fatalf("%U: the segmenter joins it to %q in %q", r, w, before+s)
				}
			}
		}
		if strings.ToLower(s) != s {
			t.Fatalf("%U: lower-cases to %q", r, strings.ToLower(s))
		}
	}
	if n < 20000 {
		t.Fatalf("only %d fast ideographs", n)
	}
}

// TestAttachesNot: no rune said not to attach extends an ideograph's word before it.
func TestAttachesNot(t *testing.T) {
	n := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !index.AttachesNot(r) || !utf8.ValidRune(r) {
			continue
		}
		n++
		if w, _ := firstWord("汉" + string(r)); w != "汉" {
			t.Fatalf("%U attaches: the first word of 汉%c is %q", r, r, w)
		}
	}
	for _, r := range []rune{0x301, 0x200C, 0x200D, 0xAD, 0x302A, 0x3099, 0xFE0F, 0xFF9E} {
		if index.AttachesNot(r) {
			t.Errorf("%U is said not to attach, but it is a mark or a joiner", r)
		}
	}
	t.Logf("%d runes checked", n)
}

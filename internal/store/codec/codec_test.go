package codec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/internal/domain"
)

// stdDecode is what decode must give: encoding/json's reading of the body.
func stdDecode(t testing.TB, k domain.Kind, body []byte) domain.Record {
	t.Helper()
	rec, err := domain.NewRecord(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, rec); err != nil {
		t.Fatalf("encoding/json refuses %s: %v", body, err)
	}
	return rec
}

// agree stores rec as Put does (encoding/json) and requires decode to read it back exactly as
// encoding/json does.
func agree(t testing.TB, rec domain.Record) {
	t.Helper()
	body, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	k := rec.RecordKind()
	got, err := Decode(k, body)
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if want := stdDecode(t, k, body); !reflect.DeepEqual(got, want) {
		t.Fatalf("decode differs from encoding/json on %s:\n got %#v\nwant %#v", body, got, want)
	}
}

func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	t.Run("demo data", func(t *testing.T) {
		n := 0
		for _, k := range []domain.Kind{domain.Achievements, domain.Patents, domain.Experts, domain.Demands} {
			raw, err := fs.ReadFile(configs.FS, "demo/"+string(k)+".ndjson")
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if len(bytes.TrimSpace(sc.Bytes())) == 0 {
					continue
				}
				rec := stdDecode(t, k, sc.Bytes())
				rec.GetMeta().CreatedAt = time.Now()
				rec.GetMeta().UpdatedAt = rec.GetMeta().CreatedAt
				agree(t, rec)
				n++
			}
		}
		if n < 20 {
			t.Fatalf("read %d demo records; the demo data has more", n)
		}
	})
	t.Run("random records", func(t *testing.T) {
		r := rand.New(rand.NewPCG(4, 2))
		for range 2000 {
			for _, rec := range randomRecords(r) {
				agree(t, rec)
			}
		}
	})
	t.Run("a body it refuses gets encoding/json's error", func(t *testing.T) {
		_, err := Decode(domain.Achievements, []byte(`{"title": 5}`))
		if err == nil || !strings.Contains(err.Error(), "decode stored achievements") || !strings.Contains(err.Error(), "cannot unmarshal number") {
			t.Fatalf("got %v, want encoding/json's type error", err)
		}
	})
}

func FuzzDecodeAgrees(f *testing.F) {
	for _, s := range hardStrings {
		f.Add(s, s+"摘要", 1.5)
	}
	f.Fuzz(func(t *testing.T, title, summary string, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		p := &domain.Patent{Supply: domain.Supply{Meta: domain.Meta{ID: title}, Title: title, Summary: summary,
			Keywords: []string{summary, title}, Price: &domain.Range{Min: &x}}, LicenseFee: &x, Inventors: []string{title}}
		agree(t, p)
	})
}

// hardStrings are what JSON text makes hard: escapes, control characters, HTML characters
// encoding/json escapes, line separators, characters outside the BMP, invalid UTF-8.
var hardStrings = []string{
	"", "高镍三元正极材料", `"quoted" \back\slash /`, "\b\f\n\r\t", "\x00\x01\x1f\x7f",
	"<script>&amp;</script>", "\u2028\u2029", "😀𠀀氢", "\xff\xfe半个\xe4\xb8", "\ufffd", "\\u0041",
	strings.Repeat("长文本", 700),
}

func randomString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(hardStrings[r.IntN(len(hardStrings))])
	}
	return b.String()
}

func randomStrings(r *rand.Rand) []string {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, r.IntN(5)+1)
	for i := range out {
		out[i] = randomString(r)
	}
	return out
}

var hardFloats = []float64{0, math.Copysign(0, -1), 0.1, -5, 123.456, 1e-7, 1e21, 3.4e38, math.MaxFloat64, math.SmallestNonzeroFloat64}

func randomFloat(r *rand.Rand) *float64 {
	if r.IntN(3) == 0 {
		return nil
	}
	x := hardFloats[r.IntN(len(hardFloats))]
	if r.IntN(2) == 0 {
		x = r.NormFloat64() * 1e4
	}
	return &x
}

func randomRange(r *rand.Rand) *domain.Range {
	if r.IntN(3) == 0 {
		return nil
	}
	return &domain.Range{Min: randomFloat(r), Max: randomFloat(r)}
}

func randomTime(r *rand.Rand) time.Time {
	t := time.Unix(r.Int64N(4e9), r.Int64N(1e9))
	if r.IntN(2) == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", (r.IntN(27)-12)*3600))
}

func randomInt(r *rand.Rand) int {
	return []int{0, 1, -1, 9, math.MaxInt32, math.MinInt64}[r.IntN(6)]
}

func randomSupply(r *rand.Rand) domain.Supply {
	s := domain.Supply{
		Meta:  domain.Meta{ID: randomString(r), CreatedAt: randomTime(r), UpdatedAt: randomTime(r), Rev: r.Int64()},
		Title: randomString(r), Summary: randomString(r), Keywords: randomStrings(r), Fields: randomStrings(r),
		Region: randomString(r), Org: randomString(r), OrgType: randomString(r), TRL: randomInt(r),
		Stage: randomString(r), TransferModes: randomStrings(r), Price: randomRange(r), Status: randomString(r),
	}
	if r.IntN(2) == 0 {
		s.Market = &domain.Market{InvestorInterest: randomInt(r), Deals: randomInt(r)}
	}
	if r.IntN(2) == 0 {
		s.Contact = &domain.Contact{Name: randomString(r), Phone: randomString(r), Email: randomString(r)}
	}
	return s
}

// randomRecords returns one record of each kind, every field drawn from values JSON text
// makes hard, each slice and pointer nil, empty or set.
func randomRecords(r *rand.Rand) []domain.Record {
	p := &domain.Patent{Supply: randomSupply(r), PatentNo: randomString(r), PatentType: randomString(r),
		LegalStatus: randomString(r), IPC: randomStrings(r), Applicants: randomStrings(r), Inventors: randomStrings(r),
		FiledAt: randomString(r), GrantedAt: randomString(r), OpenLicense: r.IntN(2) == 0, LicenseFee: randomFloat(r)}
	e := &domain.Expert{Supply: randomSupply(r), Titles: randomStrings(r), ResearchAreas: randomStrings(r),
		AvailableFor: randomStrings(r), AchievementIDs: randomStrings(r), PatentIDs: randomStrings(r)}
	d := &domain.Demand{Meta: randomSupply(r).Meta, Title: randomString(r), Description: randomString(r),
		Keywords: randomStrings(r), Fields: randomStrings(r), Region: randomString(r), Enterprise: randomString(r),
		Budget: randomRange(r), MinTRL: randomInt(r), AcceptModes: randomStrings(r), Deadline: randomString(r),
		Status: randomString(r)}
	if r.IntN(2) == 0 {
		d.Challenge = &domain.Challenge{Bounty: randomFloat(r), Deadline: randomString(r)}
	}
	if r.IntN(2) == 0 {
		d.Contact = &domain.Contact{Name: randomString(r)}
	}
	return []domain.Record{&domain.Achievement{Supply: randomSupply(r)}, p, e, d}
}

package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/index"
)

// TestFitWritesAModelEvalAndServeRead runs `techmatch fit` on a small labelled set of both
// kinds of demand, then ranks with what it wrote: `eval --text-model` and the server's
// index.text_model read it, and a file that is not a model stops the start naming itself.
func TestFitWritesAModelEvalAndServeRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines []any) string {
		t.Helper()
		var b strings.Builder
		for _, l := range lines {
			data, _ := json.Marshal(l)
			b.Write(append(data, '\n'))
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	topics := []string{"锂离子电池隔膜", "氢燃料电池双极板", "石墨烯导热膜", "污水处理膜生物反应器", "工业机器人减速器",
		"疫苗佐剂", "光伏组件清洗", "风电叶片检测", "智慧消防监测", "集中润滑系统"}
	var corpus, queries, pairs []any
	for i, topic := range topics {
		for j, suffix := range []string{"制备方法", "关键技术研究", "产业化应用"} {
			corpus = append(corpus, map[string]any{"id": fmt.Sprintf("r%d-%d", i, j), "title": topic + suffix})
		}
		rel := map[string]int{fmt.Sprintf("r%d-0", i): 2, fmt.Sprintf("r%d-1", i): 1}
		queries = append(queries,
			map[string]any{"id": fmt.Sprintf("k%d", i), "text": topic, "relevant": rel},
			map[string]any{"id": fmt.Sprintf("l%d", i), "text": topic + " 企业需要" + topic + "的制备方法和关键技术，用于产业化。",
				"demand": map[string]any{"title": topic, "description": "企业需要" + topic + "的制备方法和关键技术，用于产业化。"}, "relevant": rel})
		pairs = append(pairs, map[string]any{"demand": fmt.Sprintf("l%d", i), "achievement": fmt.Sprintf("r%d-2", i), "level": 2})
	}
	c, q, p := write("corpus.jsonl", corpus), write("queries.jsonl", queries), write("pairs.jsonl", pairs)
	model := filepath.Join(dir, "model.json")
	out, err := runCLI(t, t.TempDir(), "fit", "--set", "name=tiny,corpus="+c+",queries="+q+",pairs="+p, "--folds", "2", "--out", model)
	if err != nil {
		t.Fatalf("fit: %v\n%s", err, out)
	}
	for _, want := range []string{"fitted (held out)", "plain BM25 cjk", "lexical alone", "fitted on all:", "wrote " + model} {
		if !strings.Contains(out, want) {
			t.Errorf("fit output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := index.ParseTextModel(data); err != nil {
		t.Fatalf("the written model does not parse: %v\n%s", err, data)
	}
	var file struct{ Fit struct{ Command string } }
	if err := json.Unmarshal(data, &file); err != nil || !strings.Contains(file.Fit.Command, "--folds 2") {
		t.Errorf("the model does not say how it was fitted: %v %s", err, data)
	}
	if out, err := runCLI(t, t.TempDir(), "eval", "--corpus", c, "--kind", "achievements", "--queries", q, "--text-model", model); err != nil ||
		!strings.Contains(out, "NDCG@10") || !strings.Contains(out, "empty") {
		t.Errorf("eval --text-model: %v\n%s", err, out)
	}

	// --refit with_description keeps the weights of demands without a description from the
	// model in use (here the one just fitted, as index.text_model) and fits the others.
	inUse, err := index.ParseTextModel(data)
	if err != nil {
		t.Fatal(err)
	}
	refitted := filepath.Join(dir, "refit.json")
	refit := exec.Command(binPath, "fit", "--set", "name=tiny,corpus="+c+",queries="+q+",pairs="+p, "--folds", "2",
		"--signals-without-description", "lexical", "--refit", "with_description", "--out", refitted)
	refit.Env = append(os.Environ(), "TECHMATCH_DATA_DIR="+t.TempDir(), "TECHMATCH_INDEX_TEXT_MODEL="+model)
	if out, err := refit.CombinedOutput(); err != nil {
		t.Fatalf("fit --refit with_description: %v\n%s", err, out)
	}
	data2, err := os.ReadFile(refitted)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := index.ParseTextModel(data2); err != nil || m.Keywords != inUse.Keywords {
		t.Errorf("fit --refit with_description: %v, without description %+v, want the model in use's %+v", err, m.Keywords, inUse.Keywords)
	}
	if out, err := runCLI(t, t.TempDir(), "fit", "--set", "name=tiny,corpus="+c+",queries="+q, "--refit", "descriptions"); err == nil ||
		!strings.Contains(out, `--refit "descriptions"`) {
		t.Errorf("fit --refit descriptions: %v, want a usage error naming it:\n%s", err, out)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"weights": {"without_description": {"head": 1}, "with_description": {"hed": 1}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "serve")
	cmd.Env = append(os.Environ(), "TECHMATCH_DATA_DIR="+t.TempDir(), "TECHMATCH_HTTP_ADDR=127.0.0.1:0", "TECHMATCH_INDEX_TEXT_MODEL="+bad)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "bad.json") || !strings.Contains(string(out), "hed") {
		t.Errorf("serve with a misspelt text model: %v\n%s; want a failed start naming the file and the key", err, out)
	}
}

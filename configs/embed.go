// Package configs embeds the default configuration, weight profile, taxonomy, regions,
// dictionaries, the word lists that steer query analysis (WordList) and demo data, so that
// one binary runs anywhere without the source tree.
package configs

import "embed"

// FS holds the files of this folder.
//
//go:embed techmatch.yaml weights.yaml text_model.json taxonomy.yaml regions.yaml dict demo
var FS embed.FS

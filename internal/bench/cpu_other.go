//go:build !unix

package bench

import "time"

// processCPU is not measured here: the reports leave the CPU figures at 0.
func processCPU() time.Duration { return 0 }

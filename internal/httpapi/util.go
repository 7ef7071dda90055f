package httpapi

import (
	"math"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

func boolKey(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// round keeps scores readable: four decimals.
func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

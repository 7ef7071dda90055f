package domain

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// RegionName is a region a name may mean: its GB/T 2260 code and its full name.
type RegionName struct {
	Code, Name string
}

// regionNames lists the regions a name may mean; set once at start (UseRegionNames).
var regionNames atomic.Pointer[func(name string) []RegionName]

// UseRegionNames makes region fields accept names as well as codes: lookup lists the regions a
// name may mean (南京 and 南京市 mean 320100; 吉林 means 吉林省 or 吉林市). The server sets it
// once at start from its region list (configs/regions.yaml); until then only codes are accepted.
func UseRegionNames(lookup func(name string) []RegionName) {
	regionNames.Store(&lookup)
}

// ResolveRegion is the code of a region field's value v: v itself when it is a 6-digit code,
// else the one region v names. An unknown name, or one that names several regions, is an
// invalid_argument error on field that lists the candidates.
func ResolveRegion(field, v string) (string, *Error) {
	v = strings.TrimSpace(v)
	if v == "" || regionPattern.MatchString(v) {
		return v, nil
	}
	var found []RegionName
	if lookup := regionNames.Load(); lookup != nil {
		found = (*lookup)(v)
	}
	switch len(found) {
	case 1:
		return found[0].Code, nil
	case 0:
		return "", Invalid(field, "%s %q 既不是 6 位行政区划代码（如 320100），也不是已知的地名（如 南京、南京市、江苏、江苏省）", field, v)
	}
	names := make([]string, len(found))
	for i, r := range found {
		names[i] = fmt.Sprintf("%s（%s）", r.Name, r.Code)
	}
	return "", Invalid(field, "%s %q 可指多个地区：%s；请写全称或代码", field, v, strings.Join(names, "、"))
}

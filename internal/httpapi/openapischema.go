package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// pageOf is the answer of a paged list: {total, page, size, items: [item…]}.
type pageOf struct{ item any }

// object is an answer written as a gin.H: each property's schema comes from its example value.
type object map[string]any

var (
	timeType   = reflect.TypeFor[time.Time]()
	rawType    = reflect.TypeFor[json.RawMessage]()
	recordType = reflect.TypeFor[domain.Record]()
)

// schemaSet builds OpenAPI 3.0 schemas from Go values the way encoding/json encodes them:
// named structs become components (#/components/schemas/Name), embedded structs are
// flattened, pointers and omitempty fields are optional, a domain.Record is one of the four
// record kinds.
type schemaSet struct {
	defs  map[string]any
	named map[reflect.Type]string
}

func newSchemaSet() *schemaSet {
	return &schemaSet{defs: map[string]any{}, named: map[reflect.Type]string{}}
}

// of is the schema of an example value: a Go value, pageOf or object.
func (s *schemaSet) of(v any) map[string]any {
	switch x := v.(type) {
	case pageOf:
		return map[string]any{"type": "object", "properties": map[string]any{
			"total": map[string]any{"type": "integer"}, "page": map[string]any{"type": "integer"}, "size": map[string]any{"type": "integer"},
			"items": map[string]any{"type": "array", "items": s.of(x.item)},
		}, "required": []string{"total", "page", "size", "items"}}
	case object:
		props := map[string]any{}
		for name, ex := range x {
			props[name] = s.of(ex)
		}
		return map[string]any{"type": "object", "properties": props}
	}
	return s.typeSchema(reflect.TypeOf(v))
}

func (s *schemaSet) typeSchema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{} // any JSON value
	case recordType:
		var one []any
		for _, k := range domain.AllKinds {
			r, _ := domain.NewRecord(k)
			one = append(one, s.typeSchema(reflect.TypeOf(r)))
		}
		return map[string]any{"oneOf": one}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return s.typeSchema(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": s.typeSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.typeSchema(t.Elem())}
	case reflect.Struct:
		return s.structSchema(t)
	}
	return map[string]any{} // interfaces: any value
}

// structSchema is a reference to a named struct's component, defined on first use, or an
// anonymous struct's schema inline.
func (s *schemaSet) structSchema(t reflect.Type) map[string]any {
	if t.Name() == "" {
		return s.structBody(t)
	}
	name, ok := s.named[t]
	if !ok {
		name = t.Name()
		if _, taken := s.defs[name]; taken {
			name = strings.ReplaceAll(t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:], ".", "") + name
		}
		s.named[t] = name
		s.defs[name] = map[string]any{} // a placeholder, for types that refer to themselves
		s.defs[name] = s.structBody(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// structBody is a struct's object schema. No property is marked required: one schema serves
// both the body a client sends (where the server fills ids and times) and the answer.
func (s *schemaSet) structBody(t reflect.Type) map[string]any {
	props := map[string]any{}
	s.fields(t, t, props)
	return map[string]any{"type": "object", "properties": props}
}

// fieldEnums are the closed sets of values of string fields, keyed "Type.field"; a list
// field's values are its items'.
var fieldEnums = map[string][]string{
	"Supply.status":             domain.SupplyStatuses,
	"Demand.status":             domain.DemandStatuses,
	"Demand.closed_reason":      domain.ClosedReasons,
	"Delivery.status":           domain.DeliveryStatuses,
	"TakeupRequest.supply_kind": {string(domain.Achievements), string(domain.Patents), string(domain.Experts)},
	"Takeup.supply_kind":        {string(domain.Achievements), string(domain.Patents), string(domain.Experts)},
	"Supply.org_type":           domain.OrgTypes,
	"Supply.transfer_modes":     domain.TransferModes,
	"Demand.accept_modes":       domain.TransferModes,
	"Patent.legal_status":       domain.LegalStatuses,
	"Patent.patent_type":        domain.PatentTypes,
	"Expert.available_for":      domain.AvailableFor,
	"MatchEntry.status":         domain.EntryStatuses,
	"EntryUpdate.status":        domain.EntryStatuses,
	"SearchHit.inactive":        {domain.InactiveClosed, domain.InactivePatentInvalid},
}

// fields adds the JSON fields of t (declared in owner, for embedded structs) to props, those
// of embedded structs without a tag too.
func (s *schemaSet) fields(owner, t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				s.fields(ft, ft, props)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		schema := s.typeSchema(ft)
		if enum, ok := fieldEnums[owner.Name()+"."+name]; ok {
			e := map[string]any{"type": "string", "enum": enum}
			if schema["type"] == "array" {
				schema = map[string]any{"type": "array", "items": e}
			} else {
				schema = e
			}
		}
		props[name] = schema
	}
}

// paramSchemas are the query parameters that are not plain strings.
var paramSchemas = map[string]map[string]any{
	"page":             {"type": "integer", "minimum": 1},
	"size":             {"type": "integer", "minimum": 1},
	"limit":            {"type": "integer", "minimum": 1},
	"trl_min":          {"type": "integer", "minimum": 1, "maximum": 9},
	"version":          {"type": "integer", "minimum": 1},
	"include_inactive": {"type": "boolean"},
	"unassigned":       {"type": "boolean"},
	"from":             {"type": "string", "format": "date"},
	"to":               {"type": "string", "format": "date"},
	"format":           {"type": "string", "enum": []string{"json", "csv", "xlsx"}},
	"status":           {"type": "string", "enum": domain.EntryStatuses},
}

func paramSchema(name string) map[string]any {
	if s, ok := paramSchemas[name]; ok {
		return s
	}
	return map[string]any{"type": "string"}
}

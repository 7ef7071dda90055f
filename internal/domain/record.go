package domain

import (
	"time"
)

// Kind names a record collection; it is also the path segment of the HTTP API.
type Kind string

const (
	Achievements Kind = "achievements"
	Patents      Kind = "patents"
	Experts      Kind = "experts"
	Demands      Kind = "demands"
)

// SupplyKinds are the kinds matched against demands, in display order.
var SupplyKinds = []Kind{Achievements, Patents, Experts}

// AllKinds are every record kind.
var AllKinds = []Kind{Achievements, Patents, Experts, Demands}

// ParseKind checks s against the known kinds.
func ParseKind(s string) (Kind, error) {
	for _, k := range AllKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", Invalid("kind", "未知类型 %q：应为 achievements、patents、experts 或 demands", s)
}

// IsSupply reports whether k is a supply kind.
func (k Kind) IsSupply() bool { return k == Achievements || k == Patents || k == Experts }

// Meta is what the server sets on every record.
type Meta struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Rev       int64     `json:"rev"`
}

// GetMeta gives access to a record's server-set fields.
func (m *Meta) GetMeta() *Meta { return m }

// Range is an amount in 万元; a nil bound is open.
type Range struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Market holds market signals used by Nanjing-style evaluation: investor interest and deals.
type Market struct {
	InvestorInterest int `json:"investor_interest"`
	Deals            int `json:"deals"`
}

// Contact is a person to reach; masked for callers without the right to see it.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Supply holds the fields common to achievements, patents and experts.
type Supply struct {
	Meta
	Title         string   `json:"title"`
	Summary       string   `json:"summary,omitempty"`
	Keywords      []string `json:"keywords,omitempty"`
	Fields        []string `json:"fields,omitempty"`
	Region        string   `json:"region,omitempty"`
	Org           string   `json:"org,omitempty"`
	OrgType       string   `json:"org_type,omitempty"`
	TRL           int      `json:"trl,omitempty"`
	Stage         string   `json:"stage,omitempty"`
	TransferModes []string `json:"transfer_modes,omitempty"`
	Price         *Range   `json:"price,omitempty"`
	Market        *Market  `json:"market,omitempty"`
	Status        string   `json:"status,omitempty"`
	Contact       *Contact `json:"contact,omitempty"`
}

// Common returns the shared supply fields.
func (s *Supply) Common() *Supply { return s }

// Achievement is a 科技成果.
type Achievement struct {
	Supply
}

// Patent is a 专利.
type Patent struct {
	Supply
	PatentNo    string   `json:"patent_no,omitempty"`
	PatentType  string   `json:"patent_type,omitempty"`
	LegalStatus string   `json:"legal_status,omitempty"`
	IPC         []string `json:"ipc,omitempty"`
	Applicants  []string `json:"applicants,omitempty"`
	Inventors   []string `json:"inventors,omitempty"`
	FiledAt     string   `json:"filed_at,omitempty"`
	GrantedAt   string   `json:"granted_at,omitempty"`
	OpenLicense bool     `json:"open_license,omitempty"`
	LicenseFee  *float64 `json:"license_fee,omitempty"`
}

// Expert is a 专家 profile; Title holds the expert's name and Summary the bio.
type Expert struct {
	Supply
	Titles         []string `json:"titles,omitempty"`
	ResearchAreas  []string `json:"research_areas,omitempty"`
	AvailableFor   []string `json:"available_for,omitempty"`
	AchievementIDs []string `json:"achievement_ids,omitempty"`
	PatentIDs      []string `json:"patent_ids,omitempty"`
}

// Challenge marks a 揭榜挂帅 demand: a bounty and a deadline.
type Challenge struct {
	Bounty   *float64 `json:"bounty,omitempty"`
	Deadline string   `json:"deadline,omitempty"`
}

// Demand is a 企业技术需求.
type Demand struct {
	Meta
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Keywords    []string   `json:"keywords,omitempty"`
	Fields      []string   `json:"fields,omitempty"`
	Region      string     `json:"region,omitempty"`
	Enterprise  string     `json:"enterprise,omitempty"`
	Budget      *Range     `json:"budget,omitempty"`
	MinTRL      int        `json:"min_trl,omitempty"`
	AcceptModes []string   `json:"accept_modes,omitempty"`
	Deadline    string     `json:"deadline,omitempty"`
	Challenge   *Challenge `json:"challenge,omitempty"`
	Status      string     `json:"status,omitempty"`
	// ClosedReason says why a closed demand is closed: ClosedAtDeadline or ClosedManually.
	ClosedReason string   `json:"closed_reason,omitempty"`
	Contact      *Contact `json:"contact,omitempty"`
}

// Record is any stored record.
type Record interface {
	RecordKind() Kind
	GetMeta() *Meta
	// Validate checks the record and normalises it in place (defaults, stage to TRL, trimming).
	Validate() error
}

// SupplyRecord is an achievement, patent or expert.
type SupplyRecord interface {
	Record
	Common() *Supply
}

func (*Achievement) RecordKind() Kind { return Achievements }
func (*Patent) RecordKind() Kind      { return Patents }
func (*Expert) RecordKind() Kind      { return Experts }
func (*Demand) RecordKind() Kind      { return Demands }

// NewRecord returns an empty record of kind k.
func NewRecord(k Kind) (Record, error) {
	switch k {
	case Achievements:
		return &Achievement{}, nil
	case Patents:
		return &Patent{}, nil
	case Experts:
		return &Expert{}, nil
	case Demands:
		return &Demand{}, nil
	}
	return nil, Invalid("kind", "未知类型 %q", k)
}

// Transfer modes (DESIGN.md): how supply can be taken up.
var TransferModes = []string{"transfer", "license", "equity", "joint_dev", "service", "trial_then_transfer"}

// ModeNames are the Chinese names used in reasons and the console.
var ModeNames = map[string]string{
	"transfer": "转让", "license": "许可", "equity": "作价入股",
	"joint_dev": "合作开发", "service": "技术服务", "trial_then_transfer": "先试用后转让",
}

// Stages maps the stage names the API accepts to a TRL.
var Stages = map[string]int{"实验室": 3, "小试": 4, "中试": 6, "样机": 7, "产业化": 9}

// OrgTypes are the accepted owner types.
var OrgTypes = []string{"university", "institute", "new_rnd_institution", "enterprise", "individual"}

// Demand statuses. A closed (or deleted) demand's open match-list entries are withdrawn.
const (
	DemandOpen    = "open"
	DemandMatched = "matched"
	DemandClosed  = "closed"
)

// Expert availability and patent enums.
var (
	AvailableFor       = []string{"consulting", "secondment", "joint_dev"}
	PatentTypes        = []string{"invention", "utility", "design"}
	LegalStatuses      = []string{"granted", "pending", "invalid", "expired"}
	SupplyStatuses     = []string{"active", "closed"}
	DemandStatuses     = []string{DemandOpen, DemandMatched, DemandClosed}
	defaultSupplyState = "active"
	defaultDemandState = DemandOpen
)

// MaskPhone keeps the first three and last four digits: 138****5678.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 7 {
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// MaskEmail keeps the first character of the local part: z***@example.com.
func MaskEmail(e string) string {
	for i, c := range e {
		if c == '@' {
			if i == 0 {
				return "***" + e[i:]
			}
			return string([]rune(e[:i])[0]) + "***" + e[i:]
		}
	}
	return "***"
}

// Masked returns a copy of c with phone and email masked; the name is kept.
func (c *Contact) Masked() *Contact {
	if c == nil {
		return nil
	}
	m := &Contact{Name: c.Name}
	if c.Phone != "" {
		m.Phone = MaskPhone(c.Phone)
	}
	if c.Email != "" {
		m.Email = MaskEmail(c.Email)
	}
	return m
}

// MaskContact masks the contact of any record in place.
func MaskContact(r Record) {
	switch v := r.(type) {
	case SupplyRecord:
		v.Common().Contact = v.Common().Contact.Masked()
	case *Demand:
		v.Contact = v.Contact.Masked()
	}
}

// Why a supply record is out of service, as InactiveReason says it.
const (
	InactiveClosed        = "closed"         // withdrawn by its holder or staff
	InactivePatentInvalid = "patent_invalid" // a patent invalidated or expired
)

// InactiveReason says why supply r cannot be taken up now: closed, or a patent no longer in
// force; "" for anything in service (demands included: their status says what they are).
func InactiveReason(r Record) string {
	s, ok := r.(SupplyRecord)
	if !ok {
		return ""
	}
	if s.Common().Status == "closed" {
		return InactiveClosed
	}
	if p, ok := r.(*Patent); ok && (p.LegalStatus == "invalid" || p.LegalStatus == "expired") {
		return InactivePatentInvalid
	}
	return ""
}

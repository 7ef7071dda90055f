// Package storetest is the conformance suite every techmatch store must pass: the SQLite store
// (internal/store) and the PostgreSQL store (internal/pgstore) run it from their tests.
package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Store is every method a store serves to techmatch's packages: the union of the interfaces
// its consumers declare (httpapi, worklist, indexer, match, eval, bench), cmd/techmatch's use,
// and Close.
type Store interface {
	Put(ctx context.Context, rec domain.Record) (bool, error)
	PutAs(ctx context.Context, d *domain.Demand, enterprise string) (bool, error)
	PutMany(ctx context.Context, recs []domain.Record) error
	Get(ctx context.Context, k domain.Kind, id string) (domain.Record, error)
	GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error)
	Delete(ctx context.Context, k domain.Kind, id string) error
	List(ctx context.Context, k domain.Kind, offset, limit int) ([]domain.Record, int, error)
	ListDemandsOf(ctx context.Context, enterprise string, offset, limit int) ([]domain.Record, int, error)
	Scan(ctx context.Context, k domain.Kind, fn func(domain.Record) error) error
	Count(ctx context.Context, k domain.Kind) (int, error)
	SampleDemandIDs(ctx context.Context, status string, n int) ([]string, error)
	DemandHead(ctx context.Context, id string) (domain.DemandHead, error)
	ExpertsLinking(ctx context.Context, k domain.Kind, ids []string) ([]string, error)
	Ping(ctx context.Context) error
	Close() error

	OutboxAfter(ctx context.Context, after uint64, limit int) ([]domain.OutboxEntry, error)
	OutboxHead(ctx context.Context) (uint64, error)
	PruneApplied(ctx context.Context, upTo uint64, before time.Time) (int64, error)
	ConsumerPosition(ctx context.Context, name string) (uint64, error)
	SetConsumerPosition(ctx context.Context, name string, pos uint64) error
	Exclusive(ctx context.Context, job string, fn func(context.Context))

	PutProfile(ctx context.Context, p *domain.Profile) error
	Profile(ctx context.Context, name string) (*domain.Profile, error)
	ProfileVersion(ctx context.Context, name string, version int) (*domain.Profile, error)
	ProfileVersions(ctx context.Context, name string) ([]*domain.Profile, error)
	Profiles(ctx context.Context) ([]*domain.Profile, error)
	ProfileHead(ctx context.Context, name string) (int, error)

	Audit(ctx context.Context, action string, k domain.Kind, id, detail string) error
	AuditLog(ctx context.Context, f domain.AuditFilter, offset, limit int) ([]domain.AuditEntry, int, error)

	CreateKey(ctx context.Context, k *domain.APIKey, hash []byte) error
	KeyByHash(ctx context.Context, hash []byte) (domain.APIKey, error)
	Keys(ctx context.Context) ([]domain.APIKey, error)
	RevokeKey(ctx context.Context, id string) error

	PutAgent(ctx context.Context, a *domain.Agent) (bool, error)
	Agent(ctx context.Context, id string) (*domain.Agent, error)
	Agents(ctx context.Context, offset, limit int) ([]*domain.Agent, int, error)
	DeleteAgent(ctx context.Context, id string) error
	AgentLoads(ctx context.Context) (map[string]int, error)
	DemandAgent(ctx context.Context, demandID string) (string, error)

	Entry(ctx context.Context, id string) (*domain.MatchEntry, error)
	Entries(ctx context.Context, f domain.EntryFilter, offset, limit int) ([]*domain.MatchEntry, int, error)
	SaveMatches(ctx context.Context, b domain.MatchBatch) ([]*domain.MatchEntry, error)
	UpdateEntry(ctx context.Context, id string, change func(*domain.MatchEntry) error) (*domain.MatchEntry, error)
	StatRows(ctx context.Context, from, to time.Time) ([]domain.StatRow, error)

	DueDeliveries(ctx context.Context, t time.Time, limit int) ([]domain.Delivery, error)
	NextDelivery(ctx context.Context) (time.Time, bool, error)
	RecordAttempt(ctx context.Context, id int64, status string, code int, errText string, next time.Time) error
	Deliveries(ctx context.Context, f domain.DeliveryFilter, offset, limit int) ([]domain.Delivery, int, error)
	Redeliver(ctx context.Context, id int64) (*domain.Delivery, error)

	AssignDemand(ctx context.Context, demandID, agentID string, announce func([]*domain.MatchEntry) (*domain.Delivery, error)) ([]*domain.MatchEntry, error)
	UnassignedDemands(ctx context.Context) ([]string, error)

	CloseLapsed(ctx context.Context, now time.Time) ([]string, error)
	AddTakeup(ctx context.Context, t *domain.Takeup) error
	Takeups(ctx context.Context, demandID string) ([]*domain.Takeup, error)
}

// Backend is what the suite needs of a store implementation. Storage is named by a string
// the backend makes: a file path, a database URL.
type Backend struct {
	// New makes new, empty storage for t and says where it is.
	New func(t *testing.T) string
	// Open opens a store on the storage at where and closes it at t.Cleanup (a second Close,
	// after the suite's own, must be harmless). The suite opens several on one storage to
	// stand for several processes.
	Open func(t *testing.T, where string) Store
	// OpenAnnounced is Open for a store that queues ann's deliveries (WithAnnouncer).
	OpenAnnounced func(t *testing.T, where string, ann domain.Announcer) Store
	// OpenCaching is Open for a store whose record cache holds up to n decoded records (0: the
	// store's default); cached says how many it holds now.
	OpenCaching func(t *testing.T, where string, n int) (s Store, cached func() int)
	// Exec runs SQL (statements without parameters, in the syntax SQLite and PostgreSQL share)
	// on the storage at where, outside any store: the suite stores old-format rows with it.
	Exec func(t *testing.T, where, query string)
	// RefuseAudit makes the storage at where refuse every new audit entry until allow is called.
	RefuseAudit func(t *testing.T, where string) (allow func())
	// Unavailable puts the storage of s (at where) out of service, as the engine's own faults
	// do (a full disk, a server gone), until restore is called.
	Unavailable func(t *testing.T, s Store, where string) (restore func())
}

// Run runs the suite on b, a subtest per behaviour.
func Run(t *testing.T, b Backend) {
	for _, c := range []struct {
		name string
		test func(*testing.T, Backend)
	}{
		{"PutCreateThenReplace", testPutCreateThenReplace},
		{"PutMakesIDs", testPutMakesIDs},
		{"GetNotFound", testGetNotFound},
		{"Delete", testDelete},
		{"ListPages", testListPages},
		{"GetManyManyIDs", testGetManyManyIDs},
		{"ReadsSeeEveryWrite", testReadsSeeEveryWrite},
		{"CallersCannotChangeWhatTheyRead", testCallersCannotChangeWhatTheyRead},
		{"ReadsShareNothing", testReadsShareNothing},
		{"ReadsAfterAWriteSeeIt", testReadsAfterAWriteSeeIt},
		{"RecordCacheBound", testRecordCacheBound},
		{"BulkReadsAreNotCached", testBulkReadsAreNotCached},
		{"ScanInIDOrderAcrossPages", testScanInIDOrderAcrossPages},
		{"CountAndSampleDemandIDs", testCountAndSampleDemandIDs},
		{"FailedWritesLeaveNoTrace", testFailedWritesLeaveNoTrace},
		{"PutManyDuplicateIDsInOneBatch", testPutManyDuplicateIDsInOneBatch},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ReopenKeepsEverything", testReopenKeepsEverything},
		{"OutboxRecordsEveryWriteInOrder", testOutboxRecordsEveryWriteInOrder},
		{"PruneOutboxNeverReusesSeq", testPruneOutboxNeverReusesSeq},
		{"PruneAppliedKeepsWhatAReaderStillNeeds", testPruneAppliedKeepsWhatAReaderStillNeeds},
		{"PruneWaitsForLiveReplicas", testPruneWaitsForLiveReplicas},
		{"ExclusiveEndsWithItsContext", testExclusiveEndsWithItsContext},
		{"ProfileVersions", testProfileVersions},
		{"ProfileHead", testProfileHead},
		{"ProfilesEmpty", testProfilesEmpty},
		{"ProfileStoredBeforeAParam", testProfileStoredBeforeAParam},
		{"KeysLifecycle", testKeysLifecycle},
		{"ListDemandsOf", testListDemandsOf},
		{"PutAsKeepsAnotherEnterprisesDemand", testPutAsKeepsAnotherEnterprisesDemand},
		{"PutAsRaceWithTheOwner", testPutAsRaceWithTheOwner},
		{"DemandHead", testDemandHead},
		{"ExpertsLinkingFollowsWrites", testExpertsLinkingFollowsWrites},
		{"Agents", testAgents},
		{"SaveMatchesMerges", testSaveMatchesMerges},
		{"UpdateEntryCountsASignedDeal", testUpdateEntryCountsASignedDeal},
		{"EntriesFiltersAndPages", testEntriesFiltersAndPages},
		{"Deliveries", testDeliveries},
		{"DeliveriesByStatus", testDeliveriesByStatus},
		{"Redeliver", testRedeliver},
		{"AssignDemand", testAssignDemand},
		{"AssignDemandCommitsWithItsAudit", testAssignDemandCommitsWithItsAudit},
		{"UnassignedDemands", testUnassignedDemands},
		{"CloseLapsedClosesThroughAnOrdinaryWrite", testCloseLapsedClosesThroughAnOrdinaryWrite},
		{"ClosingAndDeletingAreAnnouncedToTheHolder", testClosingAndDeletingAreAnnouncedToTheHolder},
		{"StatusChangesAreAnnouncedToTheHolder", testStatusChangesAreAnnouncedToTheHolder},
		{"Takeups", testTakeups},
		{"TakeupCommitsWithItsAuditAndAnnouncement", testTakeupCommitsWithItsAuditAndAnnouncement},
		{"DeleteOrCloseWithdrawsOpenEntries", testDeleteOrCloseWithdrawsOpenEntries},
		{"EveryWriteWithAnActorIsAudited", testEveryWriteWithAnActorIsAudited},
		{"AuditAndWriteCommitTogether", testAuditAndWriteCommitTogether},
		{"AuditLogFilters", testAuditLogFilters},
		{"AuditLogNewestFirst", testAuditLogNewestFirst},
		{"UnavailableStorage", testUnavailableStorage},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, b) })
	}
}

// open makes new storage and opens a store on it.
func open(t *testing.T, b Backend) (Store, string) {
	t.Helper()
	where := b.New(t)
	return b.Open(t, where), where
}

func f64(x float64) *float64 { return &x }

// achievement builds a valid, realistic achievement; n varies its text.
func achievement(id string, n int) *domain.Achievement {
	a := &domain.Achievement{Supply: domain.Supply{
		Meta:  domain.Meta{ID: id},
		Title: fmt.Sprintf("高镍三元正极材料低成本制备技术 %d", n),
		Summary: strings.Repeat(fmt.Sprintf("本成果第%d项：采用共沉淀与固相烧结结合的工艺，"+
			"制备高镍三元正极材料，循环寿命提升30%%，适用于动力电池与储能电池。", n), 3),
		Keywords:      []string{"锂电池", "正极材料", "高镍三元"},
		Fields:        []string{"新材料/电池材料"},
		Region:        "320100",
		Org:           "南京大学",
		OrgType:       "university",
		TRL:           6,
		TransferModes: []string{"license", "trial_then_transfer"},
		Price:         &domain.Range{Min: f64(50), Max: f64(80)},
		Market:        &domain.Market{InvestorInterest: 3, Deals: 1},
		Contact:       &domain.Contact{Name: "张老师", Phone: "13812345678", Email: "zhang@nju.edu.cn"},
	}}
	mustValidate(a)
	return a
}

func demand(id, status string, n int) *domain.Demand {
	d := &domain.Demand{
		Meta:        domain.Meta{ID: id},
		Title:       fmt.Sprintf("储能电池热失控预警 %d", n),
		Description: "需要一种低成本的电池热失控早期预警方案，可在产线上批量部署。",
		Keywords:    []string{"热失控", "储能"},
		Fields:      []string{"新能源/储能"},
		Region:      "350200",
		Enterprise:  fmt.Sprintf("厦门某储能科技有限公司%d", n%3),
		Budget:      &domain.Range{Max: f64(200)},
		MinTRL:      5,
		Status:      status,
	}
	mustValidate(d)
	return d
}

func profile(name string, text float64, note string) *domain.Profile {
	p := &domain.Profile{
		Name:    name,
		Weights: map[string]float64{"text": text, "field": 1 - text},
		Params:  domain.DefaultParams(),
		Note:    note,
		Author:  "staff-1",
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p
}

func mustValidate(r domain.Record) {
	if err := r.Validate(); err != nil {
		panic(err)
	}
}

func digest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func outboxAll(t *testing.T, s Store) []domain.OutboxEntry {
	t.Helper()
	es, err := s.OutboxAfter(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatalf("OutboxAfter: %v", err)
	}
	return es
}

// auditOf lists every audit entry f selects, oldest first.
func auditOf(t *testing.T, s Store, f domain.AuditFilter) []domain.AuditEntry {
	t.Helper()
	es, total, err := s.AuditLog(context.Background(), f, 0, 1000)
	if err != nil || total != len(es) {
		t.Fatalf("AuditLog(%+v) = %d of %d entries, %v", f, len(es), total, err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

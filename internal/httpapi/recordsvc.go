package httpapi

import (
	"context"
	"errors"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// recordService reads and writes records for a caller. It is the one place that decides which
// records a principal may see and write, and that tells the indexer about each write: staff,
// agents and anonymous callers reach every record a route lets them (AccessRules decides the
// routes); an enterprise only its own demands, and another enterprise's demand answers the
// same 404 as a missing one, so ids cannot be probed. Audit entries are the store's, written
// in each write's own transaction under the request's actor (see authenticate).
//
// A demand past its deadline that the sweep has not closed yet is read as closed, with
// closed_reason deadline (domain.Demand.CloseIfLapsed), and a single write may not store a
// demand open past its deadline (an import may: the sweep closes it).
type recordService struct {
	store   Store
	indexer Indexer
	alerts  Indexer // may be nil
	now     func() time.Time
}

// get reads one record the caller may see.
func (r recordService) get(ctx context.Context, p Principal, k domain.Kind, id string) (domain.Record, error) {
	rec, err := r.store.Get(ctx, k, id)
	if err != nil {
		return nil, notFound(err, k, id)
	}
	if !demandVisible(p, rec) {
		return nil, hidden(k, id)
	}
	r.lapse(rec)
	return rec, nil
}

// lapse closes, in what is answered, a demand that is open past its deadline.
func (r recordService) lapse(rec domain.Record) {
	if d, ok := rec.(*domain.Demand); ok {
		d.CloseIfLapsed(r.now())
	}
}

// written tells the indexer of a write, and the deliverer too for a demand, whose closing or
// deletion may have queued announcements.
func (r recordService) written(k domain.Kind) {
	r.indexer.Notify()
	if k == domain.Demands && r.alerts != nil {
		r.alerts.Notify()
	}
}

// demandHead reads the head of a demand the caller may see (see Store.DemandHead).
func (r recordService) demandHead(ctx context.Context, p Principal, id string) (domain.DemandHead, error) {
	h, err := r.store.DemandHead(ctx, id)
	if err != nil {
		return h, notFound(err, domain.Demands, id)
	}
	if p.Role == RoleEnterprise && !p.owns(&domain.Demand{Enterprise: h.Enterprise}) {
		return domain.DemandHead{}, hidden(domain.Demands, id)
	}
	return h, nil
}

// list is one page of the records of kind k the caller may see, and their total.
func (r recordService) list(ctx context.Context, p Principal, k domain.Kind, offset, limit int) (items []domain.Record, total int, err error) {
	if k == domain.Demands && p.Role == RoleEnterprise {
		items, total, err = r.store.ListDemandsOf(ctx, p.Subject, offset, limit)
	} else {
		items, total, err = r.store.List(ctx, k, offset, limit)
	}
	for _, rec := range items {
		r.lapse(rec)
	}
	return items, total, err
}

// put stores rec for the caller. An enterprise's demand is filed under the key's enterprise
// whatever the body says; a new one gets an id made by the store, and a given id must be one
// of the enterprise's own demands (the store checks it in the write's own transaction).
func (r recordService) put(ctx context.Context, p Principal, rec domain.Record) (created bool, err error) {
	d, ok := rec.(*domain.Demand)
	if ok {
		if err := d.CheckOpenable(r.now()); err != nil {
			return false, err
		}
	}
	if ok && p.Role == RoleEnterprise {
		created, err = r.store.PutAs(ctx, d, p.Subject)
		if errors.Is(err, domain.ErrNotOwner) {
			err = hidden(domain.Demands, d.ID)
		}
	} else {
		created, err = r.store.Put(ctx, rec)
	}
	if err == nil {
		r.written(rec.RecordKind())
	}
	return created, err
}

// putBatch stores a batch of an import, all or nothing; imports are staff's.
func (r recordService) putBatch(ctx context.Context, recs []domain.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if err := r.store.PutMany(ctx, recs); err != nil {
		return err
	}
	r.written(recs[0].RecordKind())
	return nil
}

// delete removes a record the caller may see.
func (r recordService) delete(ctx context.Context, p Principal, k domain.Kind, id string) error {
	if k == domain.Demands && p.Role == RoleEnterprise {
		if _, err := r.get(ctx, p, k, id); err != nil {
			return err
		}
	}
	if err := r.store.Delete(ctx, k, id); err != nil {
		return notFound(err, k, id)
	}
	r.written(k)
	return nil
}

// demandVisible reports whether p may see a record: every role that reaches a demand route
// sees every demand except an enterprise, which sees only its own.
func demandVisible(p Principal, r domain.Record) bool {
	d, ok := r.(*domain.Demand)
	if !ok || p.Role != RoleEnterprise {
		return true
	}
	return p.owns(d)
}

// things names what ids name, in the words of the errors users read.
var things = map[string]string{
	"achievements": "科技成果", "patents": "专利", "experts": "专家", "demands": "企业需求",
	"agent": "经纪人", "match": "匹配条目", "key": "密钥", "profile": "权重方案",
}

// thing is what's Chinese name, or what itself.
func thing(what string) string {
	if t, ok := things[what]; ok {
		return t
	}
	return what
}

// hidden is the answer for a record the caller may not see: the same 404 as for a missing one,
// so an enterprise cannot probe which demand ids other enterprises use.
func hidden(k domain.Kind, id string) error {
	return domain.Errorf(domain.CodeNotFound, "%s %q 不存在", thing(string(k)), id)
}

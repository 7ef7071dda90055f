package index

import (
	"time"
)

// persistWait bounds how long Close waits for unsafe batches to reach the disk. What is still
// in memory after it is not lost: the index reopens at the last persisted position and the
// outbox replays the rest.
const persistWait = 30 * time.Second

// waitPersisted returns once every batch applied so far is on disk, or after persistWait.
// With unsafe batches scorch persists in the background and drops what it has not persisted
// when closed; waiting here keeps a clean shutdown from turning into a replay at the next start.
func (ix *Index) waitPersisted() {
	adv, err := ix.bleve.Advanced()
	if err != nil {
		return
	}
	stats, ok := adv.(interface{ StatsMap() map[string]interface{} })
	if !ok {
		return
	}
	deadline := time.Now().Add(persistWait)
	for time.Now().Before(deadline) {
		// Every batch, internal-only ones too (the mapping bleve writes at creation), makes a new
		// root epoch; the persister has caught up once it has persisted the current one.
		m := stats.StatsMap()
		root, ok1 := m["CurRootEpoch"].(uint64)
		persisted, ok2 := m["LastPersistedEpoch"].(uint64)
		if !ok1 || !ok2 || persisted >= root {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

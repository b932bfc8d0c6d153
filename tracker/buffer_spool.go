package tracker

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/visitrack/visitrack/tracker/internal/spool"
)

// spoolBuffer keeps events in a spool file (QueueConfig.Spool), encoded as
// JSON: the spool is the queue. An event counts as held once the write that
// holds it is synced, and events are numbered by their sequence numbers in
// the spool. SpoolMaxBytes is a soft cap: sales and email links pass it.
type spoolBuffer struct {
	q                     *Queue
	sp                    *spool.Spool
	maxBytes              int64
	batchSize, batchBytes int

	appends  chan *appendReq
	appended chan struct{} // closed when the appender ends
	adding   sync.WaitGroup
}

// spoolRef is where an event of a batch is in the spool.
type spoolRef struct {
	seq  int64
	size int // of its record
}

type appendReq struct {
	data []byte
	done chan error
}

// openSpoolBuffer opens the spool file and counts what a previous run left
// in it as held.
func openSpoolBuffer(ctx context.Context, q *Queue) (*spoolBuffer, error) {
	sp, err := spool.Open(ctx, q.cfg.Spool)
	if err != nil {
		return nil, err
	}
	info, err := sp.Info(ctx)
	if err != nil {
		sp.Close()
		return nil, err
	}
	s := &spoolBuffer{q: q, sp: sp, maxBytes: q.cfg.SpoolMaxBytes,
		batchSize: q.cfg.BatchSize, batchBytes: q.cfg.BatchBytes,
		appends: make(chan *appendReq, 256), appended: make(chan struct{})}
	if info.Records > 0 {
		q.holdLocked(int(info.Records), int(info.Bytes), uint64(info.MaxSeq), false)
	}
	go s.appender()
	return s, nil
}

// fits applies the cap to the kinds a full queue drops. An event counts for
// its encoded size, not its size in memory: add finds it.
func (s *spoolBuffer) fits(k Kind, _, _, heldBytes int) bool {
	return mustKeep(k) || s.maxBytes < 0 || int64(heldBytes) < s.maxBytes
}

func (s *spoolBuffer) add(e Event, _ int) error {
	s.adding.Add(1)
	s.q.mu.Unlock()
	defer s.adding.Done()
	data, err := json.Marshal(e)
	if err != nil {
		s.q.mu.Lock()
		s.q.dropLocked(1)
		s.q.mu.Unlock()
		return fmt.Errorf("tracker: %v event not recorded: %w", e.Kind, err)
	}
	req := &appendReq{data: data, done: make(chan error, 1)}
	s.appends <- req
	// The write is on its way: wait for it whatever the caller's context
	// says, so that a nil error always means the event is on disk.
	if err := <-req.done; err != nil {
		return fmt.Errorf("tracker: %v event not recorded: %w", e.Kind, err)
	}
	return nil
}

// appender writes events to the spool, all that wait in one transaction
// (group commit), counts them, and answers each add.
func (s *spoolBuffer) appender() {
	defer close(s.appended)
	q := s.q
	var reqs []*appendReq
	var data [][]byte
	for req := range s.appends {
		reqs, data = append(reqs[:0], req), append(data[:0], req.data)
	more:
		for len(reqs) < 4096 {
			select {
			case r, ok := <-s.appends:
				if !ok {
					break more
				}
				reqs, data = append(reqs, r), append(data, r.data)
			default:
				break more
			}
		}
		seqs, err := s.sp.Append(context.Background(), data)
		size := 0
		for _, d := range data {
			size += len(d)
		}
		wake := false
		q.mu.Lock()
		if err != nil {
			q.dropLocked(len(reqs))
		} else {
			wake = q.holdLocked(len(reqs), size, uint64(seqs[len(seqs)-1]), false)
			wake = wake || q.batchWaitsLocked()
		}
		q.mu.Unlock()
		if err != nil {
			q.log.Error("tracker: spool write failed", "events", len(reqs), "err", err)
		}
		if wake {
			q.signal()
		}
		for i, r := range reqs {
			r.done <- err
			reqs[i], data[i] = nil, nil
		}
	}
}

// take reads the batch from the spool without Queue.mu. Records that do not
// decode are deleted at once and returned as b.bad.
func (s *spoolBuffer) take(after, upTo uint64) (*batch, error) {
	q := s.q
	q.mu.Unlock()
	defer q.mu.Lock()
	recs, err := s.sp.Read(q.runCtx, int64(after), int64(upTo), s.batchSize, s.batchBytes)
	if err != nil {
		if q.runCtx.Err() == nil {
			q.log.Error("tracker: spool read failed", "err", err)
		}
		return nil, err
	}
	if len(recs) == 0 {
		return nil, nil
	}
	b := &batch{events: make([]Event, 0, len(recs)), refs: make([]spoolRef, 0, len(recs)),
		first: after + 1, last: uint64(recs[len(recs)-1].Seq)}
	for _, r := range recs {
		var e Event
		if err := json.Unmarshal(r.Data, &e); err != nil {
			b.bad++
			b.badBytes += len(r.Data)
			continue
		}
		b.events = append(b.events, e)
		b.refs = append(b.refs, spoolRef{seq: r.Seq, size: len(r.Data)})
		b.bytes += len(r.Data)
	}
	if b.bad > 0 {
		q.log.Error("tracker: spooled events do not decode and are dropped", "events", b.bad)
		s.delete(b, b.refs)
	}
	return b, nil
}

// release deletes from the spool the records of b but those kept.
func (s *spoolBuffer) release(b *batch, keep []int) {
	b.refs = retain(b.refs, keep)
	b.events = retain(b.events, keep)
	b.bytes = 0
	for _, r := range b.refs {
		b.bytes += r.size
	}
	s.delete(b, b.refs)
}

// delete removes every record of b's range but those at kept.
func (s *spoolBuffer) delete(b *batch, kept []spoolRef) {
	seqs := make([]int64, len(kept))
	for i, r := range kept {
		seqs[i] = r.seq
	}
	if err := s.sp.Delete(context.Background(), int64(b.first), int64(b.last), seqs); err != nil {
		// Settled all the same: delivered ones will be delivered again
		// after a restart, which sinks allow.
		s.q.log.Error("tracker: spool delete failed", "err", err)
	}
}

// durable is true: what Close cannot deliver stays in the spool.
func (s *spoolBuffer) durable() bool { return true }

// stop lets the adds under way end with the write they wait for, then ends
// the appender.
func (s *spoolBuffer) stop() {
	s.adding.Wait()
	close(s.appends)
	<-s.appended
}

func (s *spoolBuffer) close() error { return s.sp.Close() }

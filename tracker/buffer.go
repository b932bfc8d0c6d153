package tracker

// buffer keeps the events a Queue holds from Record until a sender takes
// them in a batch, and lets go of them once the sink took them or the queue
// gave up on them. A Queue has one: a memoryBuffer, or a spoolBuffer when
// QueueConfig.Spool names a file.
//
// The Queue counts, decides when a batch is due, and delivers; a buffer only
// bounds, stores and hands out events. Every event is numbered: the numbers
// grow in the order events are stored, and a buffer tells the Queue about
// stored events with Queue.holdLocked, giving the newest number.
//
// Locking: fits, add and take are called with Queue.mu held; add releases
// it, and take may release it while it reads and holds it again when it
// returns (Queue.taking keeps other takes out meanwhile). The others are
// called without it.
type buffer interface {
	// fits reports whether an event of kind k, taking size bytes of memory
	// (eventSize), may be stored beside the held events (held of them,
	// taking heldBytes as the buffer counts them). If not, the Queue refuses
	// it, or makes a sale or email link wait for room.
	fits(k Kind, size, held, heldBytes int) bool
	// add stores e, which fits, and unlocks Queue.mu. It returns once e is
	// stored, or the error that kept it from being stored, which it has
	// counted as dropped. size is as for fits.
	add(e Event, size int) error
	// take returns the oldest events not yet taken, those numbered after
	// after and at most upTo, as one batch of at most BatchSize events and
	// about BatchBytes. It returns nil (and no error) when it finds none.
	take(after, upTo uint64) (*batch, error)
	// release lets go of the events of b except those at the indices keep
	// (increasing), which stay in b, in order, to be sent again; b.bytes
	// becomes their size.
	release(b *batch, keep []int)
	// durable reports whether the events a Queue could not deliver by
	// Close stay in the buffer for the next Queue opened on it, rather than
	// failing.
	durable() bool
	// stop returns once every add under way has ended; the Queue, closed,
	// calls no more.
	stop()
	// close releases what the buffer holds on to once the senders ended.
	close() error
}

// batch is events taken from a buffer together, owned by one sender until
// each of them is delivered or given up on.
type batch struct {
	events []Event
	// first and last bound the numbers of the events taken: first is at
	// most the number of events[0], last is the number of the last one.
	first, last uint64
	// bytes is the size of events, as the buffer counts it.
	bytes int
	// handedOut is set once events went to OnFailure, which may keep them:
	// the buffer does not reuse them.
	handedOut bool

	// With a spool: where each event is in it, and the records taken with
	// the batch that did not decode, and their size.
	refs          []spoolRef
	bad, badBytes int
}

// retain moves the elements of s at the increasing indices keep to its front,
// clears the others and returns the kept ones.
func retain[T any](s []T, keep []int) []T {
	for j, i := range keep {
		s[j] = s[i]
	}
	clear(s[len(keep):])
	return s[:len(keep)]
}

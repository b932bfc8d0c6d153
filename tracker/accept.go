package tracker

import "time"

// Accept is how a store takes a batch in: it splits events into those it
// may store and those it refuses. Each event is normalized (Normalize) and
// checked against the rules (Validate) and against now, the store's clock
// (CheckTime). It returns the accepted events, normalized, in the order they
// came, and, when any was refused, a *BatchError naming each refused one by
// its index in events, its error marked Permanent; otherwise err is nil.
//
// Accept works on copies: events and their slices are left as they were.
// A store writes the accepted events and then returns err, so that one bad
// event never costs the others (see BatchError).
func Accept(events []Event, now time.Time) (accepted []Event, err error) {
	accepted = make([]Event, 0, len(events))
	var failed []EventError
	for i := range events {
		// Copied once, into its place, and dropped again if refused.
		accepted = append(accepted, events[i])
		if err := accepted[len(accepted)-1].Admit(now); err != nil {
			failed = append(failed, EventError{Index: i, Err: err})
			accepted = accepted[:len(accepted)-1]
		}
	}
	if len(failed) > 0 {
		return accepted, &BatchError{Failed: failed}
	}
	return accepted, nil
}

// Admit is what Accept does with each event: it normalizes e (Normalize)
// and checks it against the rules (Validate) and against now (CheckTime).
// Its error is marked Permanent: the event will never be taken.
func (e *Event) Admit(now time.Time) error {
	e.Normalize()
	err := e.validate()
	if err == nil {
		err = e.checkTime(now)
	}
	return Permanent(err)
}

package tracker_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/visitrack/visitrack/tracker"
)

func TestPermanent(t *testing.T) {
	t.Parallel()
	assert.NoError(t, tracker.Permanent(nil))
	assert.NoError(t, tracker.RetryAfter(nil, time.Second))
	base := errors.New("x")
	assert.False(t, tracker.IsPermanent(base))
	assert.True(t, tracker.IsPermanent(fmt.Errorf("a: %w", tracker.Permanent(base))))
	assert.ErrorIs(t, tracker.Permanent(base), base)
	assert.ErrorIs(t, tracker.RetryAfter(base, time.Second), base)
}

package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/metrics"
)

func TestInstrumentSinkCountsByResultAndPassesErrorsThrough(t *testing.T) {
	t.Parallel()
	mem := tracker.NewMemory()
	partial := &tracker.BatchError{Failed: []tracker.EventError{{Index: 0, Err: errors.New("busy")}}}
	results := []error{nil, partial, tracker.Permanent(errors.New("bad")), nil}
	i := 0
	s := metrics.InstrumentSink(sinkFunc(func(ctx context.Context, events []tracker.Event) error {
		err := results[i]
		i++
		if err == nil {
			return mem.Write(ctx, events)
		}
		return err
	}), prometheus.Labels{"sink": "local"})

	ctx := t.Context()
	assert.NoError(t, s.Write(ctx, nil))
	var be *tracker.BatchError
	assert.ErrorAs(t, s.Write(ctx, nil), &be, "a partial failure reaches the Queue as it is")
	assert.True(t, tracker.IsPermanent(s.Write(ctx, nil)))
	assert.NoError(t, s.Write(ctx, nil))

	assert.Equal(t, 3, testutil.CollectAndCount(s, "visitrack_sink_write_duration_seconds"), "one series per result")
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(s))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, mfs, 1)
	counts := map[string]uint64{}
	for _, m := range mfs[0].GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		counts[strings.Join(labels, ",")] = m.GetHistogram().GetSampleCount()
	}
	assert.Equal(t, map[string]uint64{"result=ok,sink=local": 2, "result=partial,sink=local": 1, "result=error,sink=local": 1}, counts)
	problems, err := testutil.CollectAndLint(s)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

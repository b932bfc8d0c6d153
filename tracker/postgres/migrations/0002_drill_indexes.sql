-- Indexes for the dashboard's drill-downs, so that a page about one label
-- or about searches reads those events only, not every event of its range.

-- events_labels: the impressions and clicks under a label, by time; in time
-- order rather than by label set, so that a write appends to it.
CREATE INDEX events_labels ON events (sid, t, labels) WHERE labels IS NOT NULL;

-- events_searches: searches, by time.
CREATE INDEX events_searches ON events (sid, t) WHERE kind = 6;

-- events_queries: impressions that showed a search's results (an
-- impression's item is its query), by time.
CREATE INDEX events_queries ON events (sid, t) WHERE kind = 1 AND item IS NOT NULL;

-- events_clicks: clicks credited to a call, by time.
CREATE INDEX events_clicks ON events (sid, t) WHERE kind = 2 AND labels IS NOT NULL;

-- events_sales: the copies of sales that count, by time.
CREATE INDEX events_sales ON events (sid, t) WHERE kind = 3 AND counted;

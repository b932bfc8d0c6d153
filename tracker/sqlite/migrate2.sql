-- Schema version 2: indexes for the dashboard's drill-downs, so that a page
-- about one label or about searches reads those events only, not every
-- event of its range.

-- An impression's query (the search whose results it showed) lives in item,
-- where events_queries finds it; version 1 kept it in detail as "q".
UPDATE events SET item = json_extract(detail, '$.q')
	WHERE kind = 1 AND detail IS NOT NULL AND json_extract(detail, '$.q') IS NOT NULL;

-- events_ls: the impressions and clicks under a label, by time; in time
-- order rather than by label set, so that a write appends to it.
CREATE INDEX events_ls ON events (sid, t, ls) WHERE ls IS NOT NULL;

-- events_searches: searches, by time, with their query and result count,
-- so that search insights read the index alone.
CREATE INDEX events_searches ON events (sid, t, item, json_extract(detail, '$.results'))
	WHERE kind = 6 AND item IS NOT NULL;

-- events_queries: impressions that showed a search's results, by time,
-- with their query, event ID (which clicks name) and number of products.
CREATE INDEX events_queries ON events (sid, t, item, eid, json_array_length(detail, '$.products'))
	WHERE kind = 1 AND item IS NOT NULL;

-- events_clicks: clicks credited to a call, by time, with the impression
-- each was backtracked to (its time and event ID), so that search insights
-- find the clicks on a search's results without reading the others.
CREATE INDEX events_clicks ON events (sid, t, json_extract(detail, '$.ft'), json_extract(detail, '$.fid'))
	WHERE kind = 2 AND ls IS NOT NULL;

-- events_sales: the copies of sales that count, by time.
CREATE INDEX events_sales ON events (sid, t) WHERE kind = 3 AND counted = 1;

-- Schema version 4, from version 3: the dashboard's drill-downs read their
-- events through events_time, which now holds each event's kind and label
-- set, instead of through five partial indexes of their own, which cost
-- every write about a tenth of its time.

DROP INDEX events_ls;
DROP INDEX events_searches;
DROP INDEX events_queries;
DROP INDEX events_clicks;
DROP INDEX events_sales;
DROP INDEX events_time;
CREATE INDEX events_time ON events (sid, t, kind, ls);

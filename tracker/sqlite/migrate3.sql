-- Schema version 3, from version 2: visitor_days is keyed by the event that
-- added a row rather than by visitor, so that writes append to it; it is
-- rebuilt here from the events (not tombstones: Purge keeps some with their
-- visitor), each row keyed by the visitor's first event of the day; and each
-- visitor keeps its newest day with a row (visitors.day). Days are
-- floor(t / length), also for times before 1970.

DROP TABLE visitor_days;
CREATE TABLE visitor_days (
	sid INTEGER NOT NULL,
	day INTEGER NOT NULL,
	rid INTEGER NOT NULL,
	vid INTEGER NOT NULL,
	PRIMARY KEY (sid, day, rid)
) WITHOUT ROWID;
INSERT INTO visitor_days (sid, day, rid, vid)
	SELECT sid, day, min(rid), vid
	FROM (SELECT sid, t / 86400000000 - (t % 86400000000 < 0) AS day, rid, vid FROM events
		WHERE vid IS NOT NULL AND (detail IS NOT NULL OR (kind != 3 AND item IS NOT NULL)))
	WHERE true
	GROUP BY sid, day, vid;
ALTER TABLE visitors ADD COLUMN day INTEGER;
UPDATE visitors SET day = d.day FROM (SELECT vid, max(day) AS day FROM visitor_days GROUP BY vid) AS d
	WHERE visitors.vid = d.vid;

-- Up Migration

-- Attribution of engagement to recommendation lists (issue 12).
--
-- events.recommendation_id: the list an event came from, when the client named one (the
-- recommendation_id of a GetRecommendations, GetSimilarProducts or GetTrending answer); NULL
-- otherwise. Adding a nullable column without a default is a catalog change only (no table
-- rewrite), and the partial index holds only the events that name a list.
ALTER TABLE events ADD COLUMN recommendation_id text;
CREATE INDEX events_recommendation_idx ON events (recommendation_id, product_id) WHERE recommendation_id IS NOT NULL;

-- GetEngagementStatus counts the events accepted in the last minute. accepted_at follows the
-- table's physical order (rows are appended as they are accepted), which is what a BRIN index
-- needs: a few pages per 32-page range, negligible on the write path, and a count over the last
-- minute reads only the newest ranges.
CREATE INDEX events_accepted_at_brin ON events USING brin (accepted_at) WITH (pages_per_range = 32);

-- impressions: every recommendation list answered, keyed by its recommendation_id, so a retried
-- RecordImpressions writes nothing twice. product_ids are the products shown in list order
-- (position i from 0 is product_ids[i + 1] in SQL). user_id is the user the list was made for, or
-- NULL (similar and trending lists, or a user deleted since: DeleteUserEvents clears it).
-- list_type: 1 FOR_YOU, 2 SIMILAR, 3 TRENDING (recsys.engagement.v1.ListType).
CREATE TABLE impressions (
  recommendation_id text PRIMARY KEY,
  list_type         smallint NOT NULL CHECK (list_type BETWEEN 1 AND 3),
  user_id           text,
  product_ids       text[] NOT NULL,
  shown_at          timestamptz NOT NULL,
  recorded_at       timestamptz NOT NULL DEFAULT now()
);

-- GetClickThroughRates reads the lists shown within a window.
CREATE INDEX impressions_shown_at_idx ON impressions (shown_at);
-- DeleteUserEvents clears a user's id from their impressions.
CREATE INDEX impressions_user_idx ON impressions (user_id) WHERE user_id IS NOT NULL;

-- Down Migration

DROP TABLE impressions;
DROP INDEX IF EXISTS events_accepted_at_brin;
DROP INDEX IF EXISTS events_recommendation_idx;
ALTER TABLE events DROP COLUMN recommendation_id;

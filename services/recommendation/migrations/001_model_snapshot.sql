-- Up Migration
-- One stored model snapshot: the latest build's content neighbours and popularity.
-- A rebuild replaces both tables' rows and appends a model_builds row in one transaction.
CREATE TABLE model_builds (
  id            bigserial PRIMARY KEY,
  built_at      timestamptz NOT NULL DEFAULT now(),
  product_count integer NOT NULL CHECK (product_count >= 0),
  event_count   bigint NOT NULL CHECK (event_count >= 0),
  duration_ms   integer NOT NULL CHECK (duration_ms >= 0)
);

-- Top-k TF-IDF cosine neighbours of each product; rank 1 is the most similar.
CREATE TABLE content_neighbors (
  product_id  text NOT NULL,
  neighbor_id text NOT NULL,
  score       double precision NOT NULL,
  rank        integer NOT NULL CHECK (rank >= 1),
  PRIMARY KEY (product_id, rank)
);

-- Cold-start popularity: Bayesian-average rating weighted by log count, in [0, 1].
CREATE TABLE item_popularity (
  product_id   text PRIMARY KEY,
  score        double precision NOT NULL,
  rating_count integer NOT NULL CHECK (rating_count >= 0),
  mean_rating  double precision NOT NULL
);

-- Down Migration
DROP TABLE item_popularity;
DROP TABLE content_neighbors;
DROP TABLE model_builds;

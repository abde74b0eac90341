-- Up Migration
-- Top-k item-KNN neighbours of each product (cosine over the binary user x product matrix of the
-- engagement history); rank 1 is the most similar. Replaced with the other snapshot tables.
CREATE TABLE item_neighbors (
  product_id  text NOT NULL,
  neighbor_id text NOT NULL,
  score       double precision NOT NULL,
  rank        integer NOT NULL CHECK (rank >= 1),
  PRIMARY KEY (product_id, rank)
);

-- Down Migration
DROP TABLE item_neighbors;

-- Up Migration

-- Joins a text array with spaces. array_to_string() is only STABLE (it accepts anyarray), which a
-- generated column refuses; for text[] the result depends on nothing but the input.
CREATE FUNCTION product_text_array_join(items text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT array_to_string(items, ' ') $$;

-- Lower-cases every element of a text array, for the case-insensitive category filter.
CREATE FUNCTION product_text_array_lower(items text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT coalesce(array_agg(lower(item) ORDER BY ordinality), '{}') FROM unnest(items) WITH ORDINALITY AS u(item, ordinality) $$;

-- products is the catalog: one row per product (a MovieLens movie in the demo).
CREATE TABLE products (
  product_id  text PRIMARY KEY,
  title       text NOT NULL,
  year        integer NOT NULL DEFAULT 0,
  categories  text[] NOT NULL DEFAULT '{}',
  tags        text[] NOT NULL DEFAULT '{}',
  description text NOT NULL DEFAULT '',
  imdb_id     text NOT NULL DEFAULT '',
  tmdb_id     text NOT NULL DEFAULT '',
  -- Full-text document: title (weight A), tags (B), categories (C), English stemming.
  search      tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', title), 'A') ||
                setweight(to_tsvector('english', coalesce(product_text_array_join(tags), '')), 'B') ||
                setweight(to_tsvector('english', coalesce(product_text_array_join(categories), '')), 'C')
              ) STORED
);

CREATE INDEX products_search_idx ON products USING gin (search);
-- Case-insensitive category filter: product_text_array_lower(categories) @> ARRAY[lower($1)].
CREATE INDEX products_categories_idx ON products USING gin (product_text_array_lower(categories));
-- Numeric-aware id order (2 before 10) for paging without a query: ORDER BY length(product_id), product_id.
CREATE INDEX products_id_order_idx ON products (length(product_id), product_id);

-- Down Migration
DROP TABLE products;
DROP FUNCTION product_text_array_lower(text[]);
DROP FUNCTION product_text_array_join(text[]);

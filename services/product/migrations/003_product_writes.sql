-- Up Migration

-- Product writes (CreateProduct, UpdateProduct, DeleteProduct, BatchUpsertProducts): the new
-- fields, archiving instead of deleting, a revision per product, and the outbox the product process
-- publishes catalog changes from (topic catalog-changes, one recsys.product.v1.ProductChange per
-- changed product).

ALTER TABLE products
  -- price is google.type.Money: all three set, or all three NULL (no price).
  ADD COLUMN price_currency text,
  ADD COLUMN price_units    bigint,
  ADD COLUMN price_nanos    integer,
  ADD COLUMN image_url      text NOT NULL DEFAULT '',
  -- attributes: a JSON object of string values ({"brand": "Acme"}).
  ADD COLUMN attributes     jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- archived: DeleteProduct keeps the row (events still name it) but no read returns it.
  ADD COLUMN archived       boolean NOT NULL DEFAULT false,
  -- revision: +1 per change of the product, carried by its ProductChange so consumers can order them.
  ADD COLUMN revision       bigint NOT NULL DEFAULT 1,
  ADD COLUMN create_time    timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN update_time    timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT products_price_whole CHECK (
    (price_currency IS NULL AND price_units IS NULL AND price_nanos IS NULL) OR
    (price_currency IS NOT NULL AND price_units >= 0 AND price_nanos >= 0 AND price_nanos < 1000000000)
  );

-- The attribute values as one text, for the search document (jsonb_each_text is immutable for a given input).
CREATE FUNCTION product_attribute_text(attrs jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT coalesce(string_agg(value, ' ' ORDER BY key), '') FROM jsonb_each_text(attrs) $$;

-- The search document now covers the description and the attribute values too (weight D).
DROP INDEX products_search_idx;
ALTER TABLE products DROP COLUMN search;
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', title), 'A') ||
  setweight(to_tsvector('english', coalesce(product_text_array_join(tags), '')), 'B') ||
  setweight(to_tsvector('english', coalesce(product_text_array_join(categories), '')), 'C') ||
  setweight(to_tsvector('english', description || ' ' || coalesce(product_attribute_text(attributes), '')), 'D')
) STORED;
CREATE INDEX products_search_idx ON products USING gin (search);
-- Filters of ListProducts: tag (case-insensitive), attribute (key=value).
CREATE INDEX products_tags_idx ON products USING gin (product_text_array_lower(tags));
CREATE INDEX products_attributes_idx ON products USING gin (attributes jsonb_path_ops);

-- outbox: the transactional outbox of catalog changes, as the engagement database's
-- (https://microservices.io/patterns/data/transactional-outbox.html): a row is written in the
-- transaction of the write it announces and deleted by the relay once Kafka acknowledged it.
CREATE TABLE outbox (
  id          bigserial PRIMARY KEY,
  topic       text NOT NULL,
  key         text,
  payload     bytea NOT NULL,
  headers     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify_after_insert
  AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Down Migration
DROP TRIGGER IF EXISTS outbox_notify_after_insert ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
DROP TABLE IF EXISTS outbox;
DROP INDEX IF EXISTS products_attributes_idx;
DROP INDEX IF EXISTS products_tags_idx;
DROP INDEX products_search_idx;
ALTER TABLE products DROP COLUMN search;
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', title), 'A') ||
  setweight(to_tsvector('english', coalesce(product_text_array_join(tags), '')), 'B') ||
  setweight(to_tsvector('english', coalesce(product_text_array_join(categories), '')), 'C')
) STORED;
CREATE INDEX products_search_idx ON products USING gin (search);
DROP FUNCTION product_attribute_text(jsonb);
ALTER TABLE products
  DROP CONSTRAINT products_price_whole,
  DROP COLUMN update_time, DROP COLUMN create_time, DROP COLUMN revision, DROP COLUMN archived,
  DROP COLUMN attributes, DROP COLUMN image_url, DROP COLUMN price_nanos, DROP COLUMN price_units,
  DROP COLUMN price_currency;

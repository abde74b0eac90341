-- Up Migration

-- catalog_version: one row whose version goes up with every statement that changes products
-- (INSERT, UPDATE, DELETE, TRUNCATE, COPY included). The ProductService polls it (a primary-key
-- read) to know when to reload its in-memory catalog index, which serves catalog browsing and
-- GetProduct without a query per request.
CREATE TABLE catalog_version (
  id       boolean PRIMARY KEY DEFAULT true CHECK (id),
  version  bigint NOT NULL DEFAULT 0
);
INSERT INTO catalog_version DEFAULT VALUES;

-- Statement-level, so a bulk import bumps the version once, not once per row.
CREATE FUNCTION catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_version SET version = version + 1;
  RETURN NULL;
END;
$$;

CREATE TRIGGER products_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();

-- Down Migration
DROP TRIGGER products_changed ON products;
DROP FUNCTION catalog_version_bump();
DROP TABLE catalog_version;

-- Creates one database per service (each service owns its data; no SQL crosses them). Run once by the
-- postgres:15 image on an empty volume (/docker-entrypoint-initdb.d), as POSTGRES_USER (recsys), who
-- owns them. The local stack (scripts/infra) creates the same databases on demand instead.
CREATE DATABASE recsys_product;
CREATE DATABASE recsys_user;
CREATE DATABASE recsys_engagement;
CREATE DATABASE recsys_recommendation;

-- PostgreSQL for Strongroom on Kubernetes: one database, one role and one schema per service that
-- uses PostgreSQL (storage, runner). keyservice and signer keep SQLite on their own PVCs.
-- Run once as a superuser (or the Cloud SQL "cloudsqlsuperuser" admin), e.g.
--   psql "host=... dbname=postgres user=postgres" \
--     -v storage_password="$(cat storage.pw)" -v runner_password="$(cat runner.pw)" -f deploy/k8s/postgres/init.sql
-- then put each role's connection string in its own Secret (see docs/kubernetes.md):
--   storage-postgres: Host=...;Database=strongroom;Username=storage;Password=...;SSL Mode=VerifyFull;Root Certificate=...
--   runner-postgres:  Host=...;Database=strongroom;Username=runner;Password=...;SSL Mode=VerifyFull;Root Certificate=...
\set ON_ERROR_STOP on

CREATE DATABASE strongroom;
\connect strongroom

-- No role may create objects in public or connect unless granted here.
REVOKE ALL ON DATABASE strongroom FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE ROLE storage LOGIN PASSWORD :'storage_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 50;
CREATE ROLE runner  LOGIN PASSWORD :'runner_password'  NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 50;

-- Each role owns only its own schema (the services run CREATE SCHEMA IF NOT EXISTS, which needs CREATE
-- on the database before it notices the schema exists; CREATE lets a role add schemas of its own,
-- never touch another role's: each schema is closed to everyone but its owner).
GRANT CONNECT, TEMPORARY, CREATE ON DATABASE strongroom TO storage, runner;
CREATE SCHEMA storage AUTHORIZATION storage;
CREATE SCHEMA runner AUTHORIZATION runner;
REVOKE ALL ON SCHEMA storage FROM PUBLIC;
REVOKE ALL ON SCHEMA runner FROM PUBLIC;
ALTER ROLE storage IN DATABASE strongroom SET search_path = storage;
ALTER ROLE runner IN DATABASE strongroom SET search_path = runner;

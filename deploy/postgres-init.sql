-- Runs once, when the postgres data volume is first initialised (docker-entrypoint-initdb.d);
-- later changes here do not touch an existing volume.
-- The app gets its own role and database so it cannot reach Temporal's `temporal` and
-- `temporal_visibility` databases, which temporal auto-setup creates with the superuser.
\getenv app_password BALLOT_DB_PASSWORD
CREATE ROLE ballot_tracker LOGIN PASSWORD :'app_password';
CREATE DATABASE ballot_tracker OWNER ballot_tracker;

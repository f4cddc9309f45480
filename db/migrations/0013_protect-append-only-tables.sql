-- hand-written
-- policy_versions had its row trigger (0005) but never the TRUNCATE one the docs promised.
CREATE TRIGGER policy_versions_no_truncate BEFORE TRUNCATE ON policy_versions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
-- Every append-only table (one carrying the refuse_change_to_append_only triggers) refused UPDATE, DELETE,
-- TRUNCATE and TRIGGER to every role but its owner, whatever was granted before: the app role's default
-- privileges give it those on each new table, so `npm run db:migrate` calls this after every run, and a
-- future migration's append-only table needs only the two triggers. A table with one trigger and not the
-- other fails the migration. docs/decisions/0016-production-roles-and-council-set-up.md.
CREATE OR REPLACE FUNCTION protect_append_only_tables() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  tbl record;
  grantee oid;
  protected integer := 0;
BEGIN
  FOR tbl IN
    SELECT c.oid, c.oid::regclass AS name, c.relowner, c.relacl,
           bool_or((t.tgtype & 1) = 1 AND (t.tgtype & 24) = 24) AS per_row,
           bool_or((t.tgtype & 32) = 32) AS on_truncate
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    WHERE t.tgfoid = 'refuse_change_to_append_only()'::regprocedure AND NOT t.tgisinternal
    GROUP BY c.oid
  LOOP
    IF NOT (tbl.per_row AND tbl.on_truncate) THEN
      RAISE EXCEPTION 'Append-only table % needs both triggers: BEFORE UPDATE OR DELETE FOR EACH ROW and BEFORE TRUNCATE FOR EACH STATEMENT', tbl.name;
    END IF;
    FOR grantee IN
      SELECT DISTINCT a.grantee FROM aclexplode(tbl.relacl) a
      WHERE a.grantee <> tbl.relowner AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER')
    LOOP
      IF grantee = 0 THEN
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER ON %s FROM PUBLIC', tbl.name);
      ELSE
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER ON %s FROM %s', tbl.name, grantee::regrole);
      END IF;
    END LOOP;
    protected := protected + 1;
  END LOOP;
  RETURN protected;
END;
$$;
--> statement-breakpoint
SELECT protect_append_only_tables();

-- The attestation ledger and issued certificates are append-only, like the audit log.
CREATE TRIGGER attestations_no_update_delete BEFORE UPDATE OR DELETE ON attestations
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER attestations_no_truncate BEFORE TRUNCATE ON attestations
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER certificates_no_update_delete BEFORE UPDATE OR DELETE ON certificates
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER certificates_no_truncate BEFORE TRUNCATE ON certificates
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER policy_versions_no_update_delete BEFORE UPDATE OR DELETE ON policy_versions
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();

CREATE TRIGGER attempt_events_no_update_delete BEFORE UPDATE OR DELETE ON attempt_events
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER attempt_events_no_truncate BEFORE TRUNCATE ON attempt_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();

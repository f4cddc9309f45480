ALTER TABLE "attempts" ADD COLUMN "draw" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "attempts" ADD COLUMN "choice_order" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "module_versions" ADD COLUMN "requires_retake" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- A version that requires a retake changes whether earlier passes count, for everyone in its organisation (docs/decisions/0010, 0014).
CREATE FUNCTION note_module_version_standing_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM note_standing_change(m.organisation_id, NULL) FROM training_modules m WHERE m.id = NEW.module_id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER module_versions_standing AFTER INSERT ON module_versions
  FOR EACH ROW WHEN (NEW.requires_retake) EXECUTE FUNCTION note_module_version_standing_change();
--> statement-breakpoint
-- Attempts in progress on format 1 content cannot go on under the format 2 engine: they end, not passed, and the
-- person's next start is a new attempt on the current version (docs/decisions/0014).
UPDATE attempts a SET status = 'failed', completed_at = a.updated_at
  FROM module_versions v
 WHERE v.id = a.module_version_id AND a.status = 'in_progress' AND NOT (v.content ? 'formatVersion');

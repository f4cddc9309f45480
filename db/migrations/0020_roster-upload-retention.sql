ALTER TABLE "roster_uploads" ALTER COLUMN "content" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "roster_uploads" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
-- A roster upload is never deleted and its file never changed; the retention rule may only empty its content once
-- (docs/decisions/0021). Its summary and applied_at still change while it is previewed and applied.
CREATE FUNCTION refuse_change_to_roster_upload() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
    AND (NEW.id, NEW.organisation_id, NEW.uploaded_by, NEW.file_name, NEW.sha256, NEW.byte_size, NEW.created_at)
      IS NOT DISTINCT FROM (OLD.id, OLD.organisation_id, OLD.uploaded_by, OLD.file_name, OLD.sha256, OLD.byte_size, OLD.created_at)
    AND (
      (NEW.content IS NOT DISTINCT FROM OLD.content AND NEW.deleted_at IS NOT DISTINCT FROM OLD.deleted_at)
      OR (OLD.content IS NOT NULL AND OLD.deleted_at IS NULL AND NEW.content IS NULL AND NEW.deleted_at IS NOT NULL)
    )
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% on % is not allowed: only the retention rule may empty an upload''s content', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER roster_uploads_no_change BEFORE UPDATE OR DELETE ON roster_uploads
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_roster_upload();
--> statement-breakpoint
CREATE TRIGGER roster_uploads_no_truncate BEFORE TRUNCATE ON roster_uploads
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_roster_upload();

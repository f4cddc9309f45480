CREATE TYPE "public"."exemption_kind" AS ENUM('granted', 'ended', 'corrected', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."exemption_reason" AS ENUM('parental_leave', 'long_term_absence', 'secondment', 'not_applicable_to_role', 'other');--> statement-breakpoint
CREATE TABLE "earlier_training" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"requirement_id" uuid NOT NULL,
	"completed_on" date NOT NULL,
	"description" text NOT NULL,
	"evidence_file_id" uuid NOT NULL,
	"recorded_by" uuid NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evidence_files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"media_type" text NOT NULL,
	"byte_size" integer NOT NULL,
	"sha256" text NOT NULL,
	"content" "bytea",
	"uploaded_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "exemptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" "exemption_kind" NOT NULL,
	"replaces_id" uuid,
	"requirement_id" uuid,
	"reason" "exemption_reason" NOT NULL,
	"reason_text" text,
	"starts_on" date NOT NULL,
	"ends_on" date,
	"approved_by" text NOT NULL,
	"recorded_by" uuid NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "exemptions_dates_check" CHECK ("exemptions"."ends_on" is null or "exemptions"."ends_on" >= "exemptions"."starts_on"),
	CONSTRAINT "exemptions_other_check" CHECK ("exemptions"."reason" <> 'other' or "exemptions"."reason_text" is not null),
	CONSTRAINT "exemptions_replaces_check" CHECK (("exemptions"."kind" = 'granted') = ("exemptions"."replaces_id" is null))
);
--> statement-breakpoint
CREATE TABLE "requirement_settings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"requirement_id" uuid NOT NULL,
	"due_within_days" integer NOT NULL,
	"renewal_months" integer NOT NULL,
	"team_ids" uuid[],
	"effective_on" date NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"recorded_by" uuid,
	CONSTRAINT "requirement_settings_periods_check" CHECK ("requirement_settings"."due_within_days" >= 0 and "requirement_settings"."renewal_months" > 0)
);
--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "evidence_retention_months" integer;--> statement-breakpoint
ALTER TABLE "requirement_standings" ADD COLUMN "earlier_training_id" uuid;--> statement-breakpoint
ALTER TABLE "requirement_standings" ADD COLUMN "exemption_id" uuid;--> statement-breakpoint
ALTER TABLE "requirement_standings" ADD COLUMN "exemption_reason" text;--> statement-breakpoint
ALTER TABLE "requirement_standings" ADD COLUMN "exempt_from" date;--> statement-breakpoint
ALTER TABLE "requirement_standings" ADD COLUMN "exempt_until" date;--> statement-breakpoint
ALTER TABLE "standing_summaries" ADD COLUMN "exempt" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "earlier_training" ADD CONSTRAINT "earlier_training_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "earlier_training" ADD CONSTRAINT "earlier_training_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "earlier_training" ADD CONSTRAINT "earlier_training_requirement_id_requirements_id_fk" FOREIGN KEY ("requirement_id") REFERENCES "public"."requirements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "earlier_training" ADD CONSTRAINT "earlier_training_evidence_file_id_evidence_files_id_fk" FOREIGN KEY ("evidence_file_id") REFERENCES "public"."evidence_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "earlier_training" ADD CONSTRAINT "earlier_training_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exemptions" ADD CONSTRAINT "exemptions_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exemptions" ADD CONSTRAINT "exemptions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exemptions" ADD CONSTRAINT "exemptions_requirement_id_requirements_id_fk" FOREIGN KEY ("requirement_id") REFERENCES "public"."requirements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exemptions" ADD CONSTRAINT "exemptions_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requirement_settings" ADD CONSTRAINT "requirement_settings_requirement_id_requirements_id_fk" FOREIGN KEY ("requirement_id") REFERENCES "public"."requirements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requirement_settings" ADD CONSTRAINT "requirement_settings_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "earlier_training_user_idx" ON "earlier_training" USING btree ("user_id","requirement_id");--> statement-breakpoint
CREATE INDEX "evidence_files_user_idx" ON "evidence_files" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "exemptions_user_idx" ON "exemptions" USING btree ("user_id","recorded_at");--> statement-breakpoint
CREATE UNIQUE INDEX "exemptions_replaces_key" ON "exemptions" USING btree ("replaces_id");--> statement-breakpoint
CREATE INDEX "requirement_settings_requirement_idx" ON "requirement_settings" USING btree ("requirement_id","recorded_at");--> statement-breakpoint
-- hand-written
-- Exemptions, earlier training and requirement settings are append-only records (docs/decisions/0021).
CREATE TRIGGER exemptions_no_update_delete BEFORE UPDATE OR DELETE ON exemptions
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER exemptions_no_truncate BEFORE TRUNCATE ON exemptions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER earlier_training_no_update_delete BEFORE UPDATE OR DELETE ON earlier_training
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER earlier_training_no_truncate BEFORE TRUNCATE ON earlier_training
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER requirement_settings_no_update_delete BEFORE UPDATE OR DELETE ON requirement_settings
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER requirement_settings_no_truncate BEFORE TRUNCATE ON requirement_settings
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
-- An evidence file is never deleted or changed; the retention rule may only empty its content, once.
CREATE FUNCTION refuse_change_to_evidence_file() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.content IS NOT NULL AND NEW.content IS NULL AND NEW.deleted_at IS NOT NULL
      AND (NEW.id, NEW.organisation_id, NEW.user_id, NEW.file_name, NEW.media_type, NEW.byte_size, NEW.sha256, NEW.uploaded_by, NEW.created_at)
        IS NOT DISTINCT FROM (OLD.id, OLD.organisation_id, OLD.user_id, OLD.file_name, OLD.media_type, OLD.byte_size, OLD.sha256, OLD.uploaded_by, OLD.created_at)
    THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION '% on % is not allowed: only the retention rule may empty a file''s content', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER evidence_files_no_change BEFORE UPDATE OR DELETE ON evidence_files
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_evidence_file();
--> statement-breakpoint
-- Its own function for TRUNCATE too: protect_append_only_tables() (migration 0013) takes a table with
-- refuse_change_to_append_only() on TRUNCATE alone for a half-protected append-only table.
CREATE TRIGGER evidence_files_no_truncate BEFORE TRUNCATE ON evidence_files
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_evidence_file();
--> statement-breakpoint
-- Every requirement starts with its first settings row (also for requirements that already exist).
CREATE FUNCTION first_requirement_settings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO requirement_settings (requirement_id, due_within_days, renewal_months, team_ids, effective_on, recorded_at)
  VALUES (NEW.id, NEW.due_within_days, NEW.renewal_months, NULL, NEW.effective_from, NEW.created_at);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER requirements_first_settings AFTER INSERT ON requirements
  FOR EACH ROW EXECUTE FUNCTION first_requirement_settings();
--> statement-breakpoint
INSERT INTO requirement_settings (requirement_id, due_within_days, renewal_months, team_ids, effective_on, recorded_at)
  SELECT id, due_within_days, renewal_months, NULL, effective_from, created_at FROM requirements;
--> statement-breakpoint
-- The report's kept standings (decision 0010) are noted of these changes too.
CREATE TRIGGER exemptions_standing AFTER INSERT ON exemptions
  FOR EACH ROW EXECUTE FUNCTION note_person_standing_change();
--> statement-breakpoint
CREATE TRIGGER earlier_training_standing AFTER INSERT ON earlier_training
  FOR EACH ROW EXECUTE FUNCTION note_person_standing_change();
--> statement-breakpoint
CREATE FUNCTION note_requirement_settings_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM note_standing_change(r.organisation_id, NULL) FROM requirements r WHERE r.id = NEW.requirement_id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER requirement_settings_standing AFTER INSERT ON requirement_settings
  FOR EACH ROW EXECUTE FUNCTION note_requirement_settings_change();

CREATE TABLE "requirement_standings" (
	"organisation_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"requirement_id" uuid NOT NULL,
	"name" text NOT NULL,
	"employee_number" text,
	"team_id" uuid,
	"team_name" text,
	"kind" "requirement_kind" NOT NULL,
	"title" text NOT NULL,
	"module_slug" text,
	"started" boolean NOT NULL,
	"completed_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"expires_on" date,
	"anchor" date NOT NULL,
	"due_on" date NOT NULL,
	"attempt_id" uuid,
	"attestation_reference" text,
	"policy_version_id" uuid,
	CONSTRAINT "requirement_standings_organisation_id_user_id_requirement_id_pk" PRIMARY KEY("organisation_id","user_id","requirement_id")
);
--> statement-breakpoint
CREATE TABLE "standing_changes" (
	"organisation_id" uuid NOT NULL,
	"user_id" uuid
);
--> statement-breakpoint
CREATE TABLE "standing_refreshes" (
	"organisation_id" uuid PRIMARY KEY NOT NULL,
	"computed_for" date,
	"computed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "standing_summaries" (
	"organisation_id" uuid NOT NULL,
	"team_id" uuid,
	"statuses" integer NOT NULL,
	"people" integer NOT NULL,
	"not_started" integer NOT NULL,
	"in_progress" integer NOT NULL,
	"complete" integer NOT NULL,
	"due_soon" integer NOT NULL,
	"overdue" integer NOT NULL,
	"expired" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "standing_refreshes" ADD CONSTRAINT "standing_refreshes_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "requirement_standings_team_idx" ON "requirement_standings" USING btree ("organisation_id","team_id");--> statement-breakpoint
CREATE INDEX "requirement_standings_expiry_idx" ON "requirement_standings" USING btree ("organisation_id","expires_at");--> statement-breakpoint
CREATE INDEX "requirement_standings_report_order_idx" ON "requirement_standings" USING btree ("organisation_id","team_name","name","employee_number",("kind" = 'policy'),"title","requirement_id");--> statement-breakpoint
CREATE INDEX "standing_changes_organisation_idx" ON "standing_changes" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "standing_summaries_team_idx" ON "standing_summaries" USING btree ("organisation_id","team_id");--> statement-breakpoint
-- Notes of what changed, for the report's standings (docs/decisions/0010). Appends only: never waits on a refresh.
CREATE FUNCTION note_standing_change(org uuid, person uuid) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO standing_changes (organisation_id, user_id) VALUES (org, person)
$$;
--> statement-breakpoint
CREATE FUNCTION note_person_standing_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  subject record;
BEGIN
  IF TG_OP = 'DELETE' THEN subject := OLD; ELSE subject := NEW; END IF;
  IF TG_TABLE_NAME = 'users' THEN
    PERFORM note_standing_change(subject.organisation_id, subject.id);
    IF TG_OP = 'UPDATE' AND OLD.organisation_id IS DISTINCT FROM NEW.organisation_id THEN
      PERFORM note_standing_change(OLD.organisation_id, OLD.id);
    END IF;
  ELSIF TG_TABLE_NAME = 'attestations' THEN
    PERFORM note_standing_change(subject.organisation_id, subject.user_id);
  ELSE
    PERFORM note_standing_change(u.organisation_id, u.id) FROM users u WHERE u.id = subject.user_id;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION note_organisation_standing_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  subject record;
BEGIN
  IF TG_OP = 'DELETE' THEN subject := OLD; ELSE subject := NEW; END IF;
  IF TG_TABLE_NAME = 'organisations' THEN
    PERFORM note_standing_change(subject.id, NULL);
  ELSE
    PERFORM note_standing_change(subject.organisation_id, NULL);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER attempts_standing_insert AFTER INSERT ON attempts
  FOR EACH ROW EXECUTE FUNCTION note_person_standing_change();
--> statement-breakpoint
CREATE TRIGGER attempts_standing_update AFTER UPDATE ON attempts
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.completed_at IS DISTINCT FROM NEW.completed_at
    OR OLD.started_at IS DISTINCT FROM NEW.started_at OR OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.module_id IS DISTINCT FROM NEW.module_id)
  EXECUTE FUNCTION note_person_standing_change();
--> statement-breakpoint
CREATE TRIGGER attestations_standing_insert AFTER INSERT ON attestations
  FOR EACH ROW EXECUTE FUNCTION note_person_standing_change();
--> statement-breakpoint
CREATE TRIGGER team_memberships_standing AFTER INSERT OR UPDATE OR DELETE ON team_memberships
  FOR EACH ROW EXECUTE FUNCTION note_person_standing_change();
--> statement-breakpoint
CREATE TRIGGER users_standing_insert AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION note_person_standing_change();
--> statement-breakpoint
CREATE TRIGGER users_standing_update AFTER UPDATE ON users
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.employee_number IS DISTINCT FROM NEW.employee_number OR OLD.start_date IS DISTINCT FROM NEW.start_date
    OR OLD.leaving_date IS DISTINCT FROM NEW.leaving_date OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id)
  EXECUTE FUNCTION note_person_standing_change();
--> statement-breakpoint
CREATE TRIGGER requirements_standing AFTER INSERT OR UPDATE OR DELETE ON requirements
  FOR EACH ROW EXECUTE FUNCTION note_organisation_standing_change();
--> statement-breakpoint
CREATE TRIGGER policy_versions_standing AFTER INSERT ON policy_versions
  FOR EACH ROW EXECUTE FUNCTION note_organisation_standing_change();
--> statement-breakpoint
CREATE TRIGGER policies_standing AFTER UPDATE ON policies
  FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION note_organisation_standing_change();
--> statement-breakpoint
CREATE TRIGGER training_modules_standing AFTER UPDATE ON training_modules
  FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.slug IS DISTINCT FROM NEW.slug)
  EXECUTE FUNCTION note_organisation_standing_change();
--> statement-breakpoint
CREATE TRIGGER teams_standing AFTER UPDATE ON teams
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION note_organisation_standing_change();
--> statement-breakpoint
CREATE TRIGGER organisations_standing AFTER UPDATE ON organisations
  FOR EACH ROW WHEN (OLD.due_soon_days IS DISTINCT FROM NEW.due_soon_days) EXECUTE FUNCTION note_organisation_standing_change();

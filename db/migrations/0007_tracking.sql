CREATE TYPE "public"."delivery_status" AS ENUM('delivered', 'sent', 'failed', 'skipped');--> statement-breakpoint
CREATE TYPE "public"."nudge_kind" AS ENUM('nudge', 'reminder', 'escalation');--> statement-breakpoint
CREATE TYPE "public"."requirement_kind" AS ENUM('module', 'policy');--> statement-breakpoint
CREATE TABLE "nudge_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"nudge_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"status" "delivery_status" NOT NULL,
	"error" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nudges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"kind" "nudge_kind" NOT NULL,
	"recipient_user_id" uuid NOT NULL,
	"sender_user_id" uuid,
	"team_id" uuid,
	"day" date NOT NULL,
	"message" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dismissed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "requirements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"kind" "requirement_kind" NOT NULL,
	"module_id" uuid,
	"policy_id" uuid,
	"due_within_days" integer DEFAULT 28 NOT NULL,
	"renewal_months" integer DEFAULT 12 NOT NULL,
	"effective_from" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "requirements_kind_check" CHECK (("requirements"."kind" = 'module' and "requirements"."module_id" is not null and "requirements"."policy_id" is null) or ("requirements"."kind" = 'policy' and "requirements"."policy_id" is not null and "requirements"."module_id" is null)),
	CONSTRAINT "requirements_periods_check" CHECK ("requirements"."due_within_days" >= 0 and "requirements"."renewal_months" > 0)
);
--> statement-breakpoint
CREATE TABLE "roster_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"uploaded_by" uuid NOT NULL,
	"file_name" text NOT NULL,
	"sha256" text NOT NULL,
	"byte_size" integer NOT NULL,
	"content" "bytea" NOT NULL,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "team_memberships" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"team_id" uuid NOT NULL,
	"started_on" date NOT NULL,
	"ended_on" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "team_memberships_dates_check" CHECK ("team_memberships"."ended_on" is null or "team_memberships"."ended_on" >= "team_memberships"."started_on")
);
--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "due_soon_days" integer DEFAULT 14 NOT NULL;--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "escalation_overdue_days" integer DEFAULT 14 NOT NULL;--> statement-breakpoint
ALTER TABLE "nudge_deliveries" ADD CONSTRAINT "nudge_deliveries_nudge_id_nudges_id_fk" FOREIGN KEY ("nudge_id") REFERENCES "public"."nudges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nudges" ADD CONSTRAINT "nudges_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nudges" ADD CONSTRAINT "nudges_recipient_user_id_users_id_fk" FOREIGN KEY ("recipient_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nudges" ADD CONSTRAINT "nudges_sender_user_id_users_id_fk" FOREIGN KEY ("sender_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nudges" ADD CONSTRAINT "nudges_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requirements" ADD CONSTRAINT "requirements_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requirements" ADD CONSTRAINT "requirements_module_id_training_modules_id_fk" FOREIGN KEY ("module_id") REFERENCES "public"."training_modules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requirements" ADD CONSTRAINT "requirements_policy_id_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."policies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_uploads" ADD CONSTRAINT "roster_uploads_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_uploads" ADD CONSTRAINT "roster_uploads_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "team_memberships" ADD CONSTRAINT "team_memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "team_memberships" ADD CONSTRAINT "team_memberships_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "nudge_deliveries_nudge_idx" ON "nudge_deliveries" USING btree ("nudge_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "nudges_recipient_kind_day_key" ON "nudges" USING btree ("recipient_user_id","kind","day");--> statement-breakpoint
CREATE INDEX "nudges_team_idx" ON "nudges" USING btree ("team_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "requirements_organisation_module_key" ON "requirements" USING btree ("organisation_id","module_id");--> statement-breakpoint
CREATE UNIQUE INDEX "requirements_organisation_policy_key" ON "requirements" USING btree ("organisation_id","policy_id");--> statement-breakpoint
CREATE INDEX "roster_uploads_organisation_idx" ON "roster_uploads" USING btree ("organisation_id","created_at");--> statement-breakpoint
CREATE INDEX "team_memberships_team_idx" ON "team_memberships" USING btree ("team_id","started_on");--> statement-breakpoint
CREATE INDEX "team_memberships_user_idx" ON "team_memberships" USING btree ("user_id","started_on");--> statement-breakpoint
CREATE UNIQUE INDEX "team_memberships_one_open_key" ON "team_memberships" USING btree ("user_id") WHERE ended_on is null;--> statement-breakpoint
-- Each module an organisation required, and its code of conduct, become requirements; the policy keeps its renewal period.
INSERT INTO "requirements" ("organisation_id", "kind", "module_id", "effective_from", "created_at")
  SELECT "organisation_id", 'module', "module_id", ("created_at" AT TIME ZONE 'Europe/London')::date, "created_at" FROM "required_modules";
--> statement-breakpoint
INSERT INTO "requirements" ("organisation_id", "kind", "policy_id", "renewal_months", "effective_from", "created_at")
  SELECT "organisation_id", 'policy', "id", "renewal_months", ("created_at" AT TIME ZONE 'Europe/London')::date, "created_at" FROM "policies";
--> statement-breakpoint
-- People deactivated before leaving dates were kept left on the day they were deactivated.
UPDATE "users" SET "leaving_date" = ("updated_at" AT TIME ZONE 'Europe/London')::date WHERE NOT "active" AND "leaving_date" IS NULL;
--> statement-breakpoint
-- Everyone's current team becomes an open membership from their start date (or their leaving date closes it).
INSERT INTO "team_memberships" ("user_id", "team_id", "started_on", "ended_on")
  SELECT "id", "team_id", "start_date", CASE WHEN "leaving_date" >= "start_date" THEN "leaving_date" END FROM "users" WHERE "team_id" IS NOT NULL;
--> statement-breakpoint
CREATE TRIGGER nudge_deliveries_no_update_delete BEFORE UPDATE OR DELETE ON nudge_deliveries
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER nudge_deliveries_no_truncate BEFORE TRUNCATE ON nudge_deliveries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();

CREATE TABLE "standing_snapshot_days" (
	"organisation_id" uuid NOT NULL,
	"day" date NOT NULL,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "standing_snapshot_days_organisation_id_day_pk" PRIMARY KEY("organisation_id","day")
);
--> statement-breakpoint
CREATE TABLE "standing_snapshot_summaries" (
	"day" date NOT NULL,
	"organisation_id" uuid NOT NULL,
	"team_id" uuid,
	"statuses" integer NOT NULL,
	"people" integer NOT NULL,
	"not_started" integer NOT NULL,
	"in_progress" integer NOT NULL,
	"complete" integer NOT NULL,
	"due_soon" integer NOT NULL,
	"overdue" integer NOT NULL,
	"expired" integer NOT NULL,
	"exempt" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "standing_snapshots" (
	"day" date NOT NULL,
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
	"earlier_training_id" uuid,
	"exemption_id" uuid,
	"exemption_reason" text,
	"exempt_from" date,
	"exempt_until" date,
	CONSTRAINT "standing_snapshots_organisation_id_day_user_id_requirement_id_pk" PRIMARY KEY("organisation_id","day","user_id","requirement_id")
);
--> statement-breakpoint
ALTER TABLE "standing_snapshot_days" ADD CONSTRAINT "standing_snapshot_days_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "standing_snapshot_summaries_team_idx" ON "standing_snapshot_summaries" USING btree ("organisation_id","day","team_id");--> statement-breakpoint
CREATE INDEX "standing_snapshots_team_idx" ON "standing_snapshots" USING btree ("organisation_id","day","team_id");--> statement-breakpoint
CREATE INDEX "standing_snapshots_report_order_idx" ON "standing_snapshots" USING btree ("organisation_id","day","team_name",lower(regexp_replace(btrim("name"), '^.*[[:space:]]', '')),"name","employee_number",("kind" = 'policy'),"title","requirement_id");
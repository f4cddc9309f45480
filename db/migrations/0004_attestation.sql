CREATE TYPE "public"."attestation_kind" AS ENUM('signed', 'withdrawn');--> statement-breakpoint
CREATE TABLE "attestations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"organisation_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"reference" text NOT NULL,
	"kind" "attestation_kind" NOT NULL,
	"user_id" uuid NOT NULL,
	"policy_version_id" uuid NOT NULL,
	"policy_sha256" text NOT NULL,
	"declaration_text" text NOT NULL,
	"typed_name" text,
	"recorded_at" timestamp (3) with time zone NOT NULL,
	"ip" text,
	"user_agent" text,
	"qualifying_attempt_ids" jsonb NOT NULL,
	"subject_reference" text,
	"actor_user_id" uuid,
	"reason" text,
	"previous_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "attestations_reference_unique" UNIQUE("reference")
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"attestation_id" bigint PRIMARY KEY NOT NULL,
	"pdf_base64" text NOT NULL,
	"sha256" text NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"title" text NOT NULL,
	"renewal_months" integer DEFAULT 12 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"policy_id" uuid NOT NULL,
	"organisation_id" uuid NOT NULL,
	"version_label" text NOT NULL,
	"body" text NOT NULL,
	"sha256" text NOT NULL,
	"effective_date" date NOT NULL,
	"requires_reattestation" boolean DEFAULT true NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_by" uuid
);
--> statement-breakpoint
ALTER TABLE "attestations" ADD CONSTRAINT "attestations_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attestations" ADD CONSTRAINT "attestations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attestations" ADD CONSTRAINT "attestations_policy_version_id_policy_versions_id_fk" FOREIGN KEY ("policy_version_id") REFERENCES "public"."policy_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attestations" ADD CONSTRAINT "attestations_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_attestation_id_attestations_id_fk" FOREIGN KEY ("attestation_id") REFERENCES "public"."attestations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policies" ADD CONSTRAINT "policies_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_policy_id_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."policies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_published_by_users_id_fk" FOREIGN KEY ("published_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "attestations_organisation_seq_key" ON "attestations" USING btree ("organisation_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "attestations_organisation_previous_key" ON "attestations" USING btree ("organisation_id","previous_hash");--> statement-breakpoint
CREATE INDEX "attestations_user_idx" ON "attestations" USING btree ("user_id","policy_version_id");--> statement-breakpoint
CREATE UNIQUE INDEX "policies_organisation_slug_key" ON "policies" USING btree ("organisation_id","slug");--> statement-breakpoint
CREATE UNIQUE INDEX "policy_versions_policy_label_key" ON "policy_versions" USING btree ("policy_id","version_label");--> statement-breakpoint
CREATE INDEX "policy_versions_policy_published_idx" ON "policy_versions" USING btree ("policy_id","published_at");
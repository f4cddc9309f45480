CREATE TYPE "public"."module_source" AS ENUM('content', 'admin');--> statement-breakpoint
CREATE TABLE "module_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"uploaded_by" uuid NOT NULL,
	"file_name" text NOT NULL,
	"content" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"module_version_id" uuid
);
--> statement-breakpoint
ALTER TABLE "module_versions" ADD COLUMN "source" "module_source" DEFAULT 'content' NOT NULL;--> statement-breakpoint
ALTER TABLE "module_versions" ADD COLUMN "approved_by" uuid;--> statement-breakpoint
ALTER TABLE "training_modules" ADD COLUMN "source" "module_source" DEFAULT 'content' NOT NULL;--> statement-breakpoint
ALTER TABLE "module_uploads" ADD CONSTRAINT "module_uploads_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "module_uploads" ADD CONSTRAINT "module_uploads_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "module_uploads" ADD CONSTRAINT "module_uploads_module_version_id_module_versions_id_fk" FOREIGN KEY ("module_version_id") REFERENCES "public"."module_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "module_uploads_organisation_idx" ON "module_uploads" USING btree ("organisation_id","created_at");--> statement-breakpoint
ALTER TABLE "module_versions" ADD CONSTRAINT "module_versions_approved_by_users_id_fk" FOREIGN KEY ("approved_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;
CREATE TABLE "assisted_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"issued_by" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by_session" text,
	"superseded_at" timestamp with time zone,
	CONSTRAINT "assisted_codes_code_hash_unique" UNIQUE("code_hash")
);
--> statement-breakpoint
DROP INDEX "users_search_idx";--> statement-breakpoint
ALTER TABLE "email_changes" ALTER COLUMN "from_email" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "witness_user_id" uuid;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "assisted_code_id" uuid;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "assisted_reference" text;--> statement-breakpoint
ALTER TABLE "assisted_codes" ADD CONSTRAINT "assisted_codes_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assisted_codes" ADD CONSTRAINT "assisted_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assisted_codes" ADD CONSTRAINT "assisted_codes_issued_by_users_id_fk" FOREIGN KEY ("issued_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assisted_codes_user_idx" ON "assisted_codes" USING btree ("user_id","issued_at");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_witness_user_id_users_id_fk" FOREIGN KEY ("witness_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_assisted_code_id_assisted_codes_id_fk" FOREIGN KEY ("assisted_code_id") REFERENCES "public"."assisted_codes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "users_search_idx" ON "users" USING gin (to_tsvector('simple'::regconfig, (name || ' ' || coalesce(email, '') || ' ' || employee_number)));--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_assisted_check" CHECK (("sessions"."witness_user_id" is null) = ("sessions"."assisted_code_id" is null));
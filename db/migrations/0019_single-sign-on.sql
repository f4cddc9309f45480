CREATE TYPE "public"."provider_kind" AS ENUM('entra', 'google', 'oidc');--> statement-breakpoint
CREATE TABLE "identity_providers" (
	"organisation_id" uuid PRIMARY KEY NOT NULL,
	"kind" "provider_kind" NOT NULL,
	"display_name" text NOT NULL,
	"issuer" text NOT NULL,
	"tenant_id" text,
	"client_id" text NOT NULL,
	"client_secret_env" text,
	"client_secret_encrypted" text,
	"email_domains" text[] NOT NULL,
	"password_sign_in" boolean DEFAULT true NOT NULL,
	"proves_fresh_auth" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "identity_providers_one_secret_check" CHECK (("identity_providers"."client_secret_env" is null) <> ("identity_providers"."client_secret_encrypted" is null)),
	CONSTRAINT "identity_providers_entra_tenant_check" CHECK ("identity_providers"."kind" <> 'entra' or "identity_providers"."tenant_id" is not null),
	CONSTRAINT "identity_providers_google_fresh_check" CHECK ("identity_providers"."kind" <> 'google' or not "identity_providers"."proves_fresh_auth")
);
--> statement-breakpoint
CREATE TABLE "user_identities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"organisation_id" uuid NOT NULL,
	"issuer" text NOT NULL,
	"subject" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "method" text DEFAULT 'password' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "provider_reauth_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "signing_passphrase_hash" text;--> statement-breakpoint
ALTER TABLE "identity_providers" ADD CONSTRAINT "identity_providers_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_identities" ADD CONSTRAINT "user_identities_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_identities" ADD CONSTRAINT "user_identities_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "user_identities_issuer_subject_key" ON "user_identities" USING btree ("issuer","subject");--> statement-breakpoint
CREATE UNIQUE INDEX "user_identities_user_issuer_key" ON "user_identities" USING btree ("user_id","issuer");
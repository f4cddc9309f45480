ALTER TABLE "attestations" ADD COLUMN "format_version" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "signer_name" text;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "signer_employee_number" text;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "reauth_method" text;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "witness_user_id" uuid;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "witness_reauth_method" text;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "code_issuer_user_id" uuid;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "earlier_training_ids" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "key_id" text;--> statement-breakpoint
ALTER TABLE "attestations" ADD COLUMN "body_signature" text;--> statement-breakpoint
ALTER TABLE "attestations" ADD CONSTRAINT "attestations_witness_user_id_users_id_fk" FOREIGN KEY ("witness_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attestations" ADD CONSTRAINT "attestations_code_issuer_user_id_users_id_fk" FOREIGN KEY ("code_issuer_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attestations" ADD CONSTRAINT "attestations_format_check" CHECK (("attestations"."format_version" = 1 and "attestations"."key_id" is null and "attestations"."body_signature" is null and "attestations"."signer_name" is null
        and "attestations"."signer_employee_number" is null and "attestations"."reauth_method" is null and "attestations"."witness_user_id" is null
        and "attestations"."witness_reauth_method" is null and "attestations"."code_issuer_user_id" is null and "attestations"."earlier_training_ids" = '[]'::jsonb)
        or ("attestations"."format_version" = 2 and "attestations"."key_id" is not null and "attestations"."body_signature" is not null));
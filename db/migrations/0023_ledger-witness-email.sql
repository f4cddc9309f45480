CREATE TABLE "ledger_witness_mails" (
	"organisation_id" uuid NOT NULL,
	"day" date NOT NULL,
	"tree_size" bigint NOT NULL,
	"email" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_witness_mails_organisation_id_day_pk" PRIMARY KEY("organisation_id","day")
);
--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "witness_email" text;--> statement-breakpoint
ALTER TABLE "ledger_witness_mails" ADD CONSTRAINT "ledger_witness_mails_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;
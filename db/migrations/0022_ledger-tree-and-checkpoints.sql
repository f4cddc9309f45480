CREATE TABLE "ledger_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"organisation_id" uuid NOT NULL,
	"origin" text NOT NULL,
	"tree_size" bigint NOT NULL,
	"root_hash" "bytea" NOT NULL,
	"signed_note" text NOT NULL,
	"key_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_tree_nodes" (
	"organisation_id" uuid NOT NULL,
	"level" smallint NOT NULL,
	"index" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "ledger_tree_nodes_organisation_id_level_index_pk" PRIMARY KEY("organisation_id","level","index"),
	CONSTRAINT "ledger_tree_nodes_hash_check" CHECK (octet_length("ledger_tree_nodes"."hash") = 32 and "ledger_tree_nodes"."level" >= 0 and "ledger_tree_nodes"."index" >= 0)
);
--> statement-breakpoint
ALTER TABLE "ledger_checkpoints" ADD CONSTRAINT "ledger_checkpoints_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_tree_nodes" ADD CONSTRAINT "ledger_tree_nodes_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_checkpoints_organisation_size_key" ON "ledger_checkpoints" USING btree ("organisation_id","tree_size");--> statement-breakpoint
-- Hand-written: the tree and the checkpoints are append-only, like the ledger they prove (docs/ledger.md);
-- protect_append_only_tables() (migration 0013), run after every migration, takes UPDATE, DELETE, TRUNCATE and
-- TRIGGER on them from every role but their owner.
CREATE TRIGGER ledger_tree_nodes_no_update_delete BEFORE UPDATE OR DELETE ON ledger_tree_nodes
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_tree_nodes_no_truncate BEFORE TRUNCATE ON ledger_tree_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();

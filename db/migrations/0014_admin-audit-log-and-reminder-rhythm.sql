CREATE TYPE "public"."reminder_rhythm" AS ENUM('daily', 'weekly');--> statement-breakpoint
DROP INDEX "requirement_standings_report_order_idx";--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "reminder_rhythm" "reminder_rhythm" DEFAULT 'daily' NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_log_organisation_action_at_idx" ON "audit_log" USING btree ("organisation_id","action","at");--> statement-breakpoint
CREATE INDEX "audit_log_organisation_actor_at_idx" ON "audit_log" USING btree ("organisation_id","actor_user_id","at");--> statement-breakpoint
CREATE INDEX "requirement_standings_report_order_idx" ON "requirement_standings" USING btree ("organisation_id","team_name",lower(regexp_replace(btrim("name"), '^.*[[:space:]]', '')),"name","employee_number",("kind" = 'policy'),"title","requirement_id");
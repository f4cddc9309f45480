DROP TABLE "required_modules" CASCADE;--> statement-breakpoint
ALTER TABLE "policies" DROP COLUMN "renewal_months";
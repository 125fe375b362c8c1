CREATE TABLE "audit_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"time" timestamp with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"actor_id" uuid,
	"actor_kind" text NOT NULL,
	"actor_subject" text NOT NULL,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text,
	"request_id" text,
	"outcome" text NOT NULL,
	"failure_code" text,
	"diff" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "audit_logs_actor_kind" CHECK ("audit_logs"."actor_kind" IN ('user', 'system', 'anonymous')),
	CONSTRAINT "audit_logs_outcome" CHECK ("audit_logs"."outcome" IN ('success', 'failure')),
	CONSTRAINT "audit_logs_failure_code" CHECK (("audit_logs"."outcome" = 'success') = ("audit_logs"."failure_code" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_logs_time_idx" ON "audit_logs" USING btree ("time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_logs_resource_idx" ON "audit_logs" USING btree ("resource_type","resource_id","time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_logs_actor_idx" ON "audit_logs" USING btree ("actor_id","time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_logs_action_idx" ON "audit_logs" USING btree ("action","time" DESC NULLS LAST,"id" DESC NULLS LAST);
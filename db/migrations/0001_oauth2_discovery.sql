CREATE TABLE "oauth2_used_states" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD COLUMN "oauth2_issuer" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD COLUMN "oauth2_resource" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD COLUMN "oauth2_revocation_url" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD COLUMN "oauth2_token_endpoint_auth_method" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD COLUMN "oauth2_iss_parameter_required" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD COLUMN "oauth2_registration" jsonb;--> statement-breakpoint
CREATE INDEX "oauth2_used_states_expires_idx" ON "oauth2_used_states" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD CONSTRAINT "mcp_server_configs_oauth2_token_endpoint_auth_method" CHECK ("mcp_server_configs"."oauth2_token_endpoint_auth_method" IN ('', 'client_secret_basic', 'client_secret_post', 'none'));
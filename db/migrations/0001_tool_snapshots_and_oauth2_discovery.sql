CREATE TABLE "mcp_server_tool_snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"mcp_server_config_id" uuid NOT NULL,
	"user_id" uuid,
	"outcome" text NOT NULL,
	"error_code" text,
	"error_detail" text,
	"tools" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mcp_server_tool_snapshots_config_user_key" UNIQUE NULLS NOT DISTINCT("mcp_server_config_id","user_id"),
	CONSTRAINT "mcp_server_tool_snapshots_outcome" CHECK ("mcp_server_tool_snapshots"."outcome" IN ('ok', 'failed')),
	CONSTRAINT "mcp_server_tool_snapshots_error_code" CHECK (("mcp_server_tool_snapshots"."outcome" = 'ok') = ("mcp_server_tool_snapshots"."error_code" IS NULL))
);
--> statement-breakpoint
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
ALTER TABLE "mcp_server_tool_snapshots" ADD CONSTRAINT "mcp_server_tool_snapshots_mcp_server_config_id_mcp_server_configs_id_fk" FOREIGN KEY ("mcp_server_config_id") REFERENCES "public"."mcp_server_configs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_server_tool_snapshots" ADD CONSTRAINT "mcp_server_tool_snapshots_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mcp_server_tool_snapshots_user_idx" ON "mcp_server_tool_snapshots" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "oauth2_used_states_expires_idx" ON "oauth2_used_states" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD CONSTRAINT "mcp_server_configs_oauth2_token_endpoint_auth_method" CHECK ("mcp_server_configs"."oauth2_token_endpoint_auth_method" IN ('', 'client_secret_basic', 'client_secret_post', 'none'));
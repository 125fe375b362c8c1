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
ALTER TABLE "mcp_server_tool_snapshots" ADD CONSTRAINT "mcp_server_tool_snapshots_mcp_server_config_id_mcp_server_configs_id_fk" FOREIGN KEY ("mcp_server_config_id") REFERENCES "public"."mcp_server_configs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_server_tool_snapshots" ADD CONSTRAINT "mcp_server_tool_snapshots_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mcp_server_tool_snapshots_user_idx" ON "mcp_server_tool_snapshots" USING btree ("user_id");
CREATE TABLE "chat_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"chat_id" uuid NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_messages_role" CHECK ("chat_messages"."role" IN ('user', 'assistant', 'system', 'tool'))
);
--> statement-breakpoint
CREATE TABLE "chats" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"title" text NOT NULL,
	"mcp_server_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dbcrypt_keys" (
	"number" integer PRIMARY KEY NOT NULL,
	"active_key_digest" text,
	"revoked_key_digest" text,
	"encrypted_data_key" text NOT NULL,
	"kms_key_id" text NOT NULL,
	"test" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "dbcrypt_keys_active_key_digest_unique" UNIQUE("active_key_digest"),
	CONSTRAINT "dbcrypt_keys_revoked_key_digest_unique" UNIQUE("revoked_key_digest"),
	CONSTRAINT "dbcrypt_keys_number_positive" CHECK ("dbcrypt_keys"."number" > 0),
	CONSTRAINT "dbcrypt_keys_one_digest" CHECK (("dbcrypt_keys"."active_key_digest" IS NULL) <> ("dbcrypt_keys"."revoked_key_digest" IS NULL)),
	CONSTRAINT "dbcrypt_keys_revoked_at" CHECK (("dbcrypt_keys"."revoked_key_digest" IS NULL) = ("dbcrypt_keys"."revoked_at" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "mcp_server_configs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"display_name" text NOT NULL,
	"slug" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"icon_url" text DEFAULT '' NOT NULL,
	"transport" text DEFAULT 'streamable_http' NOT NULL,
	"url" text NOT NULL,
	"auth_type" text DEFAULT 'none' NOT NULL,
	"oauth2_client_id" text DEFAULT '' NOT NULL,
	"oauth2_client_secret" text,
	"oauth2_client_secret_key_id" text,
	"oauth2_auth_url" text DEFAULT '' NOT NULL,
	"oauth2_token_url" text DEFAULT '' NOT NULL,
	"oauth2_scopes" text DEFAULT '' NOT NULL,
	"api_key_header" text DEFAULT 'Authorization' NOT NULL,
	"api_key_value" text,
	"api_key_value_key_id" text,
	"custom_headers" text,
	"custom_headers_key_id" text,
	"tool_allow_list" text[] DEFAULT '{}'::text[] NOT NULL,
	"tool_deny_list" text[] DEFAULT '{}'::text[] NOT NULL,
	"availability" text DEFAULT 'default_off' NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"updated_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mcp_server_configs_slug_unique" UNIQUE("slug"),
	CONSTRAINT "mcp_server_configs_transport" CHECK ("mcp_server_configs"."transport" IN ('streamable_http', 'sse')),
	CONSTRAINT "mcp_server_configs_auth_type" CHECK ("mcp_server_configs"."auth_type" IN ('none', 'oauth2', 'api_key', 'custom_headers')),
	CONSTRAINT "mcp_server_configs_availability" CHECK ("mcp_server_configs"."availability" IN ('force_on', 'default_on', 'default_off')),
	CONSTRAINT "mcp_server_configs_slug_format" CHECK ("mcp_server_configs"."slug" ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	CONSTRAINT "mcp_server_configs_oauth2_client_secret_key" CHECK (("mcp_server_configs"."oauth2_client_secret" IS NULL) = ("mcp_server_configs"."oauth2_client_secret_key_id" IS NULL)),
	CONSTRAINT "mcp_server_configs_api_key_value_key" CHECK (("mcp_server_configs"."api_key_value" IS NULL) = ("mcp_server_configs"."api_key_value_key_id" IS NULL)),
	CONSTRAINT "mcp_server_configs_custom_headers_key" CHECK (("mcp_server_configs"."custom_headers" IS NULL) = ("mcp_server_configs"."custom_headers_key_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "mcp_server_user_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"mcp_server_config_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"access_token" text NOT NULL,
	"access_token_key_id" text NOT NULL,
	"refresh_token" text,
	"refresh_token_key_id" text,
	"token_type" text DEFAULT 'Bearer' NOT NULL,
	"expiry" timestamp with time zone,
	"refresh_failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mcp_server_user_tokens_refresh_token_key" CHECK (("mcp_server_user_tokens"."refresh_token" IS NULL) = ("mcp_server_user_tokens"."refresh_token_key_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"username" text NOT NULL,
	"email" text,
	"roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_subject_unique" UNIQUE("subject")
);
--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_chat_id_chats_id_fk" FOREIGN KEY ("chat_id") REFERENCES "public"."chats"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chats" ADD CONSTRAINT "chats_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD CONSTRAINT "mcp_server_configs_oauth2_client_secret_key_id_dbcrypt_keys_active_key_digest_fk" FOREIGN KEY ("oauth2_client_secret_key_id") REFERENCES "public"."dbcrypt_keys"("active_key_digest") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD CONSTRAINT "mcp_server_configs_api_key_value_key_id_dbcrypt_keys_active_key_digest_fk" FOREIGN KEY ("api_key_value_key_id") REFERENCES "public"."dbcrypt_keys"("active_key_digest") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD CONSTRAINT "mcp_server_configs_custom_headers_key_id_dbcrypt_keys_active_key_digest_fk" FOREIGN KEY ("custom_headers_key_id") REFERENCES "public"."dbcrypt_keys"("active_key_digest") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD CONSTRAINT "mcp_server_configs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_server_configs" ADD CONSTRAINT "mcp_server_configs_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_server_user_tokens" ADD CONSTRAINT "mcp_server_user_tokens_mcp_server_config_id_mcp_server_configs_id_fk" FOREIGN KEY ("mcp_server_config_id") REFERENCES "public"."mcp_server_configs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_server_user_tokens" ADD CONSTRAINT "mcp_server_user_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_server_user_tokens" ADD CONSTRAINT "mcp_server_user_tokens_access_token_key_id_dbcrypt_keys_active_key_digest_fk" FOREIGN KEY ("access_token_key_id") REFERENCES "public"."dbcrypt_keys"("active_key_digest") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
ALTER TABLE "mcp_server_user_tokens" ADD CONSTRAINT "mcp_server_user_tokens_refresh_token_key_id_dbcrypt_keys_active_key_digest_fk" FOREIGN KEY ("refresh_token_key_id") REFERENCES "public"."dbcrypt_keys"("active_key_digest") ON DELETE restrict ON UPDATE restrict;--> statement-breakpoint
CREATE INDEX "chat_messages_chat_idx" ON "chat_messages" USING btree ("chat_id","created_at");--> statement-breakpoint
CREATE INDEX "chats_owner_idx" ON "chats" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "chats_mcp_server_ids_idx" ON "chats" USING gin ("mcp_server_ids");--> statement-breakpoint
CREATE INDEX "mcp_server_configs_enabled_idx" ON "mcp_server_configs" USING btree ("slug") WHERE "mcp_server_configs"."enabled";--> statement-breakpoint
CREATE INDEX "mcp_server_configs_force_on_idx" ON "mcp_server_configs" USING btree ("slug") WHERE "mcp_server_configs"."enabled" AND "mcp_server_configs"."availability" = 'force_on';--> statement-breakpoint
CREATE UNIQUE INDEX "mcp_server_user_tokens_config_user_idx" ON "mcp_server_user_tokens" USING btree ("mcp_server_config_id","user_id");--> statement-breakpoint
CREATE INDEX "mcp_server_user_tokens_user_idx" ON "mcp_server_user_tokens" USING btree ("user_id");
/**
 * The governance rules that decide which MCP tools a chat turn may use. Pure functions, so
 * the rules can be tested as a table and read in one place:
 *
 * 1. Start from the chat's selection and keep enabled servers.
 * 2. Add every enabled `force_on` server, selected or not.
 * 3. Auth gate: an `oauth2` server without a usable token for the user is left out and
 *    reported as `needs_auth` with the endpoint that starts the connection.
 * 4. Tool filter on exact names: a non-empty allow list keeps only its tools, and the deny
 *    list removes its tools, allow-listed or not.
 * 5. Exposed names are `<slug>__<tool>` with every character outside `[A-Za-z0-9_-]`
 *    replaced by `_`, cut to 64 characters (the limit model providers accept), and sorted.
 *    Tools whose exposed names collide are all left out and reported, because a model could
 *    not tell them apart.
 *
 * Rule 3 of the chat contract (a new chat starts with the `default_on` servers) applies when
 * the chat is created; see db/chats/selection.ts.
 */
import type { Availability, AuthType } from '../../db/mcp-servers/types.js';

export const maxExposedNameLength = 64;

/** Facts the rules need about one server. */
export interface GovernedServer {
  id: string;
  slug: string;
  displayName: string;
  enabled: boolean;
  availability: Availability;
  authType: AuthType;
  /** Whether the user has a usable token; only read for `oauth2` servers. */
  connected: boolean;
  toolAllowList: readonly string[];
  toolDenyList: readonly string[];
}

/** A server that takes part in the turn, and whether its tools may be fetched. */
export interface TurnServerPlan {
  server: GovernedServer;
  reason: 'selected' | 'force_on';
  gate: 'open' | 'needs_auth';
}

/** A tool as a server listed it. */
export interface ListedTool {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
}

export type ToolListing =
  | { outcome: 'ok'; tools: ListedTool[]; fetchedAt: Date }
  | { outcome: 'failed'; errorCode: string; errorDetail: string; fetchedAt: Date };

export type TurnServerStatus = 'ready' | 'needs_auth' | 'unreachable' | 'no_tools';

export interface TurnServerReport {
  id: string;
  slug: string;
  display_name: string;
  reason: TurnServerPlan['reason'];
  status: TurnServerStatus;
  /** Path that starts the OAuth connection of a `needs_auth` server; null for every other status. */
  connect_endpoint: string | null;
  error_code: string | null;
  error_detail: string | null;
  /** Tools left after the allow and deny lists, before collisions are removed. */
  tool_count: number;
  fetched_at: string | null;
}

export interface ExposedTool {
  name: string;
  server_id: string;
  server_slug: string;
  tool_name: string;
  title: string | null;
  description: string;
  input_schema: Record<string, unknown>;
}

export interface ToolNameCollision {
  name: string;
  tools: { server_id: string; server_slug: string; tool_name: string }[];
}

export interface TurnTools {
  servers: TurnServerReport[];
  tools: ExposedTool[];
  collisions: ToolNameCollision[];
}

/** Applies rules 1 to 3: the servers of the turn, ordered by slug, each with its auth gate. */
export function selectTurnServers(selection: readonly string[], servers: readonly GovernedServer[]): TurnServerPlan[] {
  const selected = new Set(selection.map((id) => id.toLowerCase()));
  const plans: TurnServerPlan[] = [];
  for (const server of servers) {
    if (!server.enabled) continue;
    const reason = server.availability === 'force_on' ? 'force_on' : selected.has(server.id.toLowerCase()) ? 'selected' : undefined;
    if (!reason) continue;
    const gate = server.authType === 'oauth2' && !server.connected ? 'needs_auth' : 'open';
    plans.push({ server, reason, gate });
  }
  return plans.sort((a, b) => compareStrings(a.server.slug, b.server.slug));
}

/**
 * Applies rules 4 and 5 to the listings of the open servers. A plan without a listing is
 * reported `unreachable`.
 */
export function buildTurnTools(plans: readonly TurnServerPlan[], listings: ReadonlyMap<string, ToolListing>): TurnTools {
  const servers: TurnServerReport[] = [];
  const candidates: ExposedTool[] = [];

  for (const { server, reason, gate } of plans) {
    const report: TurnServerReport = {
      id: server.id,
      slug: server.slug,
      display_name: server.displayName,
      reason,
      status: 'needs_auth',
      connect_endpoint: null,
      error_code: null,
      error_detail: null,
      tool_count: 0,
      fetched_at: null,
    };
    servers.push(report);
    if (gate === 'needs_auth') {
      report.connect_endpoint = connectEndpoint(server.id);
      continue;
    }

    const listing = listings.get(server.id);
    report.fetched_at = listing ? listing.fetchedAt.toISOString() : null;
    if (!listing || listing.outcome === 'failed') {
      report.status = 'unreachable';
      report.error_code = listing?.errorCode ?? 'not_listed';
      report.error_detail = listing?.errorDetail ?? 'The tools of this server were not listed.';
      continue;
    }

    const allowed = filterTools(listing.tools, server.toolAllowList, server.toolDenyList);
    report.tool_count = allowed.length;
    report.status = allowed.length > 0 ? 'ready' : 'no_tools';
    for (const tool of allowed) {
      candidates.push({
        name: exposedToolName(server.slug, tool.name),
        server_id: server.id,
        server_slug: server.slug,
        tool_name: tool.name,
        title: tool.title ?? null,
        description: tool.description ?? '',
        input_schema: tool.inputSchema,
      });
    }
  }

  return { servers, ...removeCollisions(candidates) };
}

/** Applies the allow and deny lists; both hold exact tool names. */
export function filterTools<T extends { name: string }>(tools: readonly T[], allowList: readonly string[], denyList: readonly string[]): T[] {
  const allow = new Set(allowList);
  const deny = new Set(denyList);
  return tools.filter((tool) => (allow.size === 0 || allow.has(tool.name)) && !deny.has(tool.name));
}

/** Returns `<slug>__<tool>` limited to `[A-Za-z0-9_-]` and 64 characters. */
export function exposedToolName(slug: string, toolName: string): string {
  return `${slug}__${toolName}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, maxExposedNameLength);
}

/** Returns the path that starts the OAuth connection of a server, relative to the API's origin. */
export function connectEndpoint(serverId: string): string {
  return `/api/experimental/mcp/servers/${serverId}/oauth2/connect`;
}

function removeCollisions(candidates: ExposedTool[]): Pick<TurnTools, 'tools' | 'collisions'> {
  const byName = new Map<string, ExposedTool[]>();
  for (const tool of candidates) {
    const group = byName.get(tool.name);
    if (group) group.push(tool);
    else byName.set(tool.name, [tool]);
  }

  const tools: ExposedTool[] = [];
  const collisions: ToolNameCollision[] = [];
  for (const [name, group] of byName) {
    if (group.length === 1) {
      tools.push(group[0]!);
      continue;
    }
    collisions.push({
      name,
      tools: group.map((tool) => ({ server_id: tool.server_id, server_slug: tool.server_slug, tool_name: tool.tool_name })),
    });
  }
  tools.sort((a, b) => compareStrings(a.name, b.name));
  collisions.sort((a, b) => compareStrings(a.name, b.name));
  return { tools, collisions };
}

/** Code-point order, so the result does not depend on the runtime's locale. */
function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

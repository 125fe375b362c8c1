/**
 * Rules for a chat's `mcp_server_ids`: ids are de-duplicated keeping their first position,
 * and each must name an existing, enabled server. A chat created without a selection starts
 * with the enabled `default_on` servers; `force_on` servers are added per turn, not stored.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../database.js';
import { ValidationError, type FieldViolation } from '../errors.js';
import { mcpServerConfigs } from '../schema.js';

const t = mcpServerConfigs;

/**
 * Returns the de-duplicated selection after checking every id, and locks the named servers
 * against deletion until the caller's transaction ends, so a concurrent delete cannot leave a
 * dangling id behind.
 * @throws ValidationError listing every unknown or disabled id by its position in `ids`.
 */
export async function resolveServerSelection(tx: Database, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  if (unique.length === 0) return [];

  const rows = await tx
    .select({ id: t.id })
    .from(t)
    .where(and(inArray(t.id, unique), eq(t.enabled, true)))
    .for('key share');
  const enabled = new Set(rows.map((row) => row.id));

  const violations: FieldViolation[] = [];
  ids.forEach((id, index) => {
    if (!enabled.has(id.toLowerCase())) {
      // Unknown and disabled read the same, so members learn nothing about hidden servers.
      violations.push({ field: `mcp_server_ids[${index}]`, detail: `No enabled MCP server has id ${id}.` });
    }
  });
  if (violations.length > 0) throw new ValidationError(violations);
  return unique;
}

/** Returns the ids of the enabled `default_on` servers, ordered by slug, for a chat created without a selection. */
export async function defaultServerSelection(tx: Database): Promise<string[]> {
  const rows = await tx
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.enabled, true), eq(t.availability, 'default_on')))
    .orderBy(asc(t.slug))
    .for('key share');
  return rows.map((row) => row.id);
}

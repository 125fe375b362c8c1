/**
 * Members see a server's name, not its address, so the detail of a failed listing, which
 * can name the host, is shown to admins only. Members get the stable code and this text.
 */
import { isPrivileged, type Actor } from '../../db/actor.js';

/** Returns the detail to show `actor` for a failed listing. */
export function failureDetailFor(actor: Actor, code: string, detail: string): string {
  if (isPrivileged(actor)) return detail;
  return `Listing the tools of this server failed (${code}). An admin can see the details.`;
}

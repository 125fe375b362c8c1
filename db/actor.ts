/**
 * The acting subject that every data-access function takes and checks before it touches
 * data: a signed-in user (admin or member) or Switchboard itself (start-up, rotation, CLI).
 */
import { AccessDeniedError } from './errors.js';

export interface UserActor {
  kind: 'user';
  /** Name-based UUID of `subject`; see `userIdForSubject`. */
  userId: string;
  subject: string;
  username: string;
  email: string | null;
  roles: string[];
  isAdmin: boolean;
}

export interface SystemActor {
  kind: 'system';
  /** Why the system acts, for logs: `startup`, `rotation`, `cli`. */
  purpose: string;
}

export type Actor = UserActor | SystemActor;

export const adminRole = 'admin';

export function systemActor(purpose: string): SystemActor {
  return { kind: 'system', purpose };
}

/** Admins and the system may read and change deployment configuration. */
export function isPrivileged(actor: Actor): boolean {
  return actor.kind === 'system' || actor.isAdmin;
}

/** @throws AccessDeniedError unless the actor is an admin or the system. */
export function assertPrivileged(actor: Actor): void {
  if (!isPrivileged(actor)) throw new AccessDeniedError();
}

/** @throws AccessDeniedError unless the actor is a user; the system owns no chats or tokens. */
export function assertUser(actor: Actor): asserts actor is UserActor {
  if (actor.kind !== 'user') throw new AccessDeniedError('This action needs a signed-in user.');
}

/**
 * Connect tickets: a browser navigation cannot send a bearer header, so `POST …/connect`
 * hands out a URL carrying a ticket instead. A ticket is an HS256 JWT that lives 60 seconds,
 * names one user and one server, and is accepted only by `GET …/connect` (its `typ` and
 * audience differ from every other token Switchboard signs or accepts).
 */
import { SignJWT, jwtVerify } from 'jose';
import { z } from 'zod';
import { adminRole, type UserActor } from '../../db/actor.js';
import { deriveKey } from './keys.js';

export const ticketLifetimeSeconds = 60;
const ticketType = 'switchboard-connect-ticket+jwt';
const audience = 'switchboard/oauth2/connect';

const ticketClaims = z.object({
  sub: z.string().min(1),
  uid: z.string().uuid(),
  srv: z.string().uuid(),
  name: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.string()),
});

/** Signs a ticket for `actor` to connect `serverId`. */
export async function signConnectTicket(secret: Uint8Array, actor: UserActor, serverId: string): Promise<string> {
  const claims: z.infer<typeof ticketClaims> = {
    sub: actor.subject,
    uid: actor.userId,
    srv: serverId,
    name: actor.username,
    email: actor.email,
    roles: actor.roles,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: ticketType })
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${ticketLifetimeSeconds}s`)
    .sign(await deriveKey(secret, 'connect-ticket-hs256'));
}

/**
 * Verifies a ticket and returns the actor it names, or undefined when it is invalid, expired,
 * of another type, or made for another server.
 */
export async function verifyConnectTicket(secret: Uint8Array, ticket: string, serverId: string): Promise<UserActor | undefined> {
  try {
    const { payload } = await jwtVerify(ticket, await deriveKey(secret, 'connect-ticket-hs256'), {
      algorithms: ['HS256'],
      typ: ticketType,
      audience,
      requiredClaims: ['exp', 'iat'],
      maxTokenAge: `${ticketLifetimeSeconds}s`,
    });
    const claims = ticketClaims.parse(payload);
    if (claims.srv !== serverId) return undefined;
    return {
      kind: 'user',
      userId: claims.uid,
      subject: claims.sub,
      username: claims.name,
      email: claims.email,
      roles: claims.roles,
      isAdmin: claims.roles.includes(adminRole),
    };
  } catch {
    return undefined;
  }
}

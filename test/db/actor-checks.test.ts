import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor, type Actor } from '../../db/actor.js';
import { AccessDeniedError, NotFoundError } from '../../db/errors.js';
import {
  createMcpServerConfig,
  deleteMcpServerConfig,
  getMcpServerConfig,
  listMcpServerConfigs,
  updateMcpServerConfig,
} from '../../db/mcp-servers/queries.js';
import { userIdForSubject } from '../../db/users.js';
import { createTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
const actors: Record<'admin' | 'member' | 'system', Actor> = {} as never;

beforeAll(async () => {
  t = await createTestApp();
  actors.admin = await user('admin-user', true);
  actors.member = await user('member-user', false);
  actors.system = systemActor('test');
});
afterAll(() => t.close());

async function user(subject: string, isAdmin: boolean): Promise<Actor> {
  return {
    kind: 'user',
    userId: await userIdForSubject(subject),
    subject,
    username: subject,
    email: null,
    roles: isAdmin ? ['admin'] : [],
    isAdmin,
  };
}

let counter = 0;
async function newServer(enabled = false) {
  return createMcpServerConfig(t.database.db, t.keyring, actors.system, {
    displayName: 'Server',
    slug: `actor-${++counter}`,
    url: 'https://mcp.example.com/',
    enabled,
  });
}

type ActorName = keyof typeof actors;
type Outcome = 'allow' | 'deny' | 'hidden';

/** Each data-access function as each actor: allowed, denied (403) or hidden (404). */
const matrix: { name: string; run: (actor: Actor) => Promise<unknown>; expected: Record<ActorName, Outcome> }[] = [
  {
    name: 'createMcpServerConfig',
    run: (actor) =>
      createMcpServerConfig(t.database.db, t.keyring, actor, { displayName: 'New', slug: `actor-new-${++counter}`, url: 'https://mcp.example.com/' }),
    expected: { admin: 'allow', member: 'deny', system: 'allow' },
  },
  {
    name: 'updateMcpServerConfig',
    run: async (actor) => updateMcpServerConfig(t.database.db, t.keyring, actor, (await newServer()).id, { description: 'x' }),
    expected: { admin: 'allow', member: 'deny', system: 'allow' },
  },
  {
    name: 'deleteMcpServerConfig',
    run: async (actor) => deleteMcpServerConfig(t.database.db, actor, (await newServer()).id),
    expected: { admin: 'allow', member: 'deny', system: 'allow' },
  },
  {
    name: 'getMcpServerConfig on a disabled server',
    run: async (actor) => getMcpServerConfig(t.database.db, actor, (await newServer(false)).id),
    expected: { admin: 'allow', member: 'hidden', system: 'allow' },
  },
  {
    name: 'getMcpServerConfig on an enabled server',
    run: async (actor) => getMcpServerConfig(t.database.db, actor, (await newServer(true)).id),
    expected: { admin: 'allow', member: 'allow', system: 'allow' },
  },
  {
    name: 'listMcpServerConfigs',
    run: (actor) => listMcpServerConfigs(t.database.db, actor),
    expected: { admin: 'allow', member: 'allow', system: 'allow' },
  },
];

describe.each(matrix)('$name', ({ run, expected }) => {
  it.each(Object.keys(expected) as ActorName[])('as %s', async (name) => {
    const outcome = await run(actors[name]).then(
      () => 'allow',
      (error: unknown) => {
        if (error instanceof AccessDeniedError) return 'deny';
        if (error instanceof NotFoundError) return 'hidden';
        throw error;
      },
    );
    expect(outcome).toBe(expected[name]);
  });
});

describe('listMcpServerConfigs', () => {
  it('gives members only enabled servers, redacted', async () => {
    const disabled = await newServer(false);
    const enabled = await newServer(true);
    const list = await listMcpServerConfigs(t.database.db, actors.member);
    expect(list.map((s) => s.id)).not.toContain(disabled.id);
    expect(list.find((s) => s.id === enabled.id)).toMatchObject({ url: '', transport: '' });
  });

  it('gives the system every server unredacted', async () => {
    const disabled = await newServer(false);
    const list = await listMcpServerConfigs(t.database.db, actors.system);
    expect(list.find((s) => s.id === disabled.id)).toMatchObject({ url: 'https://mcp.example.com/' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chats } from '../../db/schema.js';
import { createTestApp, serverBody, type Caller, type TestApp } from '../support/harness.js';

let t: TestApp;
type ServerName = 'defaultOnA' | 'defaultOnB' | 'defaultOff' | 'forceOn' | 'disabled' | 'deleted';
const ids = {} as Record<ServerName, string>;

/** Response bodies are checked field by field below, so they are read untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(response: Response): Promise<any> {
  return response.json();
}

async function createServer(slug: string, overrides: Record<string, unknown>): Promise<string> {
  const response = await t.request('POST', '/api/experimental/mcp/servers', { body: serverBody(slug, overrides) });
  expect(response.status).toBe(201);
  return (await json(response)).id;
}

async function createChat(body: Record<string, unknown>, as: Caller = 'member'): Promise<Response> {
  return t.request('POST', '/api/experimental/chats', { as, body: { title: 'Triage', content: 'Hello', ...body } });
}

async function chatIdOf(response: Response): Promise<string> {
  expect(response.status).toBe(201);
  return (await json(response)).id;
}

beforeAll(async () => {
  t = await createTestApp();
  ids.defaultOnB = await createServer('default-on-b', { availability: 'default_on', enabled: true });
  ids.defaultOnA = await createServer('default-on-a', { availability: 'default_on', enabled: true });
  ids.defaultOff = await createServer('default-off', { availability: 'default_off', enabled: true });
  ids.forceOn = await createServer('force-on', { availability: 'force_on', enabled: true });
  ids.disabled = await createServer('disabled', { availability: 'default_on', enabled: false });
  ids.deleted = await createServer('deleted', { enabled: true });
  const deleted = await t.request('DELETE', `/api/experimental/mcp/servers/${ids.deleted}`);
  expect(deleted.status).toBe(204);
});
afterAll(() => t.close());

describe('POST /api/experimental/chats', () => {
  it('starts with the enabled default_on servers when mcp_server_ids is absent', async () => {
    const response = await createChat({});
    expect(response.status).toBe(201);
    const chat = await json(response);
    expect(chat.mcp_server_ids).toEqual([ids.defaultOnA, ids.defaultOnB]);
    expect(chat.title).toBe('Triage');
    expect(chat.messages).toHaveLength(1);
    expect(chat.messages[0]).toMatchObject({ role: 'user', content: 'Hello', chat_id: chat.id });
  });

  it('treats null like an absent selection', async () => {
    const chat = await json(await createChat({ mcp_server_ids: null }));
    expect(chat.mcp_server_ids).toEqual([ids.defaultOnA, ids.defaultOnB]);
  });

  it('starts with no servers for an empty list', async () => {
    const chat = await json(await createChat({ mcp_server_ids: [] }));
    expect(chat.mcp_server_ids).toEqual([]);
  });

  it('keeps the given servers, de-duplicated in their first order', async () => {
    const response = await createChat({ mcp_server_ids: [ids.defaultOff, ids.defaultOnB, ids.defaultOff.toUpperCase()] });
    const chat = await json(response);
    expect(chat.mcp_server_ids).toEqual([ids.defaultOff, ids.defaultOnB]);
  });

  it('lists every disabled, deleted or unknown id', async () => {
    const unknown = '00000000-0000-4000-8000-00000000dead';
    const response = await createChat({ mcp_server_ids: [ids.defaultOff, ids.disabled, ids.deleted, unknown] });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.code).toBe('validation_failed');
    expect(body.validations.map((v: { field: string }) => v.field)).toEqual([
      'mcp_server_ids[1]',
      'mcp_server_ids[2]',
      'mcp_server_ids[3]',
    ]);
    expect(body.validations[0].detail).toContain(ids.disabled);
  });

  it('rejects ids that are not UUIDs, naming the position', async () => {
    const response = await createChat({ mcp_server_ids: ['not-a-uuid'] });
    expect(response.status).toBe(400);
    expect((await json(response)).validations).toEqual([{ field: 'mcp_server_ids[0]', detail: 'Expected a UUID.' }]);
  });

  it.each([
    [{ title: '' }, 'title'],
    [{ content: '   ' }, 'content'],
    [{ mcp_server_ids: 'all' }, 'mcp_server_ids'],
    [{ extra: true }, 'extra'],
  ])('rejects %j naming %s', async (overrides, field) => {
    const response = await createChat(overrides);
    expect(response.status).toBe(400);
    expect((await json(response)).validations.map((v: { field: string }) => v.field)).toContain(field);
  });

  it('creates nothing when the selection is invalid', async () => {
    const countChats = async () => (await t.database.db.select({ id: chats.id }).from(chats)).length;
    const before = await countChats();
    await createChat({ mcp_server_ids: [ids.disabled] });
    expect(await countChats()).toBe(before);
  });

  it('requires a bearer token', async () => {
    const response = await createChat({}, 'anonymous');
    expect(response.status).toBe(401);
  });
});

describe('GET /api/experimental/chats/{id}', () => {
  it('returns the chat to its owner', async () => {
    const id = await chatIdOf(await createChat({ mcp_server_ids: [ids.defaultOff] }));
    const response = await t.request('GET', `/api/experimental/chats/${id}`, { as: 'member' });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ id, mcp_server_ids: [ids.defaultOff] });
  });

  it.each<Caller>(['otherMember', 'admin'])('answers 404 to %s', async (caller) => {
    const id = await chatIdOf(await createChat({}));
    const response = await t.request('GET', `/api/experimental/chats/${id}`, { as: caller });
    expect(response.status).toBe(404);
    expect((await json(response)).code).toBe('not_found');
  });

  it('answers 400 for a malformed id', async () => {
    const response = await t.request('GET', '/api/experimental/chats/nope', { as: 'member' });
    expect(response.status).toBe(400);
  });
});

describe('POST /api/experimental/chats/{id}/messages', () => {
  async function addMessage(chatId: string, body: Record<string, unknown>, as: Caller = 'member'): Promise<Response> {
    return t.request('POST', `/api/experimental/chats/${chatId}/messages`, { as, body: { content: 'Next', ...body } });
  }

  it('keeps the selection when mcp_server_ids is absent or null', async () => {
    const id = await chatIdOf(await createChat({ mcp_server_ids: [ids.defaultOff] }));

    const absent = await addMessage(id, {});
    expect(absent.status).toBe(201);
    expect((await json(absent)).mcp_server_ids).toEqual([ids.defaultOff]);
    const nulled = await addMessage(id, { mcp_server_ids: null });
    expect((await json(nulled)).mcp_server_ids).toEqual([ids.defaultOff]);
  });

  it('clears the selection with an empty list', async () => {
    const id = await chatIdOf(await createChat({ mcp_server_ids: [ids.defaultOff] }));
    const response = await addMessage(id, { mcp_server_ids: [] });
    expect((await json(response)).mcp_server_ids).toEqual([]);
  });

  it('replaces the selection with a list, de-duplicated', async () => {
    const id = await chatIdOf(await createChat({ mcp_server_ids: [ids.defaultOff] }));
    const response = await addMessage(id, { mcp_server_ids: [ids.forceOn, ids.defaultOnA, ids.forceOn] });
    const body = await json(response);
    expect(body.mcp_server_ids).toEqual([ids.forceOn, ids.defaultOnA]);
    expect(body.message).toMatchObject({ chat_id: id, role: 'user', content: 'Next' });

    const chat = await json(await t.request('GET', `/api/experimental/chats/${id}`, { as: 'member' }));
    expect(chat.mcp_server_ids).toEqual([ids.forceOn, ids.defaultOnA]);
    expect(chat.messages.map((m: { content: string }) => m.content)).toEqual(['Hello', 'Next']);
  });

  it('rejects disabled and deleted ids and changes nothing', async () => {
    const id = await chatIdOf(await createChat({ mcp_server_ids: [ids.defaultOff] }));
    const response = await addMessage(id, { mcp_server_ids: [ids.disabled, ids.deleted] });
    expect(response.status).toBe(400);
    expect((await json(response)).validations.map((v: { field: string }) => v.field)).toEqual([
      'mcp_server_ids[0]',
      'mcp_server_ids[1]',
    ]);

    const chat = await json(await t.request('GET', `/api/experimental/chats/${id}`, { as: 'member' }));
    expect(chat.mcp_server_ids).toEqual([ids.defaultOff]);
    expect(chat.messages).toHaveLength(1);
  });

  it("answers 404 for another user's chat and leaves it unchanged", async () => {
    const id = await chatIdOf(await createChat({ mcp_server_ids: [ids.defaultOff] }));
    const response = await addMessage(id, { mcp_server_ids: [] }, 'otherMember');
    expect(response.status).toBe(404);

    const chat = await json(await t.request('GET', `/api/experimental/chats/${id}`, { as: 'member' }));
    expect(chat.mcp_server_ids).toEqual([ids.defaultOff]);
    expect(chat.messages).toHaveLength(1);
  });

  it('drops a deleted server from chats that chose it', async () => {
    const doomed = await createServer('doomed', { enabled: true });
    const id = await chatIdOf(await createChat({ mcp_server_ids: [doomed, ids.defaultOff] }));
    expect((await t.request('DELETE', `/api/experimental/mcp/servers/${doomed}`)).status).toBe(204);

    const chat = await json(await t.request('GET', `/api/experimental/chats/${id}`, { as: 'member' }));
    expect(chat.mcp_server_ids).toEqual([ids.defaultOff]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Availability, AuthType } from '../../db/mcp-servers/types.js';
import {
  buildTurnTools,
  exposedToolName,
  selectTurnServers,
  type GovernedServer,
  type ListedTool,
  type ToolListing,
  type TurnTools,
} from '../../functions/tools/governance.js';

const fetchedAt = new Date('2026-01-01T00:00:00Z');
const tool = (name: string): ListedTool => ({ name, inputSchema: { type: 'object' } });
const okListing = (...names: string[]): ToolListing => ({ outcome: 'ok', tools: names.map(tool), fetchedAt });

function server(id: string, overrides: Partial<GovernedServer> = {}): GovernedServer {
  return {
    id,
    slug: id,
    displayName: id,
    enabled: true,
    availability: 'default_off',
    authType: 'none',
    connected: false,
    toolAllowList: [],
    toolDenyList: [],
    ...overrides,
  };
}

/** Runs both steps the way the endpoint does, with a listing for every server. */
function govern(selection: string[], servers: GovernedServer[], listings: Record<string, ToolListing>): TurnTools {
  const plans = selectTurnServers(selection, servers);
  return buildTurnTools(plans, new Map(Object.entries(listings)));
}

describe('selectTurnServers and buildTurnTools', () => {
  const availabilities: Availability[] = ['force_on', 'default_on', 'default_off'];
  const authTypes: AuthType[] = ['none', 'oauth2'];
  const matrix = [];
  for (const enabled of [true, false]) {
    for (const availability of availabilities) {
      for (const selected of [true, false]) {
        for (const authType of authTypes) {
          for (const connected of [true, false]) {
            const takesPart = enabled && (availability === 'force_on' || selected);
            const gated = authType === 'oauth2' && !connected;
            let status = 'ready';
            if (gated) status = 'needs_auth';
            if (!takesPart) status = 'absent';
            matrix.push({ enabled, availability, selected, authType, connected, status });
          }
        }
      }
    }
  }

  it.each(matrix)(
    'enabled=$enabled $availability selected=$selected $authType connected=$connected: $status',
    ({ enabled, availability, selected, authType, connected, status }) => {
      const subject = server('srv', { enabled, availability, authType, connected });
      const turn = govern(selected ? ['srv'] : [], [subject], { srv: okListing('read', 'write') });

      if (status === 'absent') {
        expect(turn.servers).toEqual([]);
        expect(turn.tools).toEqual([]);
        return;
      }
      expect(turn.servers).toHaveLength(1);
      expect(turn.servers[0]!.status).toBe(status);
      expect(turn.servers[0]!.reason).toBe(availability === 'force_on' ? 'force_on' : 'selected');
      expect(turn.tools.map((t) => t.name)).toEqual(status === 'ready' ? ['srv__read', 'srv__write'] : []);
      expect(turn.servers[0]!.connect_endpoint).toBe(
        status === 'needs_auth' ? '/api/experimental/mcp/servers/srv/oauth2/connect' : null,
      );
    },
  );

  it.each([
    { allow: [], deny: [], names: ['srv__delete', 'srv__read', 'srv__write'], status: 'ready' },
    { allow: ['read'], deny: [], names: ['srv__read'], status: 'ready' },
    { allow: [], deny: ['delete'], names: ['srv__read', 'srv__write'], status: 'ready' },
    { allow: ['read', 'delete'], deny: ['delete'], names: ['srv__read'], status: 'ready' },
    { allow: ['read'], deny: ['read'], names: [], status: 'no_tools' },
    { allow: ['READ'], deny: [], names: [], status: 'no_tools' },
    { allow: ['missing'], deny: [], names: [], status: 'no_tools' },
    { allow: [], deny: ['read', 'write', 'delete'], names: [], status: 'no_tools' },
  ])('allow $allow deny $deny: $names', ({ allow, deny, names, status }) => {
    const subject = server('srv', { availability: 'force_on', toolAllowList: allow, toolDenyList: deny });
    const turn = govern([], [subject], { srv: okListing('write', 'read', 'delete') });

    expect(turn.tools.map((t) => t.name)).toEqual(names);
    expect(turn.servers[0]!.status).toBe(status);
    expect(turn.servers[0]!.tool_count).toBe(names.length);
  });

  it('reports a failed listing as unreachable', () => {
    const listing: ToolListing = { outcome: 'failed', errorCode: 'timeout', errorDetail: 'Timed out.', fetchedAt };
    const turn = govern(['srv'], [server('srv')], { srv: listing });

    expect(turn.servers[0]).toMatchObject({ status: 'unreachable', error_code: 'timeout', tool_count: 0 });
    expect(turn.tools).toEqual([]);
  });

  it('reports a server without a listing as unreachable', () => {
    const turn = govern(['srv'], [server('srv')], {});
    expect(turn.servers[0]).toMatchObject({ status: 'unreachable', error_code: 'not_listed', fetched_at: null });
  });

  it('reports a server that lists nothing as no_tools', () => {
    const turn = govern(['srv'], [server('srv')], { srv: okListing() });
    expect(turn.servers[0]!.status).toBe('no_tools');
  });

  it('orders servers by slug and tools by exposed name', () => {
    const servers = [server('b-srv', { availability: 'force_on' }), server('a-srv'), server('c-srv')];
    const turn = govern(['c-srv', 'a-srv'], servers, {
      'a-srv': okListing('zeta', 'alpha'),
      'b-srv': okListing('mid'),
      'c-srv': okListing('Upper', 'lower'),
    });

    expect(turn.servers.map((s) => s.slug)).toEqual(['a-srv', 'b-srv', 'c-srv']);
    expect(turn.tools.map((t) => t.name)).toEqual(['a-srv__alpha', 'a-srv__zeta', 'b-srv__mid', 'c-srv__Upper', 'c-srv__lower']);
  });

  it('keeps the original tool name beside the exposed one', () => {
    const turn = govern(['srv'], [server('srv')], { srv: okListing('files.read v2') });
    expect(turn.tools[0]).toMatchObject({ name: 'srv__files_read_v2', tool_name: 'files.read v2', server_slug: 'srv' });
  });

  it('removes and reports tools whose exposed names collide', () => {
    const turn = govern(['srv', 'other'], [server('srv'), server('other')], {
      srv: okListing('a.b', 'a_b', 'unique'),
      other: okListing('a.b'),
    });

    expect(turn.tools.map((t) => t.name)).toEqual(['other__a_b', 'srv__unique']);
    expect(turn.collisions).toEqual([
      {
        name: 'srv__a_b',
        tools: [
          { server_id: 'srv', server_slug: 'srv', tool_name: 'a.b' },
          { server_id: 'srv', server_slug: 'srv', tool_name: 'a_b' },
        ],
      },
    ]);
  });

  it('reports collisions made by cutting names to 64 characters', () => {
    const stem = 'x'.repeat(70);
    const turn = govern(['srv'], [server('srv')], { srv: okListing(`${stem}1`, `${stem}2`) });

    expect(turn.tools).toEqual([]);
    expect(turn.collisions).toHaveLength(1);
    expect(turn.collisions[0]!.name).toHaveLength(64);
  });

  it('ignores selected ids of servers it was not given', () => {
    const turn = govern(['gone'], [server('srv')], { srv: okListing('read') });
    expect(turn.servers).toEqual([]);
  });
});

describe('exposedToolName', () => {
  it.each([
    ['github', 'create_issue', 'github__create_issue'],
    ['sentry-eu', 'get-event', 'sentry-eu__get-event'],
    ['linear', 'issues/list', 'linear__issues_list'],
    ['linear', 'héllo wörld', 'linear__h_llo_w_rld'],
    ['s', 'a'.repeat(100), `s__${'a'.repeat(61)}`],
  ])('%s and %s become %s', (slug, toolName, expected) => {
    const name = exposedToolName(slug, toolName);
    expect(name).toBe(expected);
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });
});

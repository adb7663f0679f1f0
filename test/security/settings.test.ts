/**
 * Where code and data come from is not changeable over HTTP: provider endpoints, secrets and
 * their removal need an admin key on a team server, the update feed is desktop-only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsValuesPatch, SOURCE_SETTINGS } from '../../src/shared/contract/settings';
import { ADMIN_KEY, API_KEY, api, errorCode, startKeyedServer, startPlainServer, type RunningServer } from './harness';

const ATTACKS: { name: string; method: string; input: Record<string, unknown> }[] = [
  ...['etherscanBaseUrl', 'coingeckoBaseUrl', 'defillamaBaseUrl', 'githubBaseUrl', 'hfEndpointUrl'].map((k) => ({ name: k, method: 'settings.update', input: { values: { [k]: 'https://collector.evil.example/' } } })),
  { name: 'updates on with a feed', method: 'settings.update', input: { values: { updates: { enabled: true, feedUrl: 'https://updates.evil.example/' } } } },
  { name: 'updates off', method: 'settings.update', input: { values: { updates: { enabled: false } } } },
  { name: 'endpoint reset to default', method: 'settings.update', input: { values: { githubBaseUrl: null } } },
  { name: 'endpoint hidden beside a harmless change', method: 'settings.update', input: { values: { horizonDays: 9, defillamaBaseUrl: 'https://collector.evil.example/' } } },
  { name: 'RPC URL', method: 'settings.update', input: { secrets: { rpcUrl: 'https://rpc.evil.example/' } } },
  { name: 'Postgres URL', method: 'settings.update', input: { secrets: { pgUrl: 'postgres://evil.example/db' } } },
  { name: 'API key', method: 'settings.update', input: { secrets: { etherscanApiKey: 'attacker-key' } } },
  { name: 'secret deletion', method: 'settings.clearSecret', input: { key: 'etherscanApiKey' } },
];

function values(res: { json(): unknown }): Record<string, unknown> {
  return (res.json() as { data: { values: Record<string, unknown> } }).data.values;
}

describe('settings over HTTP', () => {
  let keyed: RunningServer;
  let plain: RunningServer;
  beforeAll(async () => {
    keyed = await startKeyedServer({ adminKeys: [ADMIN_KEY] });
    plain = await startPlainServer();
  });
  afterAll(async () => {
    await keyed.close();
    await plain.close();
  });

  it('refuses every source setting and secret change on the loopback server, and on a team server with an ordinary key', async () => {
    for (const [srv, headers] of [[plain, {}], [keyed, { authorization: `Bearer ${API_KEY}` }]] as const) {
      const before = values(await api(srv, 'settings.get', {}, headers));
      for (const a of ATTACKS) {
        const res = await api(srv, a.method, a.input, headers);
        expect(res.status, `${srv.host} ${a.name}`).toBe(403);
        expect(errorCode(res)).toBe('FORBIDDEN');
      }
      expect(values(await api(srv, 'settings.get', {}, headers))).toEqual(before);
      // Ordinary preferences still change over HTTP.
      expect((await api(srv, 'settings.update', { values: { horizonDays: 14 } }, headers)).status).toBe(200);
    }
  });

  it('lets an admin key repoint a provider or remove a secret on a team server, but never the update feed', async () => {
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const repointed = await api(keyed, 'settings.update', { values: { githubBaseUrl: 'https://ghe.team.example/api/v3' } }, admin);
    expect(repointed.status).toBe(200);
    expect(values(repointed).githubBaseUrl).toBe('https://ghe.team.example/api/v3');
    expect((await api(keyed, 'settings.clearSecret', { key: 'etherscanApiKey' }, admin)).status).toBe(200);
    const feed = await api(keyed, 'settings.update', { values: { updates: { enabled: true, feedUrl: 'https://updates.team.example/' } } }, admin);
    expect(feed.status).toBe(403);
    expect(feed.body).toMatch(/desktop app/);
    expect(values(await api(keyed, 'settings.get', {}, admin)).updates).toEqual({ enabled: false, feedUrl: null });
  });

  it('tells each caller which settings it may change, exactly those settings.update accepts from it', async () => {
    const sample: Record<string, Record<string, unknown>> = {
      horizonDays: { values: { horizonDays: 21 } },
      autoCollect: { values: { autoCollect: false } },
      collect: { values: { collect: { chain: { maxRange: 3000 } } } },
      githubBaseUrl: { values: { githubBaseUrl: 'https://ghe.team.example/api/v3' } },
      updates: { values: { updates: { enabled: false } } },
      'secrets.githubToken': { secrets: { githubToken: 'ghp_0123456789abcdef' } },
    };
    for (const [srv, headers, admin] of [[plain, {}, false], [keyed, { authorization: `Bearer ${API_KEY}` }, false], [keyed, { authorization: `Bearer ${ADMIN_KEY}` }, true]] as const) {
      const access = (((await api(srv, 'settings.get', {}, headers)).json() as { data: { access: Record<string, { editable: boolean; reason: string | null }> } }).data.access);
      for (const k of SOURCE_SETTINGS) expect(access[k]?.editable, `${k} admin=${admin}`).toBe(admin && k !== 'updates');
      expect(access['secrets.rpcUrl']?.editable).toBe(admin);
      if (!admin) expect(access.etherscanBaseUrl?.reason).toMatch(/admin key/);
      expect(access.collect).toEqual({ editable: true, reason: null });
      for (const [key, input] of Object.entries(sample)) {
        const res = await api(srv, 'settings.update', input, headers);
        // A key the caller may change is not refused as FORBIDDEN (a secret may still need the desktop's keychain).
        expect(res.status === 403, `${key} admin=${admin} ${res.body}`).toBe(access[key]?.editable === false);
      }
    }
  });

  it('lists every URL-valued setting as a source setting', () => {
    const shape = SettingsValuesPatch.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    // URL-valued: takes a URL and refuses a string that is not one.
    const urlValued = Object.keys(shape).filter((k) => shape[k]?.safeParse('https://example.org/').success && !shape[k]?.safeParse('not a url').success);
    expect(urlValued.length).toBeGreaterThan(3);
    for (const k of urlValued) expect(SOURCE_SETTINGS as readonly string[]).toContain(k);
    expect(SOURCE_SETTINGS).toContain('updates');
  });
});

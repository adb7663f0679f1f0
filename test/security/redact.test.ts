/**
 * One generic redactor: provider keys in userinfo, path segments and query values are masked
 * whatever the host (the old redactor knew three providers by name).
 */
import { describe, expect, it } from 'vitest';
import { redactUrl, scrubSecrets } from '../../src/main/services/log/redact';

const HEX32 = '3f9a1c0e7b2d4f6a8c1e3b5d7f9a0c2e';
const HEX64 = `${HEX32}${HEX32.split('').reverse().join('')}`;
const UUID = '7c1e4a2b-9d3f-4e8a-b6c5-0f2d1e3a4b5c';
const ALNUM = 'Zq8Xk2Lw9Rt4Vb7Nm3Hs6Jd1Fg5Pc0Ye';

/** Endpoint shapes of real providers (key placement as their docs show); every key must vanish. */
const PROVIDER_URLS: { url: string; secret: string; keeps: string }[] = [
  { url: `https://rpc.ankr.com/polygon/${HEX64}`, secret: HEX64, keeps: 'https://rpc.ankr.com/polygon/' },
  { url: `https://go.getblock.io/${HEX32}`, secret: HEX32, keeps: 'https://go.getblock.io/' },
  { url: `https://polygon-mainnet.core.chainstack.com/${HEX32}`, secret: HEX32, keeps: 'chainstack.com' },
  { url: `https://polygon-mainnet.blastapi.io/${UUID}`, secret: UUID, keeps: 'blastapi.io' },
  { url: `https://polygon-mainnet.nodereal.io/v1/${HEX32}`, secret: HEX32, keeps: 'nodereal.io/v1/' },
  { url: `https://lb.drpc.org/ogrpc?network=polygon&dkey=${ALNUM}`, secret: ALNUM, keeps: 'network=polygon' },
  { url: `https://polygon-mainnet.infura.io/v3/${HEX32}`, secret: HEX32, keeps: 'infura.io/v3/' },
  { url: `https://polygon-mainnet.g.alchemy.com/v2/${ALNUM}`, secret: ALNUM, keeps: 'alchemy.com/v2/' },
  { url: `wss://x.matic.quiknode.pro/${HEX32}abcd1234/`, secret: HEX32, keeps: 'quiknode.pro' },
  { url: `https://rpc.example.org/?apikey=short1`, secret: 'short1', keeps: 'rpc.example.org' },
  { url: `https://${ALNUM}@rpc.example.org/`, secret: ALNUM, keeps: 'rpc.example.org' },
  { url: 'postgres://analyst:S3cret!pw@db.team.example:5432/team?sslmode=require', secret: 'S3cret!pw', keeps: 'postgres://analyst:***@db.team.example:5432/team?sslmode=require' },
  { url: 'redis://:R3disPass@cache:6379/0', secret: 'R3disPass', keeps: 'redis://:***@cache:6379/0' },
  { url: `https://api.example.org/v1/data#access_token=${ALNUM}`, secret: ALNUM, keeps: 'api.example.org/v1/data' },
];

describe('generic URL redaction', () => {
  it('masks the key of every provider shape, keeping the endpoint recognisable', () => {
    for (const p of PROVIDER_URLS) {
      const red = redactUrl(p.url) ?? '';
      expect(red, p.url).not.toContain(p.secret);
      expect(red, p.url).toContain(p.keeps);
      expect(red).toContain('***');
      // The same inside free text (logs, errors, crash reports), with punctuation around it.
      const text = scrubSecrets(`request to ${p.url}, failed (see "${p.url}")`);
      expect(text, p.url).not.toContain(p.secret);
    }
  });

  it('keeps what is not a credential: words, versions, dates, chain addresses', () => {
    const url = 'https://api.etherscan.io/v2/api?chainid=137&module=contract&action=getsourcecode&address=0x7ceb23fd6bc0add59e62ac25578270cff1b9f619';
    expect(redactUrl(url)).toBe(url);
    expect(redactUrl('https://api.llama.fi/protocol/aave')).toBe('https://api.llama.fi/protocol/aave');
    expect(redactUrl('https://api.coingecko.com/api/v3/coins/markets?vs_currency=usd&date=2024-01-31')).toBe('https://api.coingecko.com/api/v3/coins/markets?vs_currency=usd&date=2024-01-31');
    expect(scrubSecrets('Authorization: Bearer abc.def')).toBe('Authorization: Bearer ***');
    expect(scrubSecrets(`token ghp_${'a1'.repeat(15)} and hf_${'b2'.repeat(15)}`)).toBe('token *** and ***');
  });
});

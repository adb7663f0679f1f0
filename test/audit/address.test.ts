/**
 * Bytecode analysis and audits by address against a real local EVM (a hardhat node the test
 * starts): contracts compiled with solc-js, an EIP-1967 proxy, an EIP-1167 clone; stored
 * source, stored findings, re-audit only when source or detectors change.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { JsonRpcProvider, id } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBytecode, minimalProxyTarget, readerFromProvider, scanBytecode, SLOTS } from '../../src/main/services/audit/bytecode';
import type { Services } from '../../src/main/services';
import { createTestServices } from '../helpers/app';
import { startHardhatNode, type Node } from '../collect/chain-helpers';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'audit', '_chain');

function compile(file: string, name: string): { bytecode: string; source: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require('solc') as { compile(input: string): string };
  const source = readFileSync(path.join(FIXTURES, file), 'utf8');
  const input = { language: 'Solidity', sources: { [file]: { content: source } }, settings: { evmVersion: 'paris', outputSelection: { '*': { '*': ['evm.bytecode.object'] } } } };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as { errors?: { severity: string; formattedMessage: string }[]; contracts: Record<string, Record<string, { evm: { bytecode: { object: string } } }>> };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const obj = out.contracts[file]?.[name]?.evm.bytecode.object;
  if (!obj) throw new Error(`${name} not compiled`);
  return { bytecode: `0x${obj}`, source };
}

async function deploy(node: Node, data: string): Promise<string> {
  const hash = await node.rpc<string>('eth_sendTransaction', [{ from: node.accounts[0], data, gas: '0x2dc6c0' }]);
  const receipt = await node.rpc<{ contractAddress: string; status: string }>('eth_getTransactionReceipt', [hash]);
  if (receipt.status !== '0x1') throw new Error('deploy failed');
  return receipt.contractAddress.toLowerCase();
}

describe('opcode scan', () => {
  it('skips PUSH data and finds real opcodes', () => {
    // PUSH32 of 0xff bytes then STOP: no SELFDESTRUCT opcode, only data.
    expect(scanBytecode(`0x7f${'ff'.repeat(32)}00`).selfdestruct).toBe(false);
    // PUSH1 0xff, STOP, SELFDESTRUCT; DELEGATECALL; CALLCODE.
    const s = scanBytecode('0x60ff00fff4f2');
    expect(s).toMatchObject({ selfdestruct: true, delegatecall: true, callcode: true });
  });

  it('reads dispatcher selectors (PUSH4 then EQ)', () => {
    const mint = id('mint(address,uint256)').slice(2, 10);
    const s = scanBytecode(`0x8063${mint}14610010575b00`);
    expect(s.selectors).toEqual([`0x${mint}`]);
  });

  it('recognises the EIP-1167 minimal proxy and the standard slots', () => {
    const impl = '1111111111111111111111111111111111111111';
    expect(minimalProxyTarget(`0x363d3d373d3d3d363d73${impl}5af43d82803e903d91602b57fd5bf3`)?.toLowerCase()).toBe(`0x${impl}`);
    expect(minimalProxyTarget('0x6080604052')).toBeNull();
    expect(SLOTS.eip1967Implementation).toBe(`0x${(BigInt(id('eip1967.proxy.implementation')) - 1n).toString(16)}`);
    expect(SLOTS.eip1967Admin).toBe(`0x${(BigInt(id('eip1967.proxy.admin')) - 1n).toString(16)}`);
    expect(SLOTS.eip1967Beacon).toBe(`0x${(BigInt(id('eip1967.proxy.beacon')) - 1n).toString(16)}`);
    expect(SLOTS.eip1822).toBe(id('PROXIABLE'));
  });
});

describe('audits by address on a local chain', () => {
  let node: Node;
  let services: Services;
  let cleanup: () => Promise<void>;
  let provider: JsonRpcProvider;
  let token: string;
  let proxy: string;
  let clone: string;
  let tokenSource: string;

  beforeAll(async () => {
    node = await startHardhatNode();
    await node.rpc('evm_setAutomine', [true]);
    const t = compile('RiskyToken.sol', 'RiskyToken');
    tokenSource = t.source;
    token = await deploy(node, t.bytecode);
    const p = compile('Proxy1967.sol', 'Proxy1967');
    proxy = await deploy(node, p.bytecode + token.slice(2).padStart(64, '0'));
    clone = '0x00000000000000000000000000000000000c1011';
    await node.rpc('hardhat_setCode', [clone, `0x363d3d373d3d3d363d73${token.slice(2)}5af43d82803e903d91602b57fd5bf3`]);
    provider = new JsonRpcProvider(node.url, 31337, { staticNetwork: true });
    ({ services, cleanup } = await createTestServices({ rpcUrl: node.url, chainId: 31337, autoImport: false }));
  });

  afterAll(async () => {
    provider?.destroy();
    await cleanup?.();
    await node?.stop();
  });

  it('finds SELFDESTRUCT and the risky selectors in deployed code', async () => {
    const facts = await analyzeBytecode(readerFromProvider(provider), token);
    expect(facts.codeSize).toBeGreaterThan(100);
    expect(facts.isProxy).toBe(false);
    expect(facts.opcodes.selfdestruct).toBe(true);
    expect(facts.opcodes.delegatecall).toBe(false);
    const sigs = facts.knownFunctions.map((k) => k.signature);
    for (const s of ['mint(address,uint256)', 'pause()', 'blacklist(address)', 'setFee(uint256)', 'transfer(address,uint256)']) expect(sigs).toContain(s);
  });

  it('follows an EIP-1967 proxy and an EIP-1167 clone to the implementation', async () => {
    const p = await analyzeBytecode(readerFromProvider(provider), proxy);
    expect(p).toMatchObject({ isProxy: true, proxyKind: 'eip1967', implementation: token });
    expect(p.opcodes.delegatecall).toBe(true);
    expect(p.implementationFacts?.opcodes.selfdestruct).toBe(true);
    expect(p.implementationFacts?.knownFunctions.map((k) => k.signature)).toContain('mint(address,uint256)');
    const c = await analyzeBytecode(readerFromProvider(provider), clone);
    expect(c).toMatchObject({ isProxy: true, proxyKind: 'eip1167', implementation: token });
  });

  it('audits a contract with stored source, stores findings, and re-audits only on change', async () => {
    const now = new Date().toISOString();
    services.core.store.write('smart_contracts', [{ chain_id: 31337, address: token, name: 'RiskyToken', verified: 1, source_format: 'single-file', source: tokenSource, updated_at: now }]);
    const first = await services.client.call('audit.address', { address: token, chainId: 31337 });
    expect(first.cached).toBe(false);
    expect(first.files.map((f) => f.path)).toEqual(['RiskyToken.sol']);
    expect(first.bytecode?.opcodes.selfdestruct).toBe(true);
    // Owner powers, each with who can trigger it and where.
    for (const key of ['is_mintable', 'transfer_pausable', 'is_blacklisted', 'slippage_modifiable', 'selfdestruct']) {
      expect(first.tokenRisk[key]?.value, key).toBe(true);
      expect(first.tokenRisk[key]?.who, key).toBe('owner');
    }
    const mintEvidence = first.tokenRisk.is_mintable?.evidence[0];
    expect(mintEvidence?.function).toBe('mint');
    expect(tokenSource.split('\n')[(mintEvidence?.line ?? 0) - 1]).toMatch(/function mint/);
    // owner() read from chain: the deployer.
    expect(first.tokenRisk.owner_address?.value).toBe(node.accounts[0]);
    expect(first.tokenRisk.owner_address?.note).toMatch(/state variable owner/);
    // Owner-only selfdestruct is a power, not an unprotected selfdestruct.
    expect(first.findings.filter((f) => f.severity === 'high')).toEqual([]);
    expect(first.score).toBeLessThan(100);
    expect(first.scoreReasoning.some((r) => r.reason.includes('is_mintable'))).toBe(true);

    const row = services.core.store.db.prepare('SELECT audit_score, audited_at FROM smart_contracts WHERE chain_id = 31337 AND address = ?').get(token) as { audit_score: number; audited_at: string };
    expect(row.audit_score).toBe(first.score);
    const stored = services.core.store.db.prepare('SELECT count(*) AS n FROM audit_findings WHERE chain_id = 31337 AND address = ?').get(token) as { n: number };
    expect(stored.n).toBe(first.findings.length);

    const again = await services.client.call('audit.address', { address: token, chainId: 31337 });
    expect(again.cached).toBe(true);
    expect(again.score).toBe(first.score);
    const forced = await services.client.call('audit.address', { address: token, chainId: 31337, force: true });
    expect(forced.cached).toBe(false);

    // New source: the audit runs again and findings that disappeared are deleted.
    const changed = tokenSource.replace('function destroy() external onlyOwner', 'function destroy() external');
    services.core.store.write('smart_contracts', [{ chain_id: 31337, address: token, source: changed, updated_at: new Date().toISOString() }]);
    const third = await services.client.call('audit.address', { address: token, chainId: 31337 });
    expect(third.cached).toBe(false);
    expect(third.sourceHash).not.toBe(first.sourceHash);
    expect(third.findings.some((f) => f.detector === 'unprotected-selfdestruct' && f.severity === 'high')).toBe(true);
    expect(third.tokenRisk.selfdestruct?.who).toBe('anyone');

    const list = await services.client.call('audit.list', { address: token });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ chainId: 31337, address: token, name: 'RiskyToken', score: third.score });
    expect(list[0]?.findings.high).toBe(third.findings.filter((f) => f.severity === 'high').length);
    const got = await services.client.call('audit.get', { address: token, chainId: 31337 });
    expect(got.findings).toEqual(third.findings);
  });

  it('audits a proxy with the implementation source and reports it as a proxy', async () => {
    const report = await services.client.call('audit.address', { address: proxy, chainId: 31337 });
    expect(report.bytecode?.proxyKind).toBe('eip1967');
    expect(report.files.map((f) => f.path)).toEqual(['implementation/RiskyToken.sol']);
    expect(report.tokenRisk.is_proxy?.value).toBe(true);
    expect(report.errors.some((e) => /verified source unavailable/.test(e.message))).toBe(true);
  });

  it('says clearly when there is nothing to audit', async () => {
    const empty = '0x00000000000000000000000000000000000e0e0e';
    await expect(services.client.call('audit.address', { address: empty, chainId: 31337 })).resolves.toMatchObject({ bytecode: { codeSize: 0 } });
    await expect(services.client.call('audit.get', { address: '0x00000000000000000000000000000000000f0f0f', chainId: 31337 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(services.client.call('audit.address', { address: 'nope' as never })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('audits by address without network', () => {
  it('says it needs network and an explorer key, not that the contract does not exist', async () => {
    const { services, cleanup } = await createTestServices({ autoImport: false });
    try {
      const err = await services.client.call('audit.address', { address: '0x00000000000000000000000000000000000c0c0c' }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err?.code).toBe('NOT_CONFIGURED');
      expect(err?.message).toMatch(/needs network and an explorer key/);
      expect(err?.message).not.toMatch(/does not exist|nothing to audit/);
    } finally {
      await cleanup();
    }
  });
});

describe('audits by address with an RPC that refuses the key', () => {
  it('never quotes the key from the RPC URL in what it reports', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(401);
      res.end('invalid key');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const { services, cleanup } = await createTestServices({ rpcUrl: `http://127.0.0.1:${port}/rpc?apikey=SECRETKEY0123456789`, chainId: 31337, autoImport: false });
    try {
      const err = await services.client.call('audit.address', { address: '0x00000000000000000000000000000000000d0d0d', chainId: 31337 }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      // The chain could not be read: the contract's existence is unknown, so never "not found".
      expect(err?.code).toBe('UNAVAILABLE');
      expect(err?.message).toMatch(/needs network and an explorer key/);
      expect(err?.message).toMatch(/bytecode unavailable: .*401/);
      // The chain reads go through the collectors' RPC client, whose errors never quote the URL.
      expect(err?.message).toMatch(/rpc: eth_getCode: HTTP 401/);
      expect(err?.message).not.toContain('SECRETKEY0123456789');
    } finally {
      await cleanup();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/**
 * Bytecode facts read from chain: proxy slots (EIP-1967 implementation/admin/beacon, EIP-1822
 * PROXIABLE), EIP-1167 minimal proxies, an opcode scan that skips PUSH data, and the function
 * selectors the dispatcher compares against, matched with known risky signatures.
 */
import { id, getAddress, type AbstractProvider } from 'ethers';
import type { BytecodeFacts } from '../../../shared/contract/audit';

/** What bytecode analysis needs from a chain client (an ethers provider satisfies it). */
export interface CodeReader {
  getCode(address: string): Promise<string>;
  getStorage(address: string, slot: string | bigint): Promise<string>;
  call?(tx: { to: string; data: string }): Promise<string>;
}

export const SLOTS = {
  // bytes32(uint256(keccak256('eip1967.proxy.implementation')) - 1)
  eip1967Implementation: '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc',
  eip1967Admin: '0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103',
  eip1967Beacon: '0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50',
  // keccak256('PROXIABLE')
  eip1822: '0xc5f16f0fcc639fa48a6947836d9850f504798523bf8c9a3a87d5876cf622bcf7',
} as const;

const RISKY_SIGNATURES: [string, string][] = [
  ['mint(address,uint256)', 'mint'],
  ['mint(uint256)', 'mint'],
  ['_mint(address,uint256)', 'mint'],
  ['issue(uint256)', 'mint'],
  ['pause()', 'pause'],
  ['unpause()', 'pause'],
  ['setPaused(bool)', 'pause'],
  ['blacklist(address)', 'blacklist'],
  ['addBlackList(address)', 'blacklist'],
  ['addToBlacklist(address)', 'blacklist'],
  ['setBlacklist(address,bool)', 'blacklist'],
  ['blacklistAddress(address,bool)', 'blacklist'],
  ['setBots(address[])', 'blacklist'],
  ['freeze(address)', 'blacklist'],
  ['setFee(uint256)', 'fee'],
  ['setFees(uint256,uint256)', 'fee'],
  ['setTaxFeePercent(uint256)', 'fee'],
  ['setBuyFee(uint256)', 'fee'],
  ['setSellFee(uint256)', 'fee'],
  ['updateFees(uint256,uint256)', 'fee'],
  ['setMaxTxAmount(uint256)', 'max_tx'],
  ['setMaxTxPercent(uint256)', 'max_tx'],
  ['setMaxWalletSize(uint256)', 'max_tx'],
  ['setCooldownEnabled(bool)', 'cooldown'],
  ['excludeFromFee(address)', 'whitelist'],
  ['setWhitelist(address,bool)', 'whitelist'],
  ['upgradeTo(address)', 'upgrade'],
  ['upgradeToAndCall(address,bytes)', 'upgrade'],
  ['changeAdmin(address)', 'upgrade'],
  ['setImplementation(address)', 'upgrade'],
  ['transferOwnership(address)', 'owner'],
  ['renounceOwnership()', 'owner'],
  ['owner()', 'owner'],
  ['grantRole(bytes32,address)', 'role'],
  ['withdraw(uint256)', 'withdraw'],
  ['emergencyWithdraw()', 'withdraw'],
  ['burn(address,uint256)', 'burn'],
  ['burnFrom(address,uint256)', 'burn'],
  ['selfdestruct()', 'selfdestruct'],
  ['kill()', 'selfdestruct'],
  ['destroy()', 'selfdestruct'],
  ['transfer(address,uint256)', 'erc20'],
  ['transferFrom(address,address,uint256)', 'erc20'],
  ['approve(address,uint256)', 'erc20'],
];

export const KNOWN_SELECTORS: ReadonlyMap<string, { signature: string; risk: string }> = new Map(RISKY_SIGNATURES.map(([sig, risk]) => [id(sig).slice(0, 10), { signature: sig, risk }]));

export interface OpcodeScan {
  selfdestruct: boolean;
  delegatecall: boolean;
  callcode: boolean;
  selectors: string[];
}

/** Walks the code once, skipping PUSH data so constants are never read as opcodes. */
export function scanBytecode(hex: string): OpcodeScan {
  const code = hexToBytes(hex);
  // Trailing CBOR metadata is data, not code: its length sits in the last two bytes.
  let end = code.length;
  if (code.length >= 2) {
    const metaLen = ((code[code.length - 2] ?? 0) << 8) | (code[code.length - 1] ?? 0);
    if (metaLen > 0 && metaLen + 2 <= code.length && (code[code.length - 2 - metaLen] ?? 0) >= 0xa0 && (code[code.length - 2 - metaLen] ?? 0) <= 0xbf) end = code.length - 2 - metaLen;
  }
  const out: OpcodeScan = { selfdestruct: false, delegatecall: false, callcode: false, selectors: [] };
  const selectors = new Set<string>();
  for (let pc = 0; pc < end; pc++) {
    const op = code[pc] ?? 0;
    if (op === 0xff) out.selfdestruct = true;
    else if (op === 0xf4) out.delegatecall = true;
    else if (op === 0xf2) out.callcode = true;
    if (op >= 0x60 && op <= 0x7f) {
      const n = op - 0x5f;
      // PUSH4 followed (soon) by EQ is the dispatcher comparing the selector.
      if (n === 4 && pc + 5 < end) {
        const next = code[pc + 5];
        const after = code[pc + 6];
        if (next === 0x14 || (next === 0x81 && after === 0x14) || next === 0x63 || (next === 0x80 && after === 0x63)) {
          selectors.add(`0x${bytesToHex(code.subarray(pc + 1, pc + 5))}`);
        }
      }
      pc += n;
    }
  }
  out.selectors = [...selectors].sort();
  return out;
}

/** The implementation a minimal proxy (EIP-1167) forwards to, or null. */
export function minimalProxyTarget(hex: string): string | null {
  const h = hex.toLowerCase().replace(/^0x/, '');
  const m = /^363d3d373d3d3d363d73([0-9a-f]{40})5af43d82803e903d91602b57fd5bf3$/.exec(h);
  return m?.[1] ? getAddress(`0x${m[1]}`) : null;
}

function hexToBytes(hex: string): Uint8Array {
  const h = hex.replace(/^0x/, '');
  const out = new Uint8Array(Math.floor(h.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function bytesToHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const slotAddress = (word: string): string | null => {
  const h = word.replace(/^0x/, '').padStart(64, '0');
  const addr = h.slice(24);
  return /^0+$/.test(addr) ? null : getAddress(`0x${addr}`);
};

const matchKnown = (selectors: string[]): BytecodeFacts['knownFunctions'] =>
  selectors.flatMap((s) => {
    const k = KNOWN_SELECTORS.get(s);
    return k ? [{ selector: s, signature: k.signature, risk: k.risk }] : [];
  });

/** Reads code and proxy slots of `address`, following the implementation a few hops. */
export async function analyzeBytecode(reader: CodeReader, address: string, opts: { signal?: AbortSignal; maxHops?: number } = {}): Promise<BytecodeFacts> {
  const target = getAddress(address);
  const code = await reader.getCode(target);
  const scan = scanBytecode(code);
  const facts: BytecodeFacts = {
    address: target.toLowerCase(),
    codeSize: Math.max(0, (code.length - 2) / 2),
    isProxy: false,
    proxyKind: 'none',
    implementation: null,
    admin: null,
    beacon: null,
    opcodes: { selfdestruct: scan.selfdestruct, delegatecall: scan.delegatecall, callcode: scan.callcode },
    selectors: scan.selectors,
    knownFunctions: matchKnown(scan.selectors),
    implementationFacts: null,
  };
  if (facts.codeSize === 0) return facts;
  const minimal = minimalProxyTarget(code);
  if (minimal) {
    facts.isProxy = true;
    facts.proxyKind = 'eip1167';
    facts.implementation = minimal.toLowerCase();
  } else {
    const [impl, admin, beacon, uups] = await Promise.all([
      reader.getStorage(target, SLOTS.eip1967Implementation),
      reader.getStorage(target, SLOTS.eip1967Admin),
      reader.getStorage(target, SLOTS.eip1967Beacon),
      reader.getStorage(target, SLOTS.eip1822),
    ]);
    opts.signal?.throwIfAborted();
    facts.admin = slotAddress(admin)?.toLowerCase() ?? null;
    const implAddr = slotAddress(impl);
    const beaconAddr = slotAddress(beacon);
    const uupsAddr = slotAddress(uups);
    if (implAddr) {
      facts.isProxy = true;
      facts.proxyKind = 'eip1967';
      facts.implementation = implAddr.toLowerCase();
    } else if (beaconAddr) {
      facts.isProxy = true;
      facts.proxyKind = 'beacon';
      facts.beacon = beaconAddr.toLowerCase();
      // UpgradeableBeacon exposes implementation() (selector 0x5c60da1b).
      if (reader.call) {
        try {
          const r = await reader.call({ to: beaconAddr, data: '0x5c60da1b' });
          facts.implementation = slotAddress(r)?.toLowerCase() ?? null;
        } catch {
          /* a beacon without implementation(): leave it unknown */
        }
      }
    } else if (uupsAddr) {
      facts.isProxy = true;
      facts.proxyKind = 'eip1822';
      facts.implementation = uupsAddr.toLowerCase();
    }
  }
  const hops = opts.maxHops ?? 3;
  if (facts.implementation && hops > 0) {
    opts.signal?.throwIfAborted();
    const inner = await analyzeBytecode(reader, facts.implementation, { ...opts, maxHops: hops - 1 });
    facts.implementationFacts = { address: inner.address, codeSize: inner.codeSize, opcodes: inner.opcodes, knownFunctions: inner.knownFunctions };
  }
  return facts;
}

/** Adapts an ethers provider. */
export function readerFromProvider(provider: AbstractProvider): CodeReader {
  return {
    getCode: (a) => provider.getCode(a),
    getStorage: (a, s) => provider.getStorage(a, s),
    call: (tx) => provider.call(tx),
  };
}
